import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where `vite build` of `@liveframe/web` puts the dashboard. */
export function webDistDir(): string {
  return join(REPO_ROOT, 'apps', 'web', 'dist');
}

/**
 * Builds the dashboard so the tests run against the current sources, not a stale `dist/`
 * (`npm test` builds through turbo first, but a direct `vitest --project` run does not).
 */
export async function buildWeb(): Promise<string> {
  await promisify(execFile)('npm', ['run', 'build', '-w', '@liveframe/web'], {
    cwd: REPO_ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  const dist = webDistDir();
  if (!existsSync(join(dist, 'index.html'))) throw new Error(`vite build produced no ${dist}/index.html`);
  return dist;
}
