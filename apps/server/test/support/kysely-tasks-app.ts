import { LibsqlDialect } from '@libsql/kysely-libsql';
import {
  createLiveframeMiddleware,
  formatLiveframeError,
  formatPositionId,
  type LiveframeContext,
  type LiveframeMeta,
  liveRouter,
} from '@liveframe/server';
import { initTRPC } from '@trpc/server';
import { type Generated, Kysely, ParseJSONResultsPlugin } from 'kysely';
import { jsonArrayFrom } from 'kysely/helpers/sqlite';
import superjson from 'superjson';
import { z } from 'zod';
import type { ProcedureHooks } from './tasks-domain.ts';

/** The tasks domain (tasks-domain.ts) as Kysely table types. */
export interface Database {
  projects: { id: Generated<number>; tenant_id: string; name: string };
  tasks: {
    id: Generated<number>;
    tenant_id: string;
    project_id: number;
    title: string;
    done: Generated<number>;
  };
  secrets: { id: Generated<number>; body: string };
}

type Context = LiveframeContext & { readonly kysely: Kysely<Database> };

/** What an app writes in createLiveframe's createContext: Kysely on the request's `ctx.client`. */
export const createKyselyContext = (base: LiveframeContext): Context => ({
  ...base,
  kysely: new Kysely<Database>({
    dialect: new LibsqlDialect({ client: base.client }),
    plugins: [new ParseJSONResultsPlugin()], // jsonArrayFrom's JSON text as arrays
  }),
});

/** The tasks router with every procedure written with Kysely; same paths and results as the Drizzle one. */
export function kyselyTasksRouter(hooks: ProcedureHooks = {}) {
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
        ctx.kysely
          .selectFrom('tasks')
          .select(['id', 'title', 'done'])
          .where('tenant_id', '=', ctx.identity.tenantId)
          .orderBy('id')
          .execute(),
      ),
      withProject: liveQuery.query(({ ctx }) =>
        ctx.kysely
          .selectFrom('tasks')
          .innerJoin('projects', 'projects.id', 'tasks.project_id')
          .select(['tasks.id', 'tasks.title', 'projects.name as project'])
          .where('tasks.tenant_id', '=', ctx.identity.tenantId)
          .orderBy('tasks.id')
          .execute(),
      ),
      byId: liveQuery.input(z.object({ id: z.number().int() })).query(async ({ ctx, input }) => {
        const task = await ctx.kysely
          .selectFrom('tasks')
          .select(['id', 'tenant_id as tenantId', 'project_id as projectId', 'title', 'done'])
          .where('id', '=', input.id)
          .where('tenant_id', '=', ctx.identity.tenantId)
          .executeTakeFirst();
        return task ?? null;
      }),
      add: procedure
        .input(z.object({ projectId: z.number().int(), title: z.string() }))
        .mutation(async ({ ctx, input }) => {
          await hooks.beforeAdd?.();
          const { id } = await ctx.kysely
            .insertInto('tasks')
            .values({ tenant_id: ctx.identity.tenantId, project_id: input.projectId, title: input.title })
            .returning('id')
            .executeTakeFirstOrThrow();
          return { id, frame: frame(ctx) };
        }),
      rename: procedure
        .input(z.object({ id: z.number().int(), title: z.string() }))
        .mutation(async ({ ctx, input }) => {
          await ctx.kysely
            .updateTable('tasks')
            .set({ title: input.title })
            .where('id', '=', input.id)
            .where('tenant_id', '=', ctx.identity.tenantId)
            .execute();
          return { frame: frame(ctx) };
        }),
      addInTransaction: procedure
        .input(z.object({ projectId: z.number().int(), title: z.string() }))
        .mutation(async ({ ctx, input }) => {
          await ctx.kysely.transaction().execute(async (trx) => {
            await trx
              .insertInto('tasks')
              .values({ tenant_id: ctx.identity.tenantId, project_id: input.projectId, title: input.title })
              .execute();
            await hooks.insideTransaction?.();
          });
          return { frame: frame(ctx) };
        }),
    }),
    projects: t.router({
      /** Projects with their tasks in one statement (Kysely's JSON helpers, as Drizzle's relational query). */
      tree: liveQuery.query(({ ctx }) =>
        ctx.kysely
          .selectFrom('projects')
          .select((eb) => [
            'projects.id',
            'projects.name',
            jsonArrayFrom(
              eb
                .selectFrom('tasks')
                .select(['tasks.id', 'tasks.title'])
                .whereRef('tasks.project_id', '=', 'projects.id')
                .orderBy('tasks.id'),
            ).as('tasks'),
          ])
          .where('projects.tenant_id', '=', ctx.identity.tenantId)
          .orderBy('projects.id')
          .execute(),
      ),
      rename: procedure
        .input(z.object({ id: z.number().int(), name: z.string() }))
        .mutation(async ({ ctx, input }) => {
          await ctx.kysely
            .updateTable('projects')
            .set({ name: input.name })
            .where('id', '=', input.id)
            .where('tenant_id', '=', ctx.identity.tenantId)
            .execute();
          return { frame: frame(ctx) };
        }),
      create: procedure
        .input(z.object({ name: z.string(), firstTask: z.string() }))
        .mutation(async ({ ctx, input }) => {
          const tenantId = ctx.identity.tenantId;
          const id = await ctx.kysely.transaction().execute(async (trx) => {
            const project = await trx
              .insertInto('projects')
              .values({ tenant_id: tenantId, name: input.name })
              .returning('id')
              .executeTakeFirstOrThrow();
            await trx
              .insertInto('tasks')
              .values({ tenant_id: tenantId, project_id: project.id, title: input.firstTask })
              .execute();
            return project.id;
          });
          return { id, frame: frame(ctx) };
        }),
    }),
    secrets: t.router({
      read: liveQuery.query(({ ctx }) => ctx.kysely.selectFrom('secrets').selectAll().execute()),
      joined: liveQuery.query(({ ctx }) =>
        ctx.kysely
          .selectFrom('tasks')
          .innerJoin('secrets', 'secrets.id', 'tasks.id')
          .select('tasks.id')
          .execute(),
      ),
      inTransaction: procedure.mutation(({ ctx }) =>
        ctx.kysely.transaction().execute(async (trx) => {
          await trx.selectFrom('tasks').selectAll().execute();
          return trx.selectFrom('secrets').selectAll().execute();
        }),
      ),
      /** Kysely has no batch: its compiled queries go to `ctx.client.batch`, as one atomic unit. */
      inBatch: procedure.query(async ({ ctx }) => {
        const queries = [
          ctx.kysely.selectFrom('tasks').selectAll().compile(),
          ctx.kysely.selectFrom('secrets').selectAll().compile(),
        ];
        const results = await ctx.client.batch(
          queries.map((q) => ({ sql: q.sql, args: q.parameters as never })),
          'read',
        );
        return results.map((r) => r.rows.map((row) => ({ ...row })));
      }),
      write: procedure.mutation(async ({ ctx }) => {
        await ctx.kysely.insertInto('secrets').values({ body: 'leak' }).execute();
        return { frame: frame(ctx) };
      }),
    }),
  });
}
