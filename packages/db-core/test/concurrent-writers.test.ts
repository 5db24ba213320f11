import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { openDatabase } from '../src/database.ts';
import { collectUntil } from './contract/driver-contract.ts';
import { tempDir } from './helpers/temp-dir.ts';

const tsxLoader = createRequire(import.meta.url).resolve('tsx');
const child = fileURLToPath(new URL('./fixtures/concurrent-writer.ts', import.meta.url));

function runWriter(path: string, count: number, label: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', tsxLoader, child, path, String(count), label], {
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    let stderr = '';
    proc.stderr.on('data', (d) => {
      stderr += d;
    });
    proc.on('error', reject);
    proc.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`writer ${label} exited ${code}: ${stderr}`)),
    );
  });
}

it('two processes writing concurrently lose no writes (busy timeout + IMMEDIATE transactions)', async () => {
  using dir = tempDir();
  const path = dir.file('shared.db');
  await using db = await openDatabase({ mode: 'local', path, externalChangePollMs: 20 });
  await db.exec(`
    CREATE TABLE counter(id INTEGER PRIMARY KEY, n INTEGER NOT NULL);
    INSERT INTO counter VALUES (1, 0);
    CREATE TABLE log(writer TEXT, seq INTEGER);
  `);
  const stream = db.changes();
  const n = 200;
  await Promise.all([runWriter(path, n, 'a'), runWriter(path, n, 'b')]);
  expect(db.get('SELECT n FROM counter WHERE id = 1')).toEqual({ n: 2 * n });
  expect(db.get('SELECT count(*) AS c, count(DISTINCT writer || seq) AS d FROM log')).toEqual({
    c: 2 * n,
    d: 2 * n,
  });
  // Other processes' commits surface as refetch-all on this process's stream.
  const events = await collectUntil(stream, (e) => e.some((x) => x.type === 'refetch-all'));
  expect(events.some((e) => e.type === 'refetch-all')).toBe(true);
}, 120_000);
