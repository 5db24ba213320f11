// Point selects by primary key through liveframe's @libsql/client-compatible client vs
// @libsql/client itself, on the same local file in the same run (npm run bench -- libsql-client).
// Merges client_execute_vs_raw_libsql (liveframe / upstream, target >= 1.0) into bench/results/db-core.json.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient as createUpstreamClient } from '@libsql/client';
import type { Client } from '@libsql/core/api';
import { Connection } from '../src/connection.ts';
import { openDatabase } from '../src/database.ts';
import { createLibsqlClient } from '../src/libsql-client/libsql-client.ts';
import { mergeResults } from './replica-bench-helpers.ts';

const ROWS = 10_000;
const N = Number(process.env.BENCH_N ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const SQL = 'SELECT id, name, v FROM t WHERE id = ?';

/** Deterministic random ids in [1, ROWS]: both clients read the same sequence. */
function ids(count: number, seed: number): number[] {
  let s = seed >>> 0;
  const out: number[] = new Array(count);
  for (let i = 0; i < count; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    out[i] = 1 + (((t ^ (t >>> 14)) >>> 0) % ROWS);
  }
  return out;
}

/** Sequential awaited point selects (how an app or an ORM issues them), as ops/s. */
async function opsPerSec(client: Client, keys: readonly number[]): Promise<number> {
  const start = process.hrtime.bigint();
  for (const id of keys) {
    const rs = await client.execute({ sql: SQL, args: [id] });
    if (rs.rows.length !== 1) throw new Error(`row ${id} missing`);
  }
  return keys.length / (Number(process.hrtime.bigint() - start) / 1e9);
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const dir = mkdtempSync(join(tmpdir(), 'db-core-client-bench-'));
try {
  const path = join(dir, 'bench.db');
  const setup = Connection.open(path);
  setup.exec(`PRAGMA journal_mode=WAL; CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v REAL);
    WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${ROWS})
    INSERT INTO t SELECT x, 'name' || x, x * 1.5 FROM c;`);
  setup.close();

  const upstream = createUpstreamClient({ url: `file:${path}` });
  const db = await openDatabase({ mode: 'local', path });
  const liveframe = createLibsqlClient(db);

  // Warm-up: JIT, statement cache, page cache, for both.
  const warm = ids(5_000, 1);
  await opsPerSec(upstream, warm);
  await opsPerSec(liveframe, warm);

  // Interleaved rounds (alternating who goes first), median of each and of the per-round ratios:
  // on a shared machine the load drifts between rounds.
  const upstreamOps: number[] = [];
  const liveframeOps: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const keys = ids(N, 100 + round);
    let u: number;
    let l: number;
    if (round % 2 === 0) {
      u = await opsPerSec(upstream, keys);
      l = await opsPerSec(liveframe, keys);
    } else {
      l = await opsPerSec(liveframe, keys);
      u = await opsPerSec(upstream, keys);
    }
    upstreamOps.push(u);
    liveframeOps.push(l);
    ratios.push(l / u);
  }
  upstream.close();
  liveframe.close();
  await db.close();

  const ratio = Math.round(median(ratios) * 100) / 100;
  const results = {
    client_execute_vs_raw_libsql: ratio,
    client_execute_ops_s: Math.round(median(liveframeOps)),
    raw_libsql_client_execute_ops_s: Math.round(median(upstreamOps)),
  };
  console.table([
    { client: '@libsql/client (file:)', 'median ops/s': results.raw_libsql_client_execute_ops_s, ratio: 1 },
    { client: 'liveframe createLibsqlClient (local)', 'median ops/s': results.client_execute_ops_s, ratio },
  ]);
  console.log(
    `rounds=${ROUNDS} n=${N} per-round ratios=${ratios.map((r) => r.toFixed(2)).join(' ')} loadavg=${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  mergeResults('db-core.json', results);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
