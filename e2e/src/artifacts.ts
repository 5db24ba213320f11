import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `e2e/artifacts/` (gitignored): screenshots and other outputs worth keeping from a run. */
export async function artifactPath(name: string): Promise<string> {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');
  await mkdir(dir, { recursive: true });
  return join(dir, name);
}
