import { describe, it } from 'vitest';
import { startServer } from '../src/testing/index.ts';
import { createKyselyContext, kyselyTasksRouter } from './support/kysely-tasks-app.ts';
import {
  forbiddenScenario,
  heldTransactionScenario,
  invalidationScenario,
  pushScenario,
  startTasksServer,
  writesScenario,
} from './support/query-builder-scenarios.ts';
import { type ProcedureHooks, TASKS_PERMISSIONS, TASKS_SQL } from './support/tasks-domain.ts';

/**
 * Live queries and mutations written with Kysely (@libsql/kysely-libsql's dialect on `ctx.client`,
 * built per request in createContext, as an app does) on a real server with real WebSocket clients.
 */
const hooks: ProcedureHooks = {};
const router = kyselyTasksRouter(hooks);
const start = () =>
  startTasksServer(() =>
    startServer({
      router,
      schema: TASKS_SQL,
      permissions: TASKS_PERMISSIONS,
      createContext: createKyselyContext,
      config: { anonymous: false },
    }),
  );

describe('Kysely live queries (local mode)', () => {
  it('invalidate delivery: a join, JSON-aggregated children, point lookups and a tenant list are told exactly what hits them', async () => {
    await using server = await start();
    await invalidationScenario(server);
  });

  it('push delivery: each write pushes exactly the results it changed', async () => {
    await using server = await start();
    await pushScenario(server, false);
  });

  it('push delivery with patches', async () => {
    await using server = await start();
    await pushScenario(server, true);
  });

  it('a forbidden table is FORBIDDEN_TABLE through Kysely: select, join, transaction, a client batch, insert, registration', async () => {
    await using server = await start();
    await forbiddenScenario(server);
  });

  it("a Kysely mutation's frame (ctx.db.lastWrite) gives read-your-writes; constraint violations are CONFLICT", async () => {
    await using server = await start();
    await writesScenario(server);
  });

  it('a second mutation on the same WebSocket waits for a Kysely transaction the first holds open', async () => {
    await using server = await start();
    await heldTransactionScenario(server, hooks);
  });
});
