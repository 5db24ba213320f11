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
  builderSuite,
  failure,
  invalidationScenario,
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
  builderSuite('Drizzle', start, hooks);

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

  builderSuite('Drizzle on requestClient()', startAppWide, hooks);

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
