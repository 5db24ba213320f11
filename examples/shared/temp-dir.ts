import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory under the OS temp dir, removed (with everything in it) on dispose. */
export interface TempDir extends Disposable {
  readonly path: string;
  file(name: string): string;
}

/** @example using dir = tempDir('fts'); const db = await openDatabase({ mode: 'local', path: dir.file('app.db') }); */
export function tempDir(prefix: string): TempDir {
  const path = mkdtempSync(join(tmpdir(), `liveframe-example-${prefix}-`));
  return {
    path,
    file: (name) => join(path, name),
    [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }),
  };
}
