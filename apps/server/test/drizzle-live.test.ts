import { startSqld } from '@liveframe/native/testing';
import { describe, expect, it } from 'vitest';
import { startServer } from '../src/testing/index.ts';
import {
  appWideDrizzleContext,
  createDrizzleContext,
  drizzleTasksRouter,
} from './support/drizzle-tasks-app.ts';
import {
  appClient,
  failure,
  forbiddenScenario,
  heldTransactionScenario,
  invalidationScenario,
  pushScenario,
  startTasksServer,
  writesScenario,
} from './support/query-builder-scenarios.ts';
import { memberToken, type ProcedureHooks, TASKS_PERMISSIONS, TASKS_SQL } from './support/tasks-domain.ts';

/**
 * Live queries and mutations written with Drizzle (drizzle-orm/libsql on `ctx.client`, built per
 * request in createContext, as an app does) on a real server with real WebSocket clients.
 */
const hooks: ProcedureHooks = {};
const router = drizzleTasksRouter(hooks);
const start = () =>
  startTasksServer(() =>
    startServer({
      router,
      schema: TASKS_SQL,
      permissions: TASKS_PERMISSIONS,
      createContext: createDrizzleContext,
      config: { anonymous: false },
    }),
  );

describe('Drizzle live queries (local mode)', () => {
  it('invalidate delivery: a join, a relational query, point lookups and a tenant list are told exactly what hits them', async () => {
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

  it('a forbidden table is FORBIDDEN_TABLE through Drizzle: select, join, transaction, batch, insert, registration', async () => {
    await using server = await start();
    await forbiddenScenario(server);
  });

  it("a Drizzle mutation's frame (ctx.db.lastWrite) gives read-your-writes; constraint violations are CONFLICT", async () => {
    await using server = await start();
    await writesScenario(server);
  });

  it('a second mutation on the same WebSocket waits for a Drizzle transaction the first holds open', async () => {
    await using server = await start();
    await heldTransactionScenario(server, hooks);
  });

  it('a write through the outer client inside its own transaction fails after the busy timeout and nothing commits', async () => {
    await using server = await start();
    const ann = appClient(server.url, memberToken('ann', 't1'));
    const started = Date.now();
    expect(await failure(ann.mutate('tasks.addBesideTransaction'))).toEqual({
      code: 'INTERNAL_SERVER_ERROR',
      liveframe: 'DB_ERROR',
    });
    // It waited for the transaction (5 s busy timeout), then failed before the 10 s deadline.
    expect(Date.now() - started).toBeLessThan(9_000);
    const titles = server.services.database.driver.all(
      "SELECT title FROM tasks WHERE title IN ('inside', 'beside')",
    );
    expect(titles).toEqual([]);
  });
});

describe('Drizzle made once for the app on requestClient() (local mode)', () => {
  const startAppWide = () =>
    startTasksServer(() =>
      startServer({
        router,
        schema: TASKS_SQL,
        permissions: TASKS_PERMISSIONS,
        createContext: appWideDrizzleContext,
        config: { anonymous: false },
      }),
    );

  // Each scenario on a fresh server (they expect the seeded data).
  it('invalidate delivery: each statement is captured for the calling request', async () => {
    await using server = await startAppWide();
    await invalidationScenario(server);
  });

  it('push delivery with patches', async () => {
    await using server = await startAppWide();
    await pushScenario(server, true);
  });

  it("permissions are the calling request's", async () => {
    await using server = await startAppWide();
    await forbiddenScenario(server);
  });

  it("writes count in the calling request's ctx.db.lastWrite (read-your-writes)", async () => {
    await using server = await startAppWide();
    await writesScenario(server);
  });

  it('refuses to run outside a procedure call (NO_REQUEST)', async () => {
    const { requestClient } = await import('@liveframe/server');
    await expect(requestClient().execute('SELECT 1')).rejects.toMatchObject({ code: 'NO_REQUEST' });
  });
});

describe('Drizzle live queries (replica mode, against sqld)', () => {
  it('invalidate delivery and read-your-writes with writes sent to the primary', async () => {
    await using sqld = await startSqld();
    await using server = await startTasksServer(() =>
      startServer({
        mode: 'replica',
        primaryUrl: sqld.url,
        router,
        schema: TASKS_SQL,
        permissions: TASKS_PERMISSIONS,
        createContext: createDrizzleContext,
        config: { anonymous: false },
      }),
    );
    await invalidationScenario(server);
    await writesScenario(server);
  });
});
