// npm run bench -w @liveframe/db-core — figures merge into bench/results/{db-core,reactive}.json.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CaptureEvent } from '../src/change-set.ts';
import { Connection } from '../src/connection.ts';
import { openDatabase } from '../src/database.ts';
import { mergeResults } from './replica-bench-helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'db-core-bench-'));
const N = Number(process.env.BENCH_N ?? 100_000);

function opsPerSec(fn: (i: number) => unknown, n: number): number {
  for (let i = 0; i < Math.min(n, 10_000); i++) fn(i);
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

function best(fn: () => number, rounds = 3): number {
  let top = 0;
  for (let r = 0; r < rounds; r++) top = Math.max(top, fn());
  return top;
}

try {
  const path = join(dir, 'bench.db');
  const setup = Connection.open(path);
  setup.exec(`PRAGMA journal_mode=WAL; CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v REAL);
    WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000)
    INSERT INTO t SELECT x, 'name' || x, x * 1.5 FROM c;`);
  setup.close();

  // --- point selects: raw libsql-js (prepared once, by hand) vs db-core cached vs prepare-per-call
  const Libsql = createRequire(import.meta.url)('libsql') as new (
    p: string,
  ) => {
    prepare(sql: string): { get(...a: unknown[]): unknown };
    close(): void;
  };
  const raw = new Libsql(path);
  const rawStmt = raw.prepare('SELECT * FROM t WHERE id = ?');
  const db = await openDatabase({ mode: 'local', path });
  const conn = Connection.open(path, { readOnly: true });
  const sql = 'SELECT * FROM t WHERE id = ?';
  const key = (i: number) => 1 + ((i * 7919) % 10_000);
  // Interleaved rounds, best of each: on a shared machine, load drifts between sequential runs.
  let rawOps = 0;
  let dbOps = 0;
  for (let round = 0; round < 5; round++) {
    rawOps = Math.max(
      rawOps,
      opsPerSec((i) => rawStmt.get(key(i)), N),
    );
    dbOps = Math.max(
      dbOps,
      opsPerSec((i) => db.get(sql, [key(i)]), N),
    );
  }
  const cachedOps = best(() => opsPerSec((i) => conn.get(sql, [key(i)]), N));
  const uncachedOps = best(() =>
    opsPerSec((i) => raw.prepare(`SELECT * FROM t WHERE id = ?`).get(key(i)), Math.floor(N / 4)),
  );
  const uncachedDbCore = best(() =>
    opsPerSec(
      (i) => {
        conn.invalidateStatements();
        return conn.get(sql, [key(i)]);
      },
      Math.floor(N / 4),
    ),
  );
  conn.close();
  raw.close();

  // --- streaming 1M rows: peak RSS growth. The file is built here; the streaming runs in a
  // fresh child process that does nothing else, so its RSS reflects the cursor alone.
  const big = join(dir, 'big.db');
  const bigSetup = Connection.open(big);
  bigSetup.exec(`PRAGMA journal_mode=WAL; CREATE TABLE big(id INTEGER PRIMARY KEY, payload TEXT);
    WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000)
    INSERT INTO big SELECT x, printf('%064d', x) FROM c;`);
  bigSetup.close();
  const child = execFileSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', fileURLToPath(new URL('./stream-1m-child.ts', import.meta.url)), big],
    { encoding: 'utf8' },
  );
  const streamed = JSON.parse(child.trim().split('\n').at(-1)!) as {
    rows: number;
    ms: number;
    rssGrowthMb: number;
  };
  const { rows, ms: streamMs, rssGrowthMb } = streamed;
  if (rows !== 1_000_000) throw new Error(`the cursor streamed ${rows} rows, expected 1000000`);

  // --- local capture: native commit hook -> ChangeSet on the change stream (commit to event)
  const captureMs: number[] = [];
  await db.exec('CREATE TABLE IF NOT EXISTS cap(id INTEGER PRIMARY KEY, x INTEGER)');
  const iterator = db.changes()[Symbol.asyncIterator]();
  for (let i = 0; i < 300; i++) {
    const start = performance.now();
    const pending = iterator.next();
    const { lastInsertRowid } = await db.run('INSERT INTO cap(x) VALUES (?)', [i]);
    const event = (await pending).value as CaptureEvent | undefined;
    captureMs.push(performance.now() - start);
    // Guard against measuring a fallback: the event must be the row-level change set of this insert.
    const change = event?.type === 'changes' ? event.changeSet.changes[0] : undefined;
    if (change?.table !== 'cap' || change.rowid !== Number(lastInsertRowid)) {
      throw new Error(
        `expected the row-level change of cap ${lastInsertRowid}, got ${JSON.stringify(event)}`,
      );
    }
  }
  await iterator.return?.();
  await db.close();
  captureMs.sort((a, b) => a - b);

  const results = {
    stmt_cache_speedup: round(cachedOps / uncachedDbCore),
    select_vs_raw_libsql: round(dbOps / rawOps),
    stream_1m_rss_mb: round(rssGrowthMb),
  };
  console.table([
    { case: 'raw libsql-js get (prepared once) [baseline]', 'ops/s': Math.round(rawOps), ratio: 1 },
    { case: 'db.get (Database facade)', 'ops/s': Math.round(dbOps), ratio: round(dbOps / rawOps) },
    { case: 'Connection.get (cached)', 'ops/s': Math.round(cachedOps), ratio: round(cachedOps / rawOps) },
    {
      case: 'Connection.get (prepare per call)',
      'ops/s': Math.round(uncachedDbCore),
      ratio: round(uncachedDbCore / rawOps),
    },
    {
      case: 'raw libsql-js prepare per call',
      'ops/s': Math.round(uncachedOps),
      ratio: round(uncachedOps / rawOps),
    },
  ]);
  console.table([
    { case: 'cursor over 1M rows', rows, ms: Math.round(streamMs), 'peak RSS growth MB': round(rssGrowthMb) },
  ]);
  console.table([
    { case: 'local commit → change event', p50_ms: round(captureMs[150]!), p95_ms: round(captureMs[285]!) },
  ]);
  console.table([results]);
  mergeResults('db-core.json', results);
  mergeResults('reactive.json', { capture_local_p50_ms: round(captureMs[150]!) });
} finally {
  rmSync(dir, { recursive: true, force: true });
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
