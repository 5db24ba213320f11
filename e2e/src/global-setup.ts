import { resolveChromium } from './find-chromium.ts';
import { buildWeb } from './web-build.ts';

/** Once per e2e run: find (or unpack) a Chromium, failing loudly without one, and build the dashboard. */
export default async function setup(): Promise<void> {
  const chromium = await resolveChromium();
  console.log(`e2e: ${chromium.source} Chromium at ${chromium.executablePath}`);
  await buildWeb();
}
