import { existsSync } from 'node:fs';

/** Where Debian's `chromium` package puts the browser; `LIVEFRAME_CHROMIUM_PATH` overrides it. */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Thrown when no Chromium is installed. Its message says how to install one, because browser
 * downloads are impossible here and a silently skipped e2e suite would look like a pass.
 */
export class ChromiumNotFoundError extends Error {
  override readonly name = 'ChromiumNotFoundError';
}

/**
 * Returns the path of the system Chromium, or throws {@link ChromiumNotFoundError} loudly.
 *
 * @example const executablePath = findChromium();
 */
export function findChromium(): string {
  const override = process.env.LIVEFRAME_CHROMIUM_PATH;
  const path = override !== undefined && override !== '' ? override : DEFAULT_CHROMIUM_PATH;
  if (!existsSync(path)) {
    throw new ChromiumNotFoundError(
      [
        `No Chromium found at ${path}: the browser end-to-end tests cannot run.`,
        'Install it with:  sudo apt-get install -y chromium   (or run `bash .ci/run`),',
        'or point LIVEFRAME_CHROMIUM_PATH at a Chromium/Chrome executable.',
      ].join('\n'),
    );
  }
  return path;
}
