// npm run bench -w @liveframe/db-core — figures merge into bench/results/{db-core,reactive}.json.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '../src/connection.ts';
import { openDatabase } from '../src/database.ts';

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), '../../../bench/results');
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

function merge(file: string, values: Record<string, number>): void {
  mkdirSync(resultsDir, { recursive: true });
  const path = join(resultsDir, file);
  let current: Record<string, unknown> = {};
  try {
    current = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    // First run.
  }
  writeFileSync(path, `${JSON.stringify({ ...current, ...values }, null, 2)}\n`);
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
  const rawOps = best(() => opsPerSec((i) => rawStmt.get(key(i)), N));
  const dbOps = best(() => opsPerSec((i) => db.get(sql, [key(i)]), N));
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

  // --- streaming 1M rows: peak RSS growth
  const big = join(dir, 'big.db');
  const bigSetup = Connection.open(big);
  bigSetup.exec(`PRAGMA journal_mode=WAL; CREATE TABLE big(id INTEGER PRIMARY KEY, payload TEXT);
    WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000)
    INSERT INTO big SELECT x, printf('%064d', x) FROM c;`);
  bigSetup.close();
  const bigDb = await openDatabase({ mode: 'local', path: big });
  (globalThis as { gc?: () => void }).gc?.();
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  let rows = 0;
  const streamStart = performance.now();
  for await (const _row of bigDb.cursor('SELECT * FROM big ORDER BY id')) {
    if (++rows % 10_000 === 0) peak = Math.max(peak, process.memoryUsage().rss);
  }
  const streamMs = performance.now() - streamStart;
  const rssGrowthMb = (peak - rssBefore) / 2 ** 20;
  await bigDb.close();

  // --- local capture: commit to event on the change stream
  const captureMs: number[] = [];
  await db.exec('CREATE TABLE IF NOT EXISTS cap(id INTEGER PRIMARY KEY, x INTEGER)');
  const iterator = db.changes()[Symbol.asyncIterator]();
  for (let i = 0; i < 300; i++) {
    const start = performance.now();
    const pending = iterator.next();
    await db.run('INSERT INTO cap(x) VALUES (?)', [i]);
    await pending;
    captureMs.push(performance.now() - start);
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
  merge('db-core.json', results);
  merge('reactive.json', { capture_local_p50_ms: round(captureMs[150]!) });
} finally {
  rmSync(dir, { recursive: true, force: true });
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
