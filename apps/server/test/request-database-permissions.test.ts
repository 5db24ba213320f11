import {
  createRouter,
  formatPositionId,
  type Identity,
  liveQuery,
  liveRouter,
  mutation,
  tablePermissions,
} from '@liveframe/server';
import { createTRPCClient, httpLink } from '@trpc/client';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startServer } from '../src/testing/index.ts';
import { connectLiveClient, subscribeWithQueries } from './support/live-client.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS secrets (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
INSERT OR IGNORE INTO notes (id, body) VALUES (1, 'hello');
INSERT OR IGNORE INTO secrets (id, body) VALUES (1, 'launch code');
`;

/** Every way a procedure can run SQL through `ctx.db`. */
const VIAS = [
  'db.all',
  'db.get',
  'db.run',
  'db.batch',
  'tx.run',
  'tx.all',
  'tx.get',
  'savepoint.run',
  'savepoint.all',
  'savepoint.get',
  'nested-savepoint.all',
  'nested-savepoint.run',
  'join',
  'subquery',
  'savepoint.join',
] as const;

const probeRouter = createRouter({
  probe: mutation
    .input(z.object({ via: z.enum(VIAS), table: z.enum(['notes', 'secrets']) }))
    .mutation(async ({ ctx, input }) => {
      const select = `SELECT id, body FROM ${input.table} WHERE id = 1`;
      const insert = `INSERT INTO ${input.table} (body) VALUES ('written')`;
      const join = `SELECT n.id FROM notes n JOIN ${input.table} t ON t.id = n.id`;
      switch (input.via) {
        case 'db.all':
          return ctx.db.all(select).length;
        case 'db.get':
          return ctx.db.get(select) === undefined ? 0 : 1;
        case 'db.run':
          return (await ctx.db.run(insert)).changes;
        case 'db.batch':
          return (await ctx.db.batch([{ sql: 'SELECT 1' }, { sql: select }])).results.length;
        case 'join':
          return ctx.db.all(join).length;
        case 'subquery':
          return ctx.db.all(`SELECT id FROM notes WHERE id IN (SELECT id FROM ${input.table})`).length;
      }
      const { value } = await ctx.db.transaction(async (tx) => {
        switch (input.via) {
          case 'tx.run':
            return (await tx.run(insert)).changes;
          case 'tx.all':
            return (await tx.all(select)).length;
          case 'tx.get':
            return (await tx.get(select)) === undefined ? 0 : 1;
          case 'savepoint.run':
            return tx.savepoint(async (sp) => (await sp.run(insert)).changes);
          case 'savepoint.all':
            return tx.savepoint(async (sp) => (await sp.all(select)).length);
          case 'savepoint.get':
            return tx.savepoint(async (sp) => ((await sp.get(select)) === undefined ? 0 : 1));
          case 'savepoint.join':
            return tx.savepoint(async (sp) => (await sp.all(join)).length);
          case 'nested-savepoint.all':
            return tx.savepoint((sp) => sp.savepoint(async (inner) => (await inner.all(select)).length));
          case 'nested-savepoint.run':
            return tx.savepoint((sp) => sp.savepoint(async (inner) => (await inner.run(insert)).changes));
        }
        throw new Error(`unhandled ${input.via}`);
      });
      return value;
    }),
  /** Reads `secrets` only through a savepoint: its read-set must still name `secrets`. */
  viaSavepoint: liveQuery.query(async ({ ctx }) => {
    const notes = ctx.db.all('SELECT id, body FROM notes ORDER BY id');
    const { value: secrets } = await ctx.db.transaction((tx) =>
      tx.savepoint((sp) => sp.all('SELECT id, body FROM secrets ORDER BY id')),
    );
    return { notes, secrets };
  }),
});
const router = createRouter({ live: liveRouter, guarded: probeRouter });

const IDENTITIES: Record<string, Identity> = {
  limited: { userId: 'lim', tenantId: 't', role: 'limited' },
  admin: { userId: 'ada', tenantId: 't', role: 'admin' },
};

function startProbeServer() {
  return startServer({
    router,
    schema: SCHEMA,
    permissions: tablePermissions({ limited: ['notes'], admin: '*' }),
    authenticate: (token) => (token === undefined ? null : (IDENTITIES[token] ?? null)),
  });
}

function client(url: string, token: string) {
  return createTRPCClient<typeof router>({
    links: [
      httpLink({ url: `${url}/trpc`, transformer: superjson, headers: { authorization: `Bearer ${token}` } }),
    ],
  });
}

describe('ctx.db permissions on every path that runs SQL', () => {
  it('a role allowed only notes cannot read or write secrets through any path, savepoints included', async () => {
    await using server = await startProbeServer();
    const limited = client(server.url, 'limited');
    const countSecrets = () =>
      server.services.database.driver.get<{ n: number }>('SELECT count(*) AS n FROM secrets')?.n;
    const before = countSecrets();
    for (const via of VIAS) {
      // The same path on the allowed table works, so a refusal below is the permission check.
      await expect(limited.guarded.probe.mutate({ via, table: 'notes' }), via).resolves.toBeGreaterThan(0);
      await expect(limited.guarded.probe.mutate({ via, table: 'secrets' }), via).rejects.toMatchObject({
        data: { code: 'FORBIDDEN', liveframe: { code: 'FORBIDDEN_TABLE' } },
      });
    }
    // No refused write reached the table.
    expect(countSecrets()).toBe(before);
  });

  it('a live query reading through a savepoint has that table in its read-set', async () => {
    await using server = await startProbeServer();
    await using live = connectLiveClient(server.wsUrl, { token: 'admin' });
    await subscribeWithQueries(live, [{ key: 'sp', path: 'guarded.viaSavepoint' }]);
    const driver = server.services.database.driver;
    // secrets first, then notes: the first event must be the secrets change, so a read-set
    // missing `secrets` fails here at once rather than by a timeout.
    const secretWrite = await driver.run("INSERT INTO secrets (body) VALUES ('new secret')");
    await driver.run("INSERT INTO notes (body) VALUES ('new note')");
    const event = await live.events.next();
    expect(event.data).toMatchObject({ type: 'invalidate', queries: ['sp'], tables: ['secrets'] });
    expect(event.id).toBe(formatPositionId(secretWrite.position));
  });
});
