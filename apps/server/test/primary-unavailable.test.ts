import { startSqld } from '@liveframe/native/testing';
import { createRouter, liveQuery, liveRouter, mutation, tablePermissions } from '@liveframe/server';
import { createTRPCClient, httpLink } from '@trpc/client';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startServer } from '../src/testing/index.ts';

const SCHEMA = 'CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)';

const body = z.object({ body: z.string() });
const notesRouter = createRouter({
  list: liveQuery.query(({ ctx }) => ctx.db.all<{ body: string }>('SELECT body FROM notes ORDER BY id')),
  addRun: mutation.input(body).mutation(async ({ ctx, input }) => {
    await ctx.db.run('INSERT INTO notes (body) VALUES (?)', [input.body]);
  }),
  addBatch: mutation.input(body).mutation(async ({ ctx, input }) => {
    await ctx.db.batch([{ sql: 'INSERT INTO notes (body) VALUES (?)', params: [input.body] }]);
  }),
  addTransaction: mutation.input(body).mutation(async ({ ctx, input }) => {
    await ctx.db.transaction(async (tx) => {
      await tx.run('INSERT INTO notes (body) VALUES (?)', [input.body]);
    });
  }),
});
const router = createRouter({ live: liveRouter, notes: notesRouter });

describe('primary outage', () => {
  it('reaches clients as SERVICE_UNAVAILABLE / PRIMARY_UNAVAILABLE for every write path; reads keep working', async () => {
    await using sqld = await startSqld();
    await using server = await startServer({
      mode: 'replica',
      primaryUrl: sqld.url,
      router,
      schema: SCHEMA,
      // '*': in replica mode an insert's read-set includes the change-log tables its triggers write.
      permissions: tablePermissions({ admin: '*' }),
    });
    const trpc = createTRPCClient<typeof router>({
      links: [httpLink({ url: `${server.url}/trpc`, transformer: superjson })],
    });
    // One write first, so the outage also hits the kept-alive connection to the primary.
    await trpc.notes.addRun.mutate({ body: 'before' });
    expect(await trpc.notes.list.query()).toEqual([{ body: 'before' }]);

    await sqld.stop();
    for (const write of [trpc.notes.addRun, trpc.notes.addBatch, trpc.notes.addTransaction]) {
      const error = await write.mutate({ body: 'during' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({
        data: {
          code: 'SERVICE_UNAVAILABLE',
          httpStatus: 503,
          liveframe: { code: 'PRIMARY_UNAVAILABLE', dbCode: 'PRIMARY_UNAVAILABLE' },
        },
      });
    }
    // Reads are served from the replica meanwhile.
    expect(await trpc.notes.list.query()).toEqual([{ body: 'before' }]);
  });
});
