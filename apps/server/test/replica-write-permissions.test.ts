import { startSqld } from '@liveframe/native/testing';
import { createRouter, formatPositionId, liveRouter, mutation, tablePermissions } from '@liveframe/server';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startServer } from '../src/testing/index.ts';
import { httpClient } from './support/live-client.ts';

const SCHEMA = `CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS secrets (id INTEGER PRIMARY KEY, body TEXT NOT NULL)`;

const app = createRouter({
  live: liveRouter,
  notes: createRouter({
    add: mutation
      .input(z.object({ table: z.enum(['notes', 'secrets']) }))
      .mutation(async ({ ctx, input }) => {
        const { position } = await ctx.db.run(`INSERT INTO ${input.table} (body) VALUES ('x')`);
        return { frame: formatPositionId(position) };
      }),
  }),
});

describe('table permissions in replica mode', () => {
  it("a role allowed one table writes it, although the change log's triggers write liveframe's own table", async () => {
    await using sqld = await startSqld();
    await using server = await startServer({
      mode: 'replica',
      primaryUrl: sqld.url,
      router: app,
      schema: SCHEMA,
      permissions: tablePermissions({ writer: ['notes'] }),
      authenticate: () => ({ userId: 'w', tenantId: 't', role: 'writer' }),
    });
    const http = httpClient(server.url) as unknown as {
      notes: { add: { mutate(input: { table: string }): Promise<{ frame: string }> } };
    };
    await expect(http.notes.add.mutate({ table: 'notes' })).resolves.toMatchObject({
      frame: expect.any(String),
    });
    await expect(http.notes.add.mutate({ table: 'secrets' })).rejects.toMatchObject({
      data: { liveframe: { code: 'FORBIDDEN_TABLE' } },
    });
  });
});
