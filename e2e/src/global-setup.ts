import { findChromium } from './find-chromium.ts';
import { buildWeb } from './web-build.ts';

/** Once per e2e run: fail loudly without Chromium, and build the dashboard. */
export default async function setup(): Promise<void> {
  findChromium();
  await buildWeb();
}
