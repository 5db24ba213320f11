// changelog_overhead_pct: insert throughput with the change-log triggers vs without, same run.
// Three workloads, each against its own same-run baseline:
//  - app rows: 100k inserts of a typical app row (5 columns, one index) in one transaction, one
//    libsql-js run() per row (the FACTS.md methodology); reported as changelog_overhead_pct;
//  - narrow rows: the same with (id, v) rows, the worst case for a per-row trigger;
//  - primary bulk: one INSERT ... SELECT of 100k rows executed by the sqld primary itself.
// CPU time (user + system) of the process, best of several interleaved rounds: the machine is
// shared, and wall time measured mostly the neighbours. Measured and rejected designs (same
// method): AUTOINCREMENT log +80-90%; a range log that extends the newest row (UPDATE ... hi)
// +148%; integer table ids or one packed integer column: no better than the text column; an
// empty trigger body costs ~0%, so the cost is the log row's b-tree insert itself.
// Re-measured in change-log-variants.bench.ts (20k app rows, best of 12-25 rounds, load ~8 on 2
// cores, noise about +-6 points): text tbl 38-49%, integer tbl id 45-57%, coalescing one row per
// (tbl, rid) with a UNIQUE index + UPSERT 73-82% inserts / 93% updates, a separate UPDATE OF rowid
// trigger for moved rows 38-44% inserts / 54% updates (vs 52%); cache_size / temp_store pragmas
// change base and log alike. The text layout stays.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSqld } from '@liveframe/native/testing';
import { applyChangeLogSchema, type SqlRunner } from '../src/capture/change-log.ts';
import { Connection } from '../src/connection.ts';
import { mergeResults, round } from './replica-bench-helpers.ts';

const N = Number(process.env.BENCH_CHANGELOG_N ?? 100_000);
const ROUNDS = Number(process.env.BENCH_CHANGELOG_ROUNDS ?? 7);
const dir = mkdtempSync(join(tmpdir(), 'changelog-bench-'));

const SCHEMAS = {
  app: 'CREATE TABLE t(id INTEGER PRIMARY KEY, title TEXT NOT NULL, done INTEGER NOT NULL, owner TEXT NOT NULL, created_at INTEGER NOT NULL); CREATE INDEX t_owner ON t(owner)',
  narrow: 'CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER)',
} as const;
const INSERTS = {
  app: {
    sql: 'INSERT INTO t(title, done, owner, created_at) VALUES (?, ?, ?, ?)',
    args: (i: number) => [`todo item number ${i}`, i & 1, `user${i % 97}`, 1_700_000_000 + i],
  },
  narrow: { sql: 'INSERT INTO t(v) VALUES (?)', args: (i: number) => [i] },
} as const;

function runner(conn: Connection): SqlRunner {
  return { all: (sql, args) => conn.all(sql, args ?? []), run: (sql, args) => conn.run(sql, args ?? []) };
}

let fileNo = 0;
function localRound(kind: keyof typeof SCHEMAS, withLog: boolean): number {
  const conn = Connection.open(join(dir, `local-${fileNo++}.db`));
  try {
    conn.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; ${SCHEMAS[kind]}`);
    if (withLog) applyChangeLogSchema(runner(conn));
    const insert = INSERTS[kind];
    const start = process.cpuUsage();
    conn.exec('BEGIN');
    for (let i = 0; i < N; i++) conn.run(insert.sql, insert.args(i));
    conn.exec('COMMIT');
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000;
  } finally {
    conn.close();
  }
}

function best(kind: keyof typeof SCHEMAS): { base: number; log: number } {
  let base = Number.POSITIVE_INFINITY;
  let log = Number.POSITIVE_INFINITY;
  for (let r = 0; r < ROUNDS; r++) {
    base = Math.min(base, localRound(kind, false));
    log = Math.min(log, localRound(kind, true));
  }
  return { base, log };
}

try {
  const app = best('app');
  const narrow = best('narrow');

  // The primary's own cost: sqld runs the statement; wall time of the request, best of rounds.
  await using sqld = await startSqld();
  const bulk = `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${N}) INSERT INTO %T(v) SELECT x FROM c`;
  await sqld.execute('CREATE TABLE plain(id INTEGER PRIMARY KEY, v INTEGER)');
  await sqld.execute('CREATE TABLE logged(id INTEGER PRIMARY KEY, v INTEGER)');
  // Install the log on the primary through a local copy of the same statements (the driver runs them delegated).
  const ddl = Connection.open(join(dir, 'ddl.db'));
  ddl.exec('CREATE TABLE logged(id INTEGER PRIMARY KEY, v INTEGER)');
  applyChangeLogSchema(runner(ddl));
  const statements = ddl.all<{ sql: string }>(
    "SELECT sql FROM sqlite_schema WHERE name LIKE '\\_liveframe%' ESCAPE '\\' AND sql IS NOT NULL",
  );
  ddl.close();
  for (const { sql } of statements) await sqld.execute(sql);
  let plain = Number.POSITIVE_INFINITY;
  let logged = Number.POSITIVE_INFINITY;
  for (let r = 0; r < Math.max(3, ROUNDS - 2); r++) {
    await sqld.execute('DELETE FROM plain');
    let t = performance.now();
    await sqld.execute(bulk.replace('%T', 'plain'));
    plain = Math.min(plain, performance.now() - t);
    await sqld.execute('DELETE FROM logged');
    await sqld.execute('DELETE FROM _liveframe_changes');
    t = performance.now();
    await sqld.execute(bulk.replace('%T', 'logged'));
    logged = Math.min(logged, performance.now() - t);
  }

  const pct = (x: { base: number; log: number }) => round((x.log / x.base - 1) * 100, 1);
  const rows = [
    {
      workload: `app rows, ${N} run() in 1 tx (headline)`,
      base_ms: round(app.base),
      log_ms: round(app.log),
      ratio: round(app.log / app.base),
      overhead_pct: pct(app),
    },
    {
      workload: `narrow rows, ${N} run() in 1 tx`,
      base_ms: round(narrow.base),
      log_ms: round(narrow.log),
      ratio: round(narrow.log / narrow.base),
      overhead_pct: pct(narrow),
    },
    {
      workload: `primary bulk INSERT..SELECT ${N}`,
      base_ms: round(plain),
      log_ms: round(logged),
      ratio: round(logged / plain),
      overhead_pct: pct({ base: plain, log: logged }),
    },
  ];
  console.table(rows);
  mergeResults('reactive.json', {
    changelog_overhead_pct: pct(app),
    changelog_overhead_narrow_pct: pct(narrow),
    changelog_overhead_primary_bulk_pct: pct({ base: plain, log: logged }),
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
