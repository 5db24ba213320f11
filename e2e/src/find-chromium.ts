import { existsSync } from 'node:fs';

/** Where Debian's `chromium` package puts the browser; `LIVEFRAME_CHROMIUM_PATH` overrides it. */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags that work for headless Chromium in containers (FACTS.md "Browser tests"). */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Flags of @sparticuz/chromium's (serverless) defaults left out: two change what a page may do
 * (same-origin policy, mixed content) and the tests must see the browser as users do;
 * `--single-process` ends the whole browser when a context closes (seen here), and every test
 * opens and closes contexts (one per simulated user).
 */
const DROPPED_FLAGS = ['--disable-web-security', '--allow-running-insecure-content', '--single-process'];

/** How to launch a Chromium, and which one it is. */
export interface ChromiumLaunch {
  readonly executablePath: string;
  readonly args: readonly string[];
  /** `system`: Debian's (or `LIVEFRAME_CHROMIUM_PATH`); `bundled`: the one inside @sparticuz/chromium. */
  readonly source: 'system' | 'bundled';
}

/**
 * Thrown when no Chromium can be had. Its message says how to get one, because browser downloads
 * are impossible here and a silently skipped e2e suite would look like a pass.
 */
export class ChromiumNotFoundError extends Error {
  override readonly name = 'ChromiumNotFoundError';
}

/**
 * The Chromium to test with: the system one when installed (preferred: Debian keeps it patched),
 * else the real Chromium shipped inside the `@sparticuz/chromium` npm package, extracted to /tmp on
 * first use (about 2.5 s), so `npm test` works on a machine with only Node.js.
 * `LIVEFRAME_CHROMIUM_PATH` names an executable to use instead (it must exist);
 * `LIVEFRAME_CHROMIUM=bundled` forces the packaged one (to test that path where Debian's exists).
 *
 * @example const { executablePath, args } = await resolveChromium();
 */
export async function resolveChromium(): Promise<ChromiumLaunch> {
  const override = process.env.LIVEFRAME_CHROMIUM_PATH;
  if (override !== undefined && override !== '') {
    if (!existsSync(override)) {
      throw new ChromiumNotFoundError(`LIVEFRAME_CHROMIUM_PATH=${override} does not exist.`);
    }
    return { executablePath: override, args: CHROMIUM_ARGS, source: 'system' };
  }
  if (process.env.LIVEFRAME_CHROMIUM !== 'bundled' && existsSync(DEFAULT_CHROMIUM_PATH)) {
    return { executablePath: DEFAULT_CHROMIUM_PATH, args: CHROMIUM_ARGS, source: 'system' };
  }
  return bundledChromium();
}

async function bundledChromium(): Promise<ChromiumLaunch> {
  let Chromium: typeof import('@sparticuz/chromium').default;
  try {
    Chromium = (await import('@sparticuz/chromium')).default;
  } catch (error) {
    throw new ChromiumNotFoundError(
      [
        `No Chromium at ${DEFAULT_CHROMIUM_PATH} and @sparticuz/chromium is not installed: the browser tests cannot run.`,
        'Run `npm ci` (it installs @sparticuz/chromium), or `sudo apt-get install -y chromium`,',
        'or point LIVEFRAME_CHROMIUM_PATH at a Chromium/Chrome executable.',
      ].join('\n'),
      { cause: error },
    );
  }
  const executablePath = await Chromium.executablePath();
  const args = Chromium.args.filter((flag) => !DROPPED_FLAGS.includes(flag));
  // Its own `--headless='shell'` stays; ours add the closed-network flags.
  for (const flag of CHROMIUM_ARGS) if (flag !== '--headless' && !args.includes(flag)) args.push(flag);
  return { executablePath, args, source: 'bundled' };
}
