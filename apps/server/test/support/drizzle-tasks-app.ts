import {
  createLiveframeMiddleware,
  formatLiveframeError,
  formatPositionId,
  type LiveframeContext,
  type LiveframeMeta,
  liveRouter,
  requestClient,
} from '@liveframe/server';
import { initTRPC } from '@trpc/server';
import { and, asc, eq, relations } from 'drizzle-orm';
import { drizzle, type LibSQLDatabase } from 'drizzle-orm/libsql';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import superjson from 'superjson';
import { z } from 'zod';
import type { ProcedureHooks } from './tasks-domain.ts';

/** The tasks domain (tasks-domain.ts) as a Drizzle schema. */
export const projects = sqliteTable('projects', {
  id: integer('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  name: text('name').notNull(),
});
export const tasks = sqliteTable('tasks', {
  id: integer('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  projectId: integer('project_id')
    .notNull()
    .references(() => projects.id),
  title: text('title').notNull(),
  done: integer('done').notNull().default(0),
});
export const secrets = sqliteTable('secrets', {
  id: integer('id').primaryKey(),
  body: text('body').notNull(),
});
export const projectsRelations = relations(projects, ({ many }) => ({ tasks: many(tasks) }));
export const tasksRelations = relations(tasks, ({ one }) => ({
  project: one(projects, { fields: [tasks.projectId], references: [projects.id] }),
}));
export const schema = { projects, tasks, secrets, projectsRelations, tasksRelations };

type Context = LiveframeContext & { readonly orm: LibSQLDatabase<typeof schema> };

/**
 * The other way an app can write it: one Drizzle instance for the whole app on requestClient(),
 * whose statements run on the calling request's `ctx.client`.
 */
const appWideOrm = drizzle(requestClient(), { schema });
export const appWideDrizzleContext = (base: LiveframeContext): Context => ({ ...base, orm: appWideOrm });

/** What an app writes in createLiveframe's createContext: Drizzle on the request's `ctx.client`. */
export const createDrizzleContext = (base: LiveframeContext): Context => ({
  ...base,
  orm: drizzle(base.client, { schema }),
});

/** The tasks router with every procedure written with Drizzle; `hooks` lets a test pause a procedure. */
export function drizzleTasksRouter(hooks: ProcedureHooks = {}) {
  const t = initTRPC
    .context<Context>()
    .meta<LiveframeMeta>()
    .create({ transformer: superjson, errorFormatter: formatLiveframeError });
  const procedure = t.procedure.use(createLiveframeMiddleware(t));
  const liveQuery = procedure.meta({ live: true });
  const frame = (ctx: Context) => formatPositionId(ctx.db.lastWrite!);

  return t.router({
    live: liveRouter,
    tasks: t.router({
      list: liveQuery.query(({ ctx }) =>
        ctx.orm
          .select({ id: tasks.id, title: tasks.title, done: tasks.done })
          .from(tasks)
          .where(eq(tasks.tenantId, ctx.identity.tenantId))
          .orderBy(asc(tasks.id)),
      ),
      withProject: liveQuery.query(({ ctx }) =>
        ctx.orm
          .select({ id: tasks.id, title: tasks.title, project: projects.name })
          .from(tasks)
          .innerJoin(projects, eq(projects.id, tasks.projectId))
          .where(eq(tasks.tenantId, ctx.identity.tenantId))
          .orderBy(asc(tasks.id)),
      ),
      byId: liveQuery.input(z.object({ id: z.number().int() })).query(async ({ ctx, input }) => {
        const [task] = await ctx.orm
          .select()
          .from(tasks)
          .where(and(eq(tasks.id, input.id), eq(tasks.tenantId, ctx.identity.tenantId)));
        return task ?? null;
      }),
      add: procedure
        .input(z.object({ projectId: z.number().int(), title: z.string() }))
        .mutation(async ({ ctx, input }) => {
          await hooks.beforeAdd?.();
          const [row] = await ctx.orm
            .insert(tasks)
            .values({ tenantId: ctx.identity.tenantId, projectId: input.projectId, title: input.title })
            .returning({ id: tasks.id });
          return { id: row!.id, frame: frame(ctx) };
        }),
      rename: procedure
        .input(z.object({ id: z.number().int(), title: z.string() }))
        .mutation(async ({ ctx, input }) => {
          await ctx.orm
            .update(tasks)
            .set({ title: input.title })
            .where(and(eq(tasks.id, input.id), eq(tasks.tenantId, ctx.identity.tenantId)));
          return { frame: frame(ctx) };
        }),
      /** A Drizzle transaction that can be held open by `hooks.insideTransaction`. */
      addInTransaction: procedure
        .input(z.object({ projectId: z.number().int(), title: z.string() }))
        .mutation(async ({ ctx, input }) => {
          await ctx.orm.transaction(async (tx) => {
            await tx
              .insert(tasks)
              .values({ tenantId: ctx.identity.tenantId, projectId: input.projectId, title: input.title });
            await hooks.insideTransaction?.();
          });
          return { frame: frame(ctx) };
        }),
      /** A bug: inside its transaction it writes through the outer client, which waits for that transaction. */
      addBesideTransaction: procedure.mutation(async ({ ctx }) => {
        const tenantId = ctx.identity.tenantId;
        await ctx.orm.transaction(async (tx) => {
          await tx.insert(tasks).values({ tenantId, projectId: 1, title: 'inside' });
          await ctx.orm.insert(tasks).values({ tenantId, projectId: 1, title: 'beside' });
        });
        return { frame: frame(ctx) };
      }),
    }),
    projects: t.router({
      /** Drizzle's relational query: projects with their tasks (one statement with JSON subqueries). */
      tree: liveQuery.query(({ ctx }) =>
        ctx.orm.query.projects.findMany({
          columns: { id: true, name: true },
          where: eq(projects.tenantId, ctx.identity.tenantId),
          orderBy: asc(projects.id),
          with: { tasks: { columns: { id: true, title: true }, orderBy: asc(tasks.id) } },
        }),
      ),
      rename: procedure
        .input(z.object({ id: z.number().int(), name: z.string() }))
        .mutation(async ({ ctx, input }) => {
          await ctx.orm
            .update(projects)
            .set({ name: input.name })
            .where(and(eq(projects.id, input.id), eq(projects.tenantId, ctx.identity.tenantId)));
          return { frame: frame(ctx) };
        }),
      /** A project and its first task in one Drizzle transaction. */
      create: procedure
        .input(z.object({ name: z.string(), firstTask: z.string() }))
        .mutation(async ({ ctx, input }) => {
          const tenantId = ctx.identity.tenantId;
          const id = await ctx.orm.transaction(async (tx) => {
            const [project] = await tx
              .insert(projects)
              .values({ tenantId, name: input.name })
              .returning({ id: projects.id });
            await tx.insert(tasks).values({ tenantId, projectId: project!.id, title: input.firstTask });
            return project!.id;
          });
          return { id, frame: frame(ctx) };
        }),
    }),
    secrets: t.router({
      read: liveQuery.query(({ ctx }) => ctx.orm.select().from(secrets)),
      /** Joins into secrets: refused although the first table is allowed. */
      joined: liveQuery.query(({ ctx }) =>
        ctx.orm.select({ id: tasks.id }).from(tasks).innerJoin(secrets, eq(secrets.id, tasks.id)),
      ),
      inTransaction: procedure.mutation(async ({ ctx }) =>
        ctx.orm.transaction(async (tx) => {
          await tx.select().from(tasks);
          return tx.select().from(secrets);
        }),
      ),
      inBatch: procedure.query(({ ctx }) =>
        ctx.orm.batch([ctx.orm.select().from(tasks), ctx.orm.select().from(secrets)]),
      ),
      write: procedure.mutation(async ({ ctx }) => {
        await ctx.orm.insert(secrets).values({ body: 'leak' });
        return { frame: frame(ctx) };
      }),
    }),
  });
}

export type DrizzleTasksRouter = ReturnType<typeof drizzleTasksRouter>;
