// Benchmark of the native layer: change-capture overhead on bulk inserts and JS SQL function
// throughput. Modes are interleaved and repeated, medians reported, ratios against the
// baseline measured in the same run. Not part of the test suite.
//
// Overheads are computed from process CPU time (user + system), not wall time: the machines this
// runs on are shared (2 cores, load often > 4), and wall time then measures the neighbours.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { addonPath, attachExtension, type LibsqlDatabase, loadLibsql } from '../src/index.ts';

const ROWS = 100_000;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 11);
const POINT_SELECTS = 50_000;

const Database = loadLibsql();
const dir = mkdtempSync(path.join(tmpdir(), 'liveframe-native-bench-'));
let fileNo = 0;

function openDb(): LibsqlDatabase {
  const db = new Database(path.join(dir, `b${fileNo++}.db`));
  db.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL');
  db.exec('CREATE TABLE items(id INTEGER PRIMARY KEY, v TEXT, n INTEGER)');
  return db;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

type InsertMode = 'none' | 'batched' | 'per-event';

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** One transaction of ROWS inserts; returns CPU and wall milliseconds including delivery to JS. */
function insertRun(mode: InsertMode): { cpu: number; wall: number } {
  const db = openDb();
  let seen = 0;
  const conn = mode === 'none' ? undefined : attachExtension(db);
  if (mode === 'batched') conn?.onCommit((b) => (seen += b.size));
  if (mode === 'per-event') conn?.setPerEventListener(() => seen++);
  const insert = db.prepare('INSERT INTO items(v, n) VALUES (?, ?)');
  const started = performance.now();
  const startedCpu = cpuMs();
  db.exec('BEGIN');
  for (let i = 0; i < ROWS; i++) insert.run(`value-${i}`, i);
  db.exec('COMMIT');
  conn?.drain();
  const elapsed = { cpu: cpuMs() - startedCpu, wall: performance.now() - started };
  if (mode !== 'none' && seen !== ROWS) throw new Error(`${mode}: saw ${seen} events, expected ${ROWS}`);
  conn?.[Symbol.dispose]();
  db.close();
  return elapsed;
}

function fillForReads(): { db: LibsqlDatabase; dispose: () => void } {
  const db = openDb();
  const conn = attachExtension(db, { capture: false });
  conn.defineFunction('js_upper', (s) => String(s).toUpperCase(), { deterministic: true });
  conn.defineFunction('js_add1', (n) => Number(n) + 1, { deterministic: true });
  const insert = db.prepare('INSERT INTO items(v, n) VALUES (?, ?)');
  db.exec('BEGIN');
  for (let i = 0; i < ROWS; i++) insert.run(`value-${i}`, i);
  db.exec('COMMIT');
  return {
    db,
    dispose: () => {
      conn[Symbol.dispose]();
      db.close();
    },
  };
}

function pointSelects(db: LibsqlDatabase, expr: string): number {
  const stmt = db.prepare(`SELECT ${expr} FROM items WHERE id = ?`).raw();
  const started = cpuMs();
  for (let i = 0; i < POINT_SELECTS; i++) stmt.get(1 + ((i * 7919) % ROWS));
  return POINT_SELECTS / ((cpuMs() - started) / 1000);
}

function scanCallsPerSec(db: LibsqlDatabase, expr: string): number {
  const stmt = db.prepare(`SELECT sum(${expr}) FROM items`).raw();
  const started = cpuMs();
  stmt.get();
  return ROWS / ((cpuMs() - started) / 1000);
}

const runs: Record<InsertMode, { cpu: number; wall: number }[]> = { none: [], batched: [], 'per-event': [] };
const reads = {
  builtinPoint: [] as number[],
  udfPoint: [] as number[],
  builtinScan: [] as number[],
  udfScan: [] as number[],
};

try {
  insertRun('none'); // warm-up: page cache, JIT
  insertRun('batched');
  for (let r = 0; r < REPEATS; r++) {
    // Rotate the order so no mode always runs first.
    const order: InsertMode[] = (['none', 'batched', 'per-event'] as const).map(
      (_, i, all) => all[(i + r) % all.length] as InsertMode,
    );
    for (const mode of order) runs[mode].push(insertRun(mode));
  }
  const { db, dispose } = fillForReads();
  pointSelects(db, 'upper(v)');
  pointSelects(db, 'js_upper(v)');
  for (let r = 0; r < REPEATS; r++) {
    reads.builtinPoint.push(pointSelects(db, 'upper(v)'));
    reads.udfPoint.push(pointSelects(db, 'js_upper(v)'));
    reads.builtinScan.push(scanCallsPerSec(db, 'n + 1'));
    reads.udfScan.push(scanCallsPerSec(db, 'js_add1(n)'));
  }
  dispose();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const cpu = (mode: InsertMode): number => median(runs[mode].map((r) => r.cpu));
const wall = (mode: InsertMode): number => median(runs[mode].map((r) => r.wall));
const none = cpu('none');
const batched = cpu('batched');
const perEvent = cpu('per-event');
const pct = (x: number): number => Math.round(((x - none) / none) * 1000) / 10;
const rate = (ms: number): number => Math.round(ROWS / (ms / 1000));

const rows: [string, string, string, string][] = [
  ['case', 'cpu (wall)', 'rate (cpu)', 'vs baseline'],
  [
    '100k inserts, 1 txn: no hook (baseline)',
    `${none.toFixed(0)} ms (${wall('none').toFixed(0)})`,
    `${rate(none)}/s`,
    '1.00x',
  ],
  [
    '100k inserts, 1 txn: batched hooks',
    `${batched.toFixed(0)} ms (${wall('batched').toFixed(0)})`,
    `${rate(batched)}/s`,
    `${(batched / none).toFixed(3)}x`,
  ],
  [
    '100k inserts, 1 txn: per-event JS calls',
    `${perEvent.toFixed(0)} ms (${wall('per-event').toFixed(0)})`,
    `${rate(perEvent)}/s`,
    `${(perEvent / none).toFixed(3)}x`,
  ],
];
const bp = median(reads.builtinPoint);
const up = median(reads.udfPoint);
const bs = median(reads.builtinScan);
const us = median(reads.udfScan);
rows.push(['point select upper(v) (baseline)', '', `${Math.round(bp)}/s`, '1.00x']);
rows.push(['point select js_upper(v)', '', `${Math.round(up)}/s`, `${(up / bp).toFixed(3)}x`]);
rows.push(['scan sum(n + 1) (baseline)', '', `${Math.round(bs)} rows/s`, '1.00x']);
rows.push(['scan sum(js_add1(n))', '', `${Math.round(us)} calls/s`, `${(us / bs).toFixed(3)}x`]);

const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]?.length ?? 0)));
console.log(`@liveframe/native bench: median of ${REPEATS} interleaved runs (Node ${process.version})`);
for (const r of rows)
  console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  '));

// Instruction counts of the same workload in bare child processes under valgrind (callgrind),
// immune to machine load: when available they are the headline overhead figures, CPU-time medians
// are kept as *_cpu_pct. Takes several minutes; BENCH_ICOUNT=0 skips it.
function instructions(mode: InsertMode, rows: number): number {
  const child = fileURLToPath(new URL('./insert-workload.cjs', import.meta.url));
  const libsql = createRequire(import.meta.url).resolve('libsql');
  const run = spawnSync(
    'valgrind',
    [
      '--tool=callgrind',
      '--callgrind-out-file=/dev/null',
      process.execPath,
      child,
      mode,
      String(rows),
      addonPath(),
      libsql,
    ],
    { encoding: 'utf8' },
  );
  const match = /Collected : (\d+)/.exec(run.stderr);
  if (run.status !== 0 || match?.[1] === undefined)
    throw new Error(`valgrind failed: ${run.stderr.slice(-500)}`);
  return Number(match[1]);
}

let icount: Record<string, number> = {};
const valgrindAvailable = spawnSync('valgrind', ['--version']).status === 0;
if (process.env.BENCH_ICOUNT !== '0' && valgrindAvailable) {
  const rowsForCount = 20_000;
  const base = instructions('none', 0);
  const work = instructions('none', rowsForCount) - base;
  const batchedExtra = instructions('batched', rowsForCount) - base - work;
  const perEventExtra = instructions('per-event', rowsForCount) - base - work;
  icount = {
    hook_overhead_icount_pct: Math.round((batchedExtra / work) * 1000) / 10,
    hook_per_event_overhead_icount_pct: Math.round((perEventExtra / work) * 1000) / 10,
    insert_instructions_per_row: Math.round(work / rowsForCount),
  };
  console.log(`instruction counts (${rowsForCount} inserts, valgrind):`, icount);
}

const results = {
  hook_overhead_pct: icount.hook_overhead_icount_pct ?? pct(batched),
  hook_per_event_overhead_pct: icount.hook_per_event_overhead_icount_pct ?? pct(perEvent),
  overhead_method: icount.hook_overhead_icount_pct === undefined ? 'cpu-time median' : 'instruction count',
  ...icount,
  hook_overhead_cpu_pct: pct(batched),
  hook_per_event_overhead_cpu_pct: pct(perEvent),
  udf_calls_per_sec: Math.round(us),
  insert_100k_none_cpu_ms: Math.round(none * 10) / 10,
  insert_100k_batched_cpu_ms: Math.round(batched * 10) / 10,
  insert_100k_per_event_cpu_ms: Math.round(perEvent * 10) / 10,
  insert_100k_none_wall_ms: Math.round(wall('none') * 10) / 10,
  hook_overhead_wall_pct: Math.round(((wall('batched') - wall('none')) / wall('none')) * 1000) / 10,
  load_average_1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  point_select_builtin_per_sec: Math.round(bp),
  point_select_udf_per_sec: Math.round(up),
  point_select_udf_ratio: Math.round((up / bp) * 1000) / 1000,
  scan_builtin_rows_per_sec: Math.round(bs),
  repeats: REPEATS,
  node: process.version,
};
const out = fileURLToPath(new URL('../../../bench/results/native.json', import.meta.url));
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
console.log(`wrote ${out}`);
console.log(JSON.stringify(results));
