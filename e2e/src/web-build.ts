import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const E2E_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const REPO_ROOT = join(E2E_ROOT, '..');

/**
 * Where the e2e runs build the dashboard: a private copy (gitignored `.tmp/`), so a concurrent
 * `turbo build` rewriting `apps/web/dist` cannot pull files from under a running test.
 */
export function webDistDir(): string {
  return join(E2E_ROOT, '.tmp', 'web-dist');
}

/**
 * Builds the dashboard from the current sources (`vite build` of `@liveframe/web`) into
 * {@link webDistDir}; the servers under test serve it with `--static-dir`.
 */
export async function buildWeb(): Promise<string> {
  const dist = webDistDir();
  await promisify(execFile)(
    'npm',
    ['run', 'build', '-w', '@liveframe/web', '--', '--outDir', dist, '--emptyOutDir'],
    { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 },
  );
  if (!existsSync(join(dist, 'index.html'))) throw new Error(`vite build produced no ${dist}/index.html`);
  return dist;
}
