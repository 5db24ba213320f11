// Change-log trigger designs compared on the same inserts/updates, same run, CPU time, best of
// interleaved rounds (see change-log-overhead.bench.ts for the method). Exploratory: prints a
// table, merges nothing. Each variant is a full trigger set for table t plus its log table.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '../src/connection.ts';
import { APP, insertArgs as args, INSERT, PRAGMAS, VARIANTS } from './change-log-variants.ts';
import { round } from './replica-bench-helpers.ts';

const N = Number(process.env.BENCH_CHANGELOG_N ?? 100_000);
const ROUNDS = Number(process.env.BENCH_CHANGELOG_ROUNDS ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'changelog-variants-'));

let fileNo = 0;
function round1(variant: string, pragma: string, workload: 'insert' | 'update'): number {
  const conn = Connection.open(join(dir, `v-${fileNo++}.db`));
  try {
    conn.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; ${PRAGMAS[pragma]} ${APP}`);
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
    else for (let i = 1; i <= N; i++) conn.run('UPDATE t SET done = 1 - done WHERE id = ?', [i]);
    conn.exec('COMMIT');
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000;
  } finally {
    conn.close();
    rmSync(join(dir, `v-${fileNo - 1}.db`), { force: true });
    rmSync(join(dir, `v-${fileNo - 1}.db-wal`), { force: true });
    rmSync(join(dir, `v-${fileNo - 1}.db-shm`), { force: true });
  }
}

try {
  const rows: Record<string, unknown>[] = [];
  for (const workload of ['insert', 'update'] as const) {
    const pragmas = (workload === 'insert' ? Object.keys(PRAGMAS) : ['default']).filter((p) =>
      (process.env.BENCH_PRAGMAS ?? 'default').split(',').includes(p),
    );
    for (const pragma of pragmas) {
      const best = new Map<string, number>();
      for (let r = 0; r < ROUNDS; r++) {
        for (const v of Object.keys(VARIANTS)) {
          best.set(v, Math.min(best.get(v) ?? Number.POSITIVE_INFINITY, round1(v, pragma, workload)));
        }
      }
      const base = best.get('none')!;
      for (const [v, ms] of best) {
        if (v === 'none') continue;
        rows.push({
          workload,
          pragma,
          variant: v,
          base_ms: round(base),
          log_ms: round(ms),
          overhead_pct: round((ms / base - 1) * 100, 1),
        });
      }
    }
  }
  console.table(rows);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
