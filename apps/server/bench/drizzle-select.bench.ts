import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createLiveframe,
  createLiveframeMiddleware,
  formatLiveframeError,
  type Identity,
  type LiveframeContext,
  type LiveframeMeta,
  liveframeContext,
  liveRouter,
  requestClient,
} from '@liveframe/server';
import { initTRPC } from '@trpc/server';
import { eq, sql } from 'drizzle-orm';
import { drizzle, type LibSQLDatabase } from 'drizzle-orm/libsql';
import { integer, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import superjson from 'superjson';
import { z } from 'zod';

/**
 * `npm run bench:drizzle -w @liveframe/demo-server`: point selects by primary key inside a
 * procedure, raw `ctx.db.get(sql)` vs Drizzle on `ctx.client`, in the same run.
 *
 * - drizzle_select_vs_raw_ctx_db (target >= 0.8): each call goes through the tRPC caller with a
 *   context built per call as the server builds one per HTTP request (liveframe's base context, then
 *   the app's createContext). The raw app's createContext is liveframe's default (base); the Drizzle
 *   app's builds `drizzle(base.client, { schema })`, as an app does. liveframe's middleware runs
 *   in both (read-your-writes floor, error mapping).
 * - drizzle_select_vs_raw_ctx_db_query_only: the two statements alone on one request context
 *   (permission check and all, no tRPC call, no context construction).
 * - drizzle_query_build_only_ops_s: Drizzle building the same select without running it, to see
 *   how much of the difference is the query builder's own work.
 * - drizzle_select_ceiling_vs_raw_ctx_db: the best ratio a Drizzle select built per call could
 *   reach if running it cost nothing more than the raw call: raw call time / (raw call time +
 *   Drizzle's build time), both from this run.
 *
 * Warm-up, then interleaved rounds (alternating which goes first), medians. Merges into
 * bench/results/db-core.json. Never part of the test suite.
 */
const ROWS = 10_000;
const N = Number(process.env.BENCH_N ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const SQL = 'SELECT id, name, v FROM items WHERE id = ?';

const items = sqliteTable('items', { id: integer('id').primaryKey(), name: text('name'), v: real('v') });
const schema = { items };
type DrizzleContext = LiveframeContext & { readonly drizzle: LibSQLDatabase<typeof schema> };

const t = initTRPC
  .context<DrizzleContext>()
  .meta<LiveframeMeta>()
  .create({ transformer: superjson, errorFormatter: formatLiveframeError });
const procedure = t.procedure.use(createLiveframeMiddleware(t));
const byId = procedure.input(z.object({ id: z.number().int() }));
// The app-wide pattern: one Drizzle instance on requestClient() (each statement runs on the
// calling request's ctx.client), and a statement prepared once for the life of the app.
const appDb = drizzle(requestClient(), { schema });
const preparedById = appDb
  .select()
  .from(items)
  .where(eq(items.id, sql.placeholder('id')))
  .prepare();
const router = t.router({
  live: liveRouter,
  raw: byId.query(({ ctx, input }) => ctx.db.get(SQL, [input.id]) ?? null),
  drizzle: byId.query(async ({ ctx, input }) => {
    const [row] = await ctx.drizzle.select().from(items).where(eq(items.id, input.id));
    return row ?? null;
  }),
  drizzleAppWide: byId.query(async ({ input }) => {
    const [row] = await appDb.select().from(items).where(eq(items.id, input.id));
    return row ?? null;
  }),
  drizzlePrepared: byId.query(async ({ input }) => (await preparedById.get({ id: input.id })) ?? null),
});
const createCaller = t.createCallerFactory(router);

/** Deterministic ids in [1, ROWS]: both sides read the same sequence. */
function ids(count: number, seed: number): number[] {
  let s = seed >>> 0;
  const out: number[] = new Array(count);
  for (let i = 0; i < count; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = Math.imul(s ^ (s >>> 15), 1 | s);
    x ^= x + Math.imul(x ^ (x >>> 7), 61 | x);
    out[i] = 1 + (((x ^ (x >>> 14)) >>> 0) % ROWS);
  }
  return out;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function opsPerSec(keys: readonly number[], call: (id: number) => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  for (const id of keys) {
    const row = (await call(id)) as { id: number } | null;
    if (row?.id !== id) throw new Error(`row ${id} missing`);
  }
  return keys.length / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** Runs `a` and `b` interleaved over the same keys; medians of ops/s and of the per-round ratios b/a. */
async function compare(a: (id: number) => Promise<unknown>, b: (id: number) => Promise<unknown>) {
  const warm = ids(5_000, 1);
  await opsPerSec(warm, a);
  await opsPerSec(warm, b);
  const aOps: number[] = [];
  const bOps: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const keys = ids(N, 100 + round);
    let x: number;
    let y: number;
    if (round % 2 === 0) {
      x = await opsPerSec(keys, a);
      y = await opsPerSec(keys, b);
    } else {
      y = await opsPerSec(keys, b);
      x = await opsPerSec(keys, a);
    }
    aOps.push(x);
    bOps.push(y);
    ratios.push(y / x);
  }
  return { a: median(aOps), b: median(bOps), ratio: median(ratios), ratios };
}

const dir = mkdtempSync(join(tmpdir(), 'drizzle-select-bench-'));
try {
  const liveframe = await createLiveframe({
    router,
    schema: `CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, v REAL);
      WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${ROWS})
      INSERT INTO items SELECT x, 'name' || x, x * 1.5 FROM c;`,
    config: { dbPath: join(dir, 'bench.db'), authSecret: 'bench', logLevel: 'silent' },
  });
  try {
    const { services } = liveframe;
    const identity: Identity = { userId: 'bench', tenantId: 't', role: 'admin' };
    // What createLiveframe's createContext does per HTTP request once the token is verified.
    const base = () =>
      liveframeContext<Identity>({
        identity,
        db: services.requestDatabase(identity),
        services,
        headerMinFrame: undefined,
        socket: undefined,
      });
    const rawApp = (id: number) => createCaller(base() as DrizzleContext).raw({ id });
    const drizzleApp = (id: number) => {
      const ctx = base();
      return createCaller({ ...ctx, drizzle: drizzle(ctx.client, { schema }) }).drizzle({ id });
    };
    const procedures = await compare(rawApp, drizzleApp);
    const appWide = await compare(rawApp, (id) =>
      createCaller(base() as DrizzleContext).drizzleAppWide({ id }),
    );
    const prepared = await compare(rawApp, (id) =>
      createCaller(base() as DrizzleContext).drizzlePrepared({ id }),
    );

    const ctx = base();
    const orm = drizzle(ctx.client, { schema });
    const queries = await compare(
      async (id) => ctx.db.get(SQL, [id]) ?? null,
      async (id) => (await orm.select().from(items).where(eq(items.id, id)))[0] ?? null,
    );

    // Where Drizzle's time goes: building the statement alone (no execution), for the report.
    const build = await compare(
      async (id) => ctx.db.get(SQL, [id]) ?? null,
      async (id) => {
        orm.select().from(items).where(eq(items.id, id)).toSQL();
        return { id };
      },
    );

    const r2 = (value: number) => Math.round(value * 100) / 100;
    const rawCallUs = 1e6 / procedures.a;
    const buildUs = 1e6 / build.b;
    const results = {
      drizzle_select_vs_raw_ctx_db: r2(procedures.ratio),
      drizzle_select_app_wide_vs_raw_ctx_db: r2(appWide.ratio),
      drizzle_prepared_select_vs_raw_ctx_db: r2(prepared.ratio),
      drizzle_select_vs_raw_ctx_db_query_only: r2(queries.ratio),
      drizzle_select_procedure_ops_s: Math.round(procedures.b),
      raw_ctx_db_procedure_ops_s: Math.round(procedures.a),
      drizzle_select_query_only_ops_s: Math.round(queries.b),
      raw_ctx_db_query_only_ops_s: Math.round(queries.a),
      drizzle_query_build_only_ops_s: Math.round(build.b),
      drizzle_select_ceiling_vs_raw_ctx_db: r2(rawCallUs / (rawCallUs + buildUs)),
    };
    console.table([
      {
        what: 'procedure via tRPC caller: raw ctx.db.get',
        'median ops/s': results.raw_ctx_db_procedure_ops_s,
        ratio: 1,
      },
      {
        what: 'procedure via tRPC caller: Drizzle (built per request)',
        'median ops/s': results.drizzle_select_procedure_ops_s,
        ratio: results.drizzle_select_vs_raw_ctx_db,
      },
      {
        what: 'procedure via tRPC caller: Drizzle app-wide on requestClient()',
        'median ops/s': Math.round(appWide.b),
        ratio: results.drizzle_select_app_wide_vs_raw_ctx_db,
      },
      {
        what: 'procedure via tRPC caller: Drizzle prepared once on requestClient()',
        'median ops/s': Math.round(prepared.b),
        ratio: results.drizzle_prepared_select_vs_raw_ctx_db,
      },
      { what: 'query only: raw ctx.db.get', 'median ops/s': results.raw_ctx_db_query_only_ops_s, ratio: 1 },
      {
        what: 'query only: Drizzle select on ctx.client',
        'median ops/s': results.drizzle_select_query_only_ops_s,
        ratio: results.drizzle_select_vs_raw_ctx_db_query_only,
      },
      {
        what: 'Drizzle building the select only (.toSQL(), not run)',
        'median ops/s': results.drizzle_query_build_only_ops_s,
        ratio: r2(build.ratio),
      },
    ]);
    console.log(
      `raw procedure call ${rawCallUs.toFixed(1)} us, Drizzle build alone ${buildUs.toFixed(1)} us: ` +
        `a per-call Drizzle select can reach at most ${results.drizzle_select_ceiling_vs_raw_ctx_db}`,
    );
    console.log(
      `rounds=${ROUNDS} n=${N} procedure ratios=${procedures.ratios.map((r) => r.toFixed(2)).join(' ')} ` +
        `query-only ratios=${queries.ratios.map((r) => r.toFixed(2)).join(' ')} loadavg=${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
    );
    mergeResults(results);
  } finally {
    await liveframe.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** Merges into bench/results/db-core.json (flat; other keys kept). */
function mergeResults(values: Record<string, number>): void {
  const path = join(
    dirname(fileURLToPath(import.meta.url)),
    '..',
    '..',
    '..',
    'bench',
    'results',
    'db-core.json',
  );
  let current: Record<string, unknown> = {};
  try {
    current = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    // First run.
  }
  writeFileSync(path, `${JSON.stringify({ ...current, ...values }, null, 2)}\n`);
}
