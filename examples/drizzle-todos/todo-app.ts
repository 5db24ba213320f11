import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
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
import { and, asc, eq } from 'drizzle-orm';
import { drizzle, type LibSQLDatabase } from 'drizzle-orm/libsql';
import superjson from 'superjson';
import { z } from 'zod';
import { schema, todos } from './schema.ts';

/**
 * The getting-started todo app with its procedures written in Drizzle: `ctx.orm` is Drizzle on
 * `ctx.client` (the request's database as a `@libsql/client` Client), so every statement is
 * checked against the table permissions and a live query's read-set is learned from what Drizzle
 * ran, exactly as with raw `ctx.db` SQL. The schema comes from drizzle-kit's migrations.
 */
type AppContext = LiveframeContext & { readonly orm: LibSQLDatabase<typeof schema> };

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
      ctx.orm
        .select({ id: todos.id, title: todos.title, done: todos.done })
        .from(todos)
        .where(eq(todos.tenantId, ctx.identity.tenantId))
        .orderBy(asc(todos.id)),
    ),
    add: procedure.input(z.object({ title: z.string().min(1).max(200) })).mutation(async ({ ctx, input }) => {
      const [todo] = await ctx.orm
        .insert(todos)
        .values({ tenantId: ctx.identity.tenantId, title: input.title })
        .returning({ id: todos.id });
      // ctx.db.lastWrite: the position this request's writes reached, whichever way they were made.
      return { id: todo!.id, frame: formatPositionId(ctx.db.lastWrite!) };
    }),
    toggle: procedure.input(z.object({ id: z.number().int() })).mutation(async ({ ctx, input }) => {
      const [todo] = await ctx.orm
        .select({ done: todos.done })
        .from(todos)
        .where(and(eq(todos.id, input.id), eq(todos.tenantId, ctx.identity.tenantId)));
      if (todo === undefined) return { frame: null };
      await ctx.orm
        .update(todos)
        .set({ done: todo.done === 1 ? 0 : 1 })
        .where(eq(todos.id, input.id));
      return { frame: formatPositionId(ctx.db.lastWrite!) };
    }),
  }),
});
export type AppRouter = typeof appRouter;

/** drizzle-kit's output folder (drizzle.config.ts), applied once per database at start. */
export const MIGRATIONS = fileURLToPath(new URL('./drizzle', import.meta.url));
export const AUTH_SECRET = 'drizzle-todos-example-secret';

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
    // Drizzle on the request's database (built per request, as the rest of the context).
    createContext: (base) => ({ ...base, orm: drizzle(base.client, { schema }) }),
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
