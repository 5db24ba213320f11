// changelog_overhead_pct: insert throughput with the change-log triggers vs without, same run.
// Workloads, each against its own same-run baseline:
//  - app rows: 100k inserts of a typical app row (5 columns, one index) in one transaction, one
//    libsql-js run() per row (the FACTS.md methodology); reported as changelog_overhead_pct;
//  - narrow rows: the same with (id, v) rows, the worst case for a per-row trigger;
//  - primary statements: 20k of the same app rows sent to the sqld primary as Hrana pipelines
//    of BEGIN, 1,000 single-row INSERTs, COMMIT (how the servers write), CPU time of sqld;
//  - primary bulk: one INSERT ... SELECT of 100k narrow rows executed by sqld, CPU time of sqld
//    (no per-statement work at all to dilute the triggers: the engine-only worst case).
// Method: CPU time (user + system) of the process doing the work, never wall time (the machine
// is shared). Rounds interleave base and log (order swapped every other round); the figure is
// the median of the per-round ratios (a neighbour's burst hits both halves of a round), with
// the lowest and highest round and the ratio of best times next to it. Results carry the load.
// Designs measured and rejected: see change-log-variants.ts (layouts, with instruction counts in
// change-log-instructions.ts and CPU times in change-log-variants.bench.ts).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSqld } from '@liveframe/native/testing';
import { applyChangeLogSchema, type SqlRunner } from '../src/capture/change-log.ts';
import { Connection } from '../src/connection.ts';
import { APP, INSERT, insertArgs, NARROW, NARROW_INSERT } from './change-log-variants.ts';
import { mergeResults, round } from './replica-bench-helpers.ts';

const N = Number(process.env.BENCH_CHANGELOG_N ?? 100_000);
const ROUNDS = Number(process.env.BENCH_CHANGELOG_ROUNDS ?? 9);
const PRIMARY_ROUNDS = Number(process.env.BENCH_CHANGELOG_PRIMARY_ROUNDS ?? 5);
const PIPELINE = 1_000;
// sqld spends about 120 us of CPU per statement sent over Hrana: 20k rows keep a round near 3 s.
const PRIMARY_N = Number(process.env.BENCH_CHANGELOG_PRIMARY_N ?? 20_000);
const dir = mkdtempSync(join(tmpdir(), 'changelog-bench-'));
const load: number[] = [loadavg()[0]!];

function runner(conn: Connection): SqlRunner {
  return { all: (sql, args) => conn.all(sql, args ?? []), run: (sql, args) => conn.run(sql, args ?? []) };
}

/** Rounds of paired samples: [base, log] CPU milliseconds. */
type Pairs = [number, number][];

interface Summary {
  readonly base_med_ms: number;
  readonly log_med_ms: number;
  readonly overhead_pct: number;
  readonly lowest_pct: number;
  readonly highest_pct: number;
  readonly best_of_pct: number;
}

const sorted = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: readonly number[]) => sorted(xs)[Math.floor(xs.length / 2)]!;

function summarize(pairs: Pairs): Summary {
  const ratios = sorted(pairs.map(([base, log]) => (log / base - 1) * 100));
  const bases = pairs.map((p) => p[0]);
  const logs = pairs.map((p) => p[1]);
  return {
    base_med_ms: round(median(bases)),
    log_med_ms: round(median(logs)),
    overhead_pct: round(median(ratios), 1),
    lowest_pct: round(ratios[0]!, 1),
    highest_pct: round(ratios.at(-1)!, 1),
    best_of_pct: round((Math.min(...logs) / Math.min(...bases) - 1) * 100, 1),
  };
}

/** Runs `round(withLog)` for both sides, interleaved, order swapped every other round. */
async function paired(rounds: number, one: (withLog: boolean) => Promise<number> | number): Promise<Pairs> {
  const pairs: Pairs = [];
  for (let r = 0; r < rounds; r++) {
    const pair: [number, number] = [0, 0];
    for (const withLog of r % 2 === 0 ? [false, true] : [true, false])
      pair[withLog ? 1 : 0] = await one(withLog);
    pairs.push(pair);
    load.push(loadavg()[0]!);
  }
  return pairs;
}

let fileNo = 0;
function localRound(kind: 'app' | 'narrow', withLog: boolean): number {
  const file = join(dir, `local-${fileNo++}.db`);
  const conn = Connection.open(file);
  try {
    conn.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; ${kind === 'app' ? APP : NARROW}`);
    if (withLog) applyChangeLogSchema(runner(conn));
    const start = process.cpuUsage();
    conn.exec('BEGIN');
    if (kind === 'app') for (let i = 0; i < N; i++) conn.run(INSERT, insertArgs(i));
    else for (let i = 0; i < N; i++) conn.run(NARROW_INSERT, [i]);
    conn.exec('COMMIT');
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000;
  } finally {
    conn.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  }
}

/** User + system CPU milliseconds a process used so far (from /proc; 10 ms resolution). */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

try {
  localRound('app', false); // JIT warm-up, not counted
  const app = summarize(await paired(ROUNDS, (withLog) => localRound('app', withLog)));
  const narrow = summarize(await paired(ROUNDS, (withLog) => localRound('narrow', withLog)));

  await using sqld = await startSqld();
  const pid = sqld.pid!;
  // The same DDL on the primary: table `plain` without the log, `logged` with it (the installer
  // runs on a local copy; its statements are replayed on sqld).
  const appOf = (name: string) => APP.replaceAll(' t(', ` ${name}(`).replace('t_owner', `${name}_owner`);
  const narrowOf = (name: string) => NARROW.replace(' t(', ` ${name}(`);
  await sqld.batch([...appOf('plain').split(';'), narrowOf('plain_narrow')].map((sql) => ({ sql })));
  const ddl = Connection.open(join(dir, 'ddl.db'));
  ddl.exec(`${appOf('logged')}; ${narrowOf('logged_narrow')}`);
  applyChangeLogSchema(runner(ddl));
  const statements = ddl.all<{ sql: string }>(
    "SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid",
  );
  ddl.close();
  for (const { sql } of statements) await sqld.execute(sql);
  const emptyLog = statements
    .filter(({ sql }) => /^CREATE TABLE "?_liveframe_/i.test(sql))
    .map(({ sql }) => ({
      sql: `DELETE FROM ${/^CREATE TABLE (?:IF NOT EXISTS )?("[^"]+"|\S+?)\(/i.exec(sql)![1]}`,
    }));

  const primaryStatements = async (withLog: boolean) => {
    const table = withLog ? 'logged' : 'plain';
    await sqld.batch([{ sql: `DELETE FROM ${table}` }, ...emptyLog]);
    const insert = INSERT.replace('INTO t', `INTO ${table}`);
    const cpu = processCpuMs(pid);
    for (let i = 0; i < PRIMARY_N; i += PIPELINE) {
      const rows = Array.from({ length: PIPELINE }, (_, k) => ({ sql: insert, args: insertArgs(i + k) }));
      await sqld.batch([{ sql: 'BEGIN' }, ...rows, { sql: 'COMMIT' }]);
    }
    return processCpuMs(pid) - cpu;
  };
  const statementsSummary = summarize(await paired(PRIMARY_ROUNDS, primaryStatements));

  const bulk = async (withLog: boolean) => {
    const table = withLog ? 'logged_narrow' : 'plain_narrow';
    await sqld.batch([{ sql: `DELETE FROM ${table}` }, ...emptyLog]);
    const cpu = processCpuMs(pid);
    await sqld.execute(
      `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${N}) INSERT INTO ${table}(v) SELECT x FROM c`,
    );
    return processCpuMs(pid) - cpu;
  };
  const bulkSummary = summarize(await paired(PRIMARY_ROUNDS, bulk));

  console.table([
    { workload: `app rows, ${N} run() in 1 tx (headline)`, ...app },
    { workload: `narrow rows, ${N} run() in 1 tx`, ...narrow },
    {
      workload: `primary: ${PRIMARY_N} INSERTs, ${PIPELINE} per pipeline tx (sqld CPU)`,
      ...statementsSummary,
    },
    { workload: `primary: one INSERT..SELECT of ${N} narrow rows (sqld CPU)`, ...bulkSummary },
  ]);
  const loadRange = `${round(Math.min(...load), 1)}-${round(Math.max(...load), 1)}`;
  console.log(
    `rounds ${ROUNDS} local / ${PRIMARY_ROUNDS} primary, 1-minute load average ${loadRange} (2 cores)`,
  );
  mergeResults('reactive.json', {
    changelog_overhead_pct: app.overhead_pct,
    changelog_overhead_range_pct: `${app.lowest_pct}..${app.highest_pct}`,
    changelog_overhead_narrow_pct: narrow.overhead_pct,
    changelog_overhead_primary_statements_pct: statementsSummary.overhead_pct,
    changelog_overhead_primary_bulk_pct: bulkSummary.overhead_pct,
    changelog_overhead_load: loadRange,
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
