// Change-log trigger designs compared on the same inserts/updates, same run, CPU time (user +
// system) of this process. Rounds interleave every variant (order reversed every other round)
// and each variant is compared with the baseline of its own round, so a neighbour's burst hits
// both sides of a ratio; the table gives the median of those paired ratios with the lowest and
// highest, and the ratio of the best times for comparison with older figures. On the shared
// 2-core machine single rounds still move by +-20 points: rank designs by instruction count
// first (change-log-instructions.ts), then confirm here. Exploratory: prints, merges nothing.
// Env: BENCH_CHANGELOG_N, BENCH_CHANGELOG_ROUNDS, BENCH_WORKLOADS (insert,update,narrow),
// BENCH_PRAGMAS, BENCH_VARIANTS (substrings).
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '../src/connection.ts';
import {
  APP,
  insertArgs as args,
  INSERT,
  NARROW,
  NARROW_INSERT,
  PRAGMAS,
  UPDATE,
  VARIANTS,
} from './change-log-variants.ts';
import { round } from './replica-bench-helpers.ts';

type Workload = 'insert' | 'update' | 'narrow';
const N = Number(process.env.BENCH_CHANGELOG_N ?? 100_000);
const ROUNDS = Number(process.env.BENCH_CHANGELOG_ROUNDS ?? 9);
const picked = process.env.BENCH_VARIANTS?.split(',');
const variants = Object.keys(VARIANTS).filter(
  (v) => v === 'none' || picked === undefined || picked.some((p) => v.includes(p)),
);
const dir = mkdtempSync(join(tmpdir(), 'changelog-variants-'));

let fileNo = 0;
function round1(variant: string, pragma: string, workload: Workload): number {
  const file = join(dir, `v-${fileNo++}.db`);
  const conn = Connection.open(file);
  try {
    const narrow = workload === 'narrow';
    conn.exec(
      `PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; ${PRAGMAS[pragma]} ${narrow ? NARROW : APP}`,
    );
    if (workload === 'update') {
      conn.exec('BEGIN');
      for (let i = 0; i < N; i++) conn.run(INSERT, args(i));
      conn.exec('COMMIT');
    }
    const ddl = VARIANTS[variant]!;
    if (ddl !== '') conn.exec(ddl);
    const start = process.cpuUsage();
    conn.exec('BEGIN');
    if (workload === 'insert') for (let i = 0; i < N; i++) conn.run(INSERT, args(i));
    else if (narrow) for (let i = 0; i < N; i++) conn.run(NARROW_INSERT, [i]);
    else for (let i = 1; i <= N; i++) conn.run(UPDATE, [i]);
    conn.exec('COMMIT');
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000;
  } finally {
    conn.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  }
}

const sorted = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: readonly number[]) => sorted(xs)[Math.floor(xs.length / 2)]!;

try {
  const rows: Record<string, unknown>[] = [];
  const load: number[] = [loadavg()[0]!];
  const workloads = (process.env.BENCH_WORKLOADS ?? 'insert,update').split(',') as Workload[];
  for (const workload of workloads) {
    const pragmas = (workload === 'insert' ? Object.keys(PRAGMAS) : ['default']).filter((p) =>
      (process.env.BENCH_PRAGMAS ?? 'default').split(',').includes(p),
    );
    for (const pragma of pragmas) {
      const samples = new Map<string, number[]>(variants.map((v) => [v, []]));
      round1('none', pragma, workload); // JIT warm-up, not counted
      for (let r = 0; r < ROUNDS; r++) {
        for (const v of r % 2 === 0 ? variants : [...variants].reverse()) {
          samples.get(v)!.push(round1(v, pragma, workload));
        }
        load.push(loadavg()[0]!);
      }
      const base = samples.get('none')!;
      for (const [v, ms] of samples) {
        if (v === 'none') continue;
        const paired = sorted(ms.map((m, i) => (m / base[i]! - 1) * 100));
        rows.push({
          workload,
          pragma,
          variant: v,
          base_med_ms: round(median(base)),
          log_med_ms: round(median(ms)),
          paired_median_pct: round(median(paired), 1),
          paired_min_pct: round(paired[0]!, 1),
          paired_max_pct: round(paired.at(-1)!, 1),
          best_of_pct: round((Math.min(...ms) / Math.min(...base) - 1) * 100, 1),
        });
      }
    }
  }
  console.table(rows);
  console.log(
    `rounds ${ROUNDS}, rows ${N}, 1-minute load average ${round(Math.min(...load), 1)}-${round(Math.max(...load), 1)}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
