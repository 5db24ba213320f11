import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { LibsqlDialect } from '@libsql/kysely-libsql';
import {
  createLiveframe,
  createLiveframeMiddleware,
  formatLiveframeError,
  formatPositionId,
  type LiveframeContext,
  type LiveframeMeta,
  liveRouter,
  signToken,
} from '@liveframe/server';
import { initTRPC } from '@trpc/server';
import { type Generated, Kysely } from 'kysely';
import superjson from 'superjson';
import { z } from 'zod';

/**
 * The todo app with its procedures written in Kysely: `ctx.kysely` runs on `ctx.client` (the
 * request's database as a `@libsql/client` Client) through `@libsql/kysely-libsql`'s dialect, so
 * statements are checked and captured into live read-sets as raw `ctx.db` SQL is. The schema is a
 * folder of plain `.sql` migrations.
 */
export interface Database {
  todos: { id: Generated<number>; tenant_id: string; title: string; done: Generated<number> };
}

type AppContext = LiveframeContext & { readonly kysely: Kysely<Database> };

const t = initTRPC
  .context<AppContext>()
  .meta<LiveframeMeta>()
  .create({ transformer: superjson, errorFormatter: formatLiveframeError });
const procedure = t.procedure.use(createLiveframeMiddleware(t));
const liveQuery = procedure.meta({ live: true });

export const appRouter = t.router({
  live: liveRouter,
  todos: t.router({
    list: liveQuery.query(({ ctx }) =>
      ctx.kysely
        .selectFrom('todos')
        .select(['id', 'title', 'done'])
        .where('tenant_id', '=', ctx.identity.tenantId)
        .orderBy('id')
        .execute(),
    ),
    /** A point lookup by primary key: its read-set is that row, so other todos never disturb it. */
    byId: liveQuery.input(z.object({ id: z.number().int() })).query(async ({ ctx, input }) => {
      const todo = await ctx.kysely
        .selectFrom('todos')
        .select(['id', 'title', 'done'])
        .where('id', '=', input.id)
        .where('tenant_id', '=', ctx.identity.tenantId)
        .executeTakeFirst();
      return todo ?? null;
    }),
    add: procedure.input(z.object({ title: z.string().min(1).max(200) })).mutation(async ({ ctx, input }) => {
      const { id } = await ctx.kysely
        .insertInto('todos')
        .values({ tenant_id: ctx.identity.tenantId, title: input.title })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { id, frame: formatPositionId(ctx.db.lastWrite!) };
    }),
    /** Marks every todo of the tenant done and returns how many, in one Kysely transaction. */
    completeAll: procedure.mutation(async ({ ctx }) => {
      const completed = await ctx.kysely.transaction().execute(async (trx) => {
        const open = await trx
          .selectFrom('todos')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('tenant_id', '=', ctx.identity.tenantId)
          .where('done', '=', 0)
          .executeTakeFirstOrThrow();
        await trx
          .updateTable('todos')
          .set({ done: 1 })
          .where('tenant_id', '=', ctx.identity.tenantId)
          .execute();
        return open.n;
      });
      return { completed, frame: formatPositionId(ctx.db.lastWrite!) };
    }),
  }),
});
export type AppRouter = typeof appRouter;

/** Plain SQL migrations (file-name order), applied once per database at start. */
export const MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url));
export const AUTH_SECRET = 'kysely-todos-example-secret';

export function tokenFor(userId: string, tenantId: string): string {
  return signToken({ userId, tenantId, role: 'member' }, AUTH_SECRET);
}

export interface TodoServer extends AsyncDisposable {
  readonly url: string;
  readonly wsUrl: string;
}

/** createLiveframe on a plain node:http server, on a free port. */
export async function startTodoServer(dbPath: string): Promise<TodoServer> {
  const liveframe = await createLiveframe({
    router: appRouter,
    migrations: { folder: MIGRATIONS },
    createContext: (base) => ({
      ...base,
      kysely: new Kysely<Database>({ dialect: new LibsqlDialect({ client: base.client }) }),
    }),
    config: { dbPath, authSecret: AUTH_SECRET, logLevel: 'silent' },
  });
  const server = createServer((req, res) => {
    if (!liveframe.handleRequest(req, res)) res.writeHead(404).end();
  });
  server.on('upgrade', (req, socket, head) => {
    if (!liveframe.handleUpgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/trpc`,
    async [Symbol.asyncDispose]() {
      await liveframe.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
