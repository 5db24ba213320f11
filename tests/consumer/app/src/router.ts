// The consumer app's own tRPC router, built with its own initTRPC on liveframe's public exports.
import {
  type Authenticator,
  createLiveframeMiddleware,
  formatLiveframeError,
  formatPositionId,
  type LiveframeContext,
  type LiveframeMeta,
  liveRouter,
  requestClient,
} from '@liveframe/server';
import { initTRPC } from '@trpc/server';
import { asc, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/libsql';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import superjson from 'superjson';
import { z } from 'zod';

/** The app's identity shape; liveframe treats it as opaque. */
export interface Member {
  readonly memberId: string;
  readonly team: string;
}

/** liveframe's context plus a field of the app's own. */
export type AppContext = LiveframeContext<Member> & { readonly via: 'http' | 'ws' | 'derive' };

const t = initTRPC
  .context<AppContext>()
  .meta<LiveframeMeta>()
  .create({ transformer: superjson, errorFormatter: formatLiveframeError });
const procedure = t.procedure.use(createLiveframeMiddleware(t));

export const SCHEMA =
  'CREATE TABLE IF NOT EXISTS todos (id INTEGER PRIMARY KEY, team TEXT NOT NULL, title TEXT NOT NULL)';

/** The same table for Drizzle: one instance for the app, each statement on the calling request. */
const todos = sqliteTable('todos', {
  id: integer('id').primaryKey(),
  team: text('team').notNull(),
  title: text('title').notNull(),
});
const orm = drizzle(requestClient(), { schema: { todos } });

export const appRouter = t.router({
  live: liveRouter,
  todos: t.router({
    list: procedure
      .meta({ live: true })
      .query(({ ctx }) =>
        ctx.db.all<{ id: number; title: string }>('SELECT id, title FROM todos WHERE team = ? ORDER BY id', [
          ctx.identity.team,
        ]),
      ),
    listOrm: procedure
      .meta({ live: true })
      .query(({ ctx }) =>
        orm
          .select({ id: todos.id, title: todos.title })
          .from(todos)
          .where(eq(todos.team, ctx.identity.team))
          .orderBy(asc(todos.id)),
      ),
    add: procedure.input(z.object({ title: z.string().min(1) })).mutation(async ({ ctx, input }) => {
      const { position } = await ctx.db.run('INSERT INTO todos (team, title) VALUES (?, ?)', [
        ctx.identity.team,
        input.title,
      ]);
      return { frame: formatPositionId(position), via: ctx.via };
    }),
  }),
});

export type AppRouter = typeof appRouter;

const members: Record<string, Member> = { 'token-ada': { memberId: 'ada', team: 'core' } };

/** Bearer tokens of the app's own making. */
export const authenticate: Authenticator<Member> = (token) =>
  token === undefined ? null : (members[token] ?? null);
