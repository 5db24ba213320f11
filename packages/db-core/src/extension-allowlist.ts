import { realpathSync } from 'node:fs';
import { DbError } from './errors.ts';

/**
 * Loading an extension runs arbitrary native code inside the process, so only files named at
 * open time may be loaded. Paths are compared after resolving symlinks, so a link to an allowed
 * file works and a link from an allowed name to another file does not.
 */
export class ExtensionAllowlist {
  readonly #allowed: ReadonlySet<string>;

  constructor(paths: readonly string[]) {
    const allowed = new Set<string>();
    for (const path of paths) {
      const real = tryRealpath(path);
      if (real !== undefined) allowed.add(real);
    }
    this.#allowed = allowed;
  }

  /** The canonical path to load, or an EXTENSION_NOT_ALLOWED error. */
  check(path: string): string {
    const real = typeof path === 'string' ? tryRealpath(path) : undefined;
    if (real === undefined || !this.#allowed.has(real)) {
      throw new DbError(
        'EXTENSION_NOT_ALLOWED',
        `extension not on the allowlist given at open: ${String(path)}`,
      );
    }
    return real;
  }
}

function tryRealpath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}
