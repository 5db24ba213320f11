import { describe } from 'vitest';
import { startServer } from '../src/testing/index.ts';
import { createKyselyContext, kyselyTasksRouter } from './support/kysely-tasks-app.ts';
import { builderSuite, startTasksServer } from './support/query-builder-scenarios.ts';
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
  builderSuite('Kysely', start, hooks);
});
