// Change-log trigger variants compared by instruction count instead of CPU time: each variant
// runs in its own process under valgrind's callgrind, instrumented only around the measured
// loop (toggled with callgrind_control after a JIT warm-up on another table). The triggers only
// change what runs inside libsql-js's native run() (SQLite), so the extra cost is taken from the
// inclusive count of Node-API callbacks, which repeats exactly; the whole loop's count (JS,
// V8's compiler and GC threads included, repeatable to about 2%) is the baseline it is divided
// by. CPU time on the shared 2-core machine moved by +-20 points between rounds.
// Instructions are not time (memory stalls, syscalls and the WAL writes of a spilling cache are
// invisible), so this ranks designs; change-log-variants.bench.ts checks the ranking in time.
// Slow (about a minute per variant) and needs valgrind: run by hand, never from run-all.
//   npx tsx packages/db-core/bench/change-log-instructions.ts [variant substrings...]
// Env: BENCH_CHANGELOG_N (rows, default 20000), BENCH_WORKLOADS (app,app_or_fail,narrow,update,delete).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '../src/connection.ts';
import {
  APP,
  DELETE,
  INSERT,
  insertArgs,
  NARROW,
  NARROW_INSERT,
  UPDATE,
  VARIANTS,
} from './change-log-variants.ts';
import { round } from './replica-bench-helpers.ts';

// app_or_fail is a diagnostic, not a design: the same inserts as `app` with OR FAIL, which keeps
// SQLite from opening a statement journal for every statement of a table that has triggers.
type Workload = 'app' | 'app_or_fail' | 'narrow' | 'update' | 'delete';
const WARM = 20_000;

function child(variant: string, workload: Workload, n: number, file: string): void {
  const conn = Connection.open(file);
  const narrow = workload === 'narrow';
  const insert = narrow
    ? NARROW_INSERT
    : workload === 'app_or_fail'
      ? INSERT.replace('INSERT', 'INSERT OR FAIL')
      : INSERT;
  const args = narrow ? (i: number) => [i] : insertArgs;
  conn.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; ${narrow ? NARROW : APP}`);
  // Warm-up on a copy of the table (same statement shapes), and the rows an update run changes.
  conn.exec('CREATE TABLE w AS SELECT * FROM t WHERE 0');
  conn.exec('BEGIN');
  for (let i = 0; i < WARM; i++) conn.run(insert.replace('INTO t', 'INTO w'), args(i));
  if (workload === 'update' || workload === 'delete') for (let i = 0; i < n; i++) conn.run(insert, args(i));
  conn.exec('COMMIT');
  const ddl = VARIANTS[variant];
  if (ddl === undefined) throw new Error(`unknown variant ${variant}`);
  if (ddl !== '') conn.exec(ddl);
  const toggle = (state: string) =>
    spawnSync('callgrind_control', [`--instr=${state}`, String(process.pid)], { stdio: 'ignore' });
  toggle('on');
  conn.exec('BEGIN');
  if (workload === 'update') for (let i = 1; i <= n; i++) conn.run(UPDATE, [i]);
  else if (workload === 'delete') for (let i = 1; i <= n; i++) conn.run(DELETE, [i]);
  else for (let i = 0; i < n; i++) conn.run(insert, args(i));
  conn.exec('COMMIT');
  toggle('off');
  conn.close();
}

interface Count {
  /** Everything while instrumented: the loop's whole cost. */
  readonly total: number;
  /** Inclusive cost of Node-API callbacks: libsql-js's native side, SQLite included. */
  readonly native: number;
}

function measure(variant: string, workload: Workload, n: number, dir: string): Count {
  const out = join(dir, 'callgrind.out');
  const result = spawnSync(
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      `--callgrind-out-file=${out}`,
      process.execPath,
      '--import',
      'tsx',
      fileURLToPath(import.meta.url),
      '--child',
      variant,
      workload,
      String(n),
      join(dir, 'db.sqlite'),
    ],
    { encoding: 'utf8' },
  );
  for (const suffix of ['', '-wal', '-shm']) rmSync(join(dir, `db.sqlite${suffix}`), { force: true });
  const match = /I\s+refs:\s+([\d,]+)/.exec(result.stderr);
  if (match === null) throw new Error(`callgrind failed for ${variant}: ${result.stderr.slice(-2000)}`);
  const annotated = spawnSync('callgrind_annotate', ['--inclusive=yes', out], { encoding: 'utf8' }).stdout;
  const callback = /^\s*([\d,]+)\s.*FunctionCallbackWrapper::Invoke/m.exec(annotated);
  if (callback === null) throw new Error('no Node-API callback in the callgrind profile');
  const count = (text: string) => Number(text.replaceAll(',', ''));
  return { total: count(match[1]!), native: count(callback[1]!) };
}

if (process.argv[2] === '--child') {
  const [variant, workload, n, file] = process.argv.slice(3);
  child(variant!, workload as Workload, Number(n), file!);
} else {
  const n = Number(process.env.BENCH_CHANGELOG_N ?? 20_000);
  const workloads = (process.env.BENCH_WORKLOADS ?? 'app').split(',') as Workload[];
  const only = process.argv.slice(2);
  const variants = Object.keys(VARIANTS).filter(
    (v) => v !== 'none' && (only.length === 0 || only.some((o) => v.includes(o))),
  );
  const dir = mkdtempSync(join(tmpdir(), 'changelog-instructions-'));
  try {
    for (const workload of workloads) {
      // Per-row cost of the baseline from two sizes: the difference drops the fixed part
      // (toggling, the transaction) that both sizes share.
      const half = measure('none', workload, n / 2, dir);
      const base = measure('none', workload, n, dir);
      const perRow = (base.total - half.total) / (n / 2);
      const nativePerRow = (base.native - half.native) / (n / 2);
      const rows: Record<string, unknown>[] = [
        {
          workload,
          variant: 'none',
          per_row: Math.round(perRow),
          native_per_row: Math.round(nativePerRow),
          overhead_pct: 0,
          whole_loop_pct: 0,
        },
      ];
      for (const variant of variants) {
        const count = measure(variant, workload, n, dir);
        const extra = (count.native - base.native) / n;
        rows.push({
          workload,
          variant,
          per_row: Math.round(perRow + extra),
          native_per_row: Math.round(nativePerRow + extra),
          overhead_pct: round((extra / perRow) * 100, 1),
          // The same from whole-loop counts: includes V8's noise, a check on the column before.
          whole_loop_pct: round(((count.total - base.total) / n / perRow) * 100, 1),
        });
        console.log(JSON.stringify(rows.at(-1)));
      }
      console.table(rows);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
