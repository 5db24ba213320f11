import { createRouter, liveQuery, liveRouter, tablePermissions } from '@liveframe/server';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type DemoTestServerOptions, startServer } from '../src/testing/index.ts';
import { connectLiveClient, type LiveClient } from './support/live-client.ts';

/**
 * Registrations that must stay exact: re-sent keys, resumed sessions, queries that follow a
 * foreign key (their read-set moves with the data). One server, one query, one write each.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS owners (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, owner_id INTEGER NOT NULL, qty INTEGER NOT NULL);
INSERT OR IGNORE INTO owners (id, name) VALUES (1, 'ann'), (2, 'bob'), (3, 'cid');
INSERT OR IGNORE INTO items (id, owner_id, qty) VALUES (1, 2, 10), (2, 1, 20), (3, 3, 30);
`;

const app = createRouter({
  live: liveRouter,
  items: createRouter({
    /** Two statements: the item, then the owner its foreign key points at. */
    withOwner: liveQuery.input(z.object({ id: z.number().int() })).query(({ ctx, input }) => {
      const item = ctx.db.get<{ id: number; owner_id: number; qty: number }>(
        'SELECT id, owner_id, qty FROM items WHERE id = ?',
        [input.id],
      );
      if (item === undefined) return null;
      const owner = ctx.db.get<{ name: string }>('SELECT name FROM owners WHERE id = ?', [item.owner_id]);
      return { ...item, owner: owner?.name ?? null };
    }),
    byId: liveQuery
      .input(z.object({ id: z.number().int() }))
      .query(({ ctx, input }) => ctx.db.get('SELECT * FROM items WHERE id = ?', [input.id]) ?? null),
  }),
});

const options: DemoTestServerOptions = {
  router: app,
  schema: SCHEMA,
  permissions: tablePermissions({ admin: '*' }),
};

async function subscribed(client: LiveClient, lastEventId?: string) {
  client.subscribe(lastEventId);
  return client.events.next();
}

/** Waits (deadline 5 s) for a condition of the server's state. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Waits (deadline 5 s) until the server matches `key` of `subscriptionId` on `table` row `rowid`. */
async function readSetReaches(
  server: Awaited<ReturnType<typeof startServer>>,
  subscriptionId: string,
  key: string,
  table: string,
  rowid: number,
): Promise<void> {
  await until(() => {
    const query = [...server.services.hub.queriesOf(subscriptionId)].find((q) => q.key === key);
    const filter = query?.readSet.tables.get(table);
    return filter !== undefined && (filter.kind === 'all' || filter.rowids.has(rowid));
  }, `the read-set of ${key} to reach ${table} ${rowid}`);
}

describe('live registrations stay exact', () => {
  it('a re-sent key (replace: true) keeps being invalidated, also after a resume on the same server', async () => {
    await using server = await startServer(options);
    const driver = server.services.database.driver;
    await using client = connectLiveClient(server.wsUrl);
    const ack = await subscribed(client);
    const query = { key: 'item-2', path: 'items.byId', input: { id: 2 }, since: ack.id };
    await client.trpc.live.update.mutate({ subscriptionId: client.subscriptionId, add: [query] });
    // What a client does after every first event: the complete set again.
    await client.trpc.live.update.mutate({
      subscriptionId: client.subscriptionId,
      replace: true,
      add: [query],
    });
    const w1 = await driver.run('UPDATE items SET qty = qty + 1 WHERE id = 2');
    expect(await client.events.next()).toMatchObject({ data: { type: 'invalidate', queries: ['item-2'] } });
    // A quick reconnect: the server still holds the one query, and says which.
    client.unsubscribe();
    const resumed = await subscribed(client, `${w1.position.generation}:${w1.position.frame}`);
    expect(resumed.data).toMatchObject({ type: 'live', registered: 1 });
    expect(resumed.data.type === 'live' && resumed.data.digest).toMatch(/^[0-9a-f]{16}$/);
    await driver.run('UPDATE items SET qty = qty + 1 WHERE id = 2');
    expect(await client.events.next()).toMatchObject({ data: { type: 'invalidate', queries: ['item-2'] } });
  });

  it('follows a foreign key that equals the input value once it moves', async () => {
    await using server = await startServer(options);
    const driver = server.services.database.driver;
    await using client = connectLiveClient(server.wsUrl);
    const ack = await subscribed(client);
    // Item 3 belongs to owner 3: the looked-up id is also the input.
    await client.trpc.live.update.mutate({
      subscriptionId: client.subscriptionId,
      add: [{ key: 'item-3', path: 'items.withOwner', input: { id: 3 }, since: ack.id }],
    });
    await driver.run('UPDATE items SET owner_id = 1 WHERE id = 3');
    expect(await client.events.next()).toMatchObject({ data: { type: 'invalidate', queries: ['item-3'] } });
    await driver.run("UPDATE owners SET name = 'ann2' WHERE id = 1");
    expect(await client.events.next()).toMatchObject({ data: { type: 'invalidate', queries: ['item-3'] } });
    // The old owner no longer matters, once the query ran again.
    await readSetReaches(server, client.subscriptionId, 'item-3', 'owners', 1);
    await driver.run("UPDATE owners SET name = 'cid2' WHERE id = 3");
    const marker = await driver.run('UPDATE items SET qty = qty + 1 WHERE id = 3');
    const next = await client.events.next();
    expect(next.id).toBe(`${marker.position.generation}:${marker.position.frame}`);
  });

  it('a change to the new owner right after the move is caught, however the re-run is timed', async () => {
    await using server = await startServer(options);
    const driver = server.services.database.driver;
    await using client = connectLiveClient(server.wsUrl);
    const ack = await subscribed(client);
    await client.trpc.live.update.mutate({
      subscriptionId: client.subscriptionId,
      add: [{ key: 'item-1', path: 'items.withOwner', input: { id: 1 }, since: ack.id }],
    });
    // Two commits back to back, before the server could run the query again.
    await Promise.all([
      driver.run('UPDATE items SET owner_id = 3 WHERE id = 1'),
      driver.run("UPDATE owners SET name = 'cid3' WHERE id = 3"),
    ]);
    const seen: string[] = [];
    const first = await client.events.next();
    seen.push(first.id);
    const second = await client.events.next();
    seen.push(second.id);
    expect(second.data).toMatchObject({ type: 'invalidate', queries: ['item-1'] });
    expect(new Set(seen).size).toBe(2);
  });

  it('re-sending a foreign-key query keeps its read-set moving with the data', async () => {
    await using server = await startServer(options);
    const driver = server.services.database.driver;
    await using client = connectLiveClient(server.wsUrl);
    const ack = await subscribed(client);
    const query = { key: 'item-1', path: 'items.withOwner', input: { id: 1 }, since: ack.id };
    await client.trpc.live.update.mutate({ subscriptionId: client.subscriptionId, add: [query] });
    await client.trpc.live.update.mutate({
      subscriptionId: client.subscriptionId,
      replace: true,
      add: [query],
    });
    await driver.run('UPDATE items SET owner_id = 3 WHERE id = 1');
    expect(await client.events.next()).toMatchObject({ data: { queries: ['item-1'] } });
    await driver.run("UPDATE owners SET name = 'cid4' WHERE id = 3");
    expect(await client.events.next()).toMatchObject({ data: { queries: ['item-1'] } });
  });

  it('a query registered while an identical one is held by a disconnected session gets the current read-set', async () => {
    await using server = await startServer(options);
    const driver = server.services.database.driver;
    await using first = connectLiveClient(server.wsUrl);
    const ack = await subscribed(first);
    const query = { key: 'item-1', path: 'items.withOwner', input: { id: 1 } };
    await first.trpc.live.update.mutate({
      subscriptionId: first.subscriptionId,
      add: [{ ...query, since: ack.id }],
    });
    first.unsubscribe(); // its session stays for the grace period
    await until(() => server.services.hub.stats().subscriptions === 0, 'the stream to end');
    await driver.run('UPDATE items SET owner_id = 3 WHERE id = 1');
    await using second = connectLiveClient(server.wsUrl);
    const ack2 = await subscribed(second);
    await second.trpc.live.update.mutate({
      subscriptionId: second.subscriptionId,
      add: [{ ...query, since: ack2.id }],
    });
    await driver.run("UPDATE owners SET name = 'cid5' WHERE id = 3");
    expect(await second.events.next()).toMatchObject({ data: { queries: ['item-1'] } });
  });
});

describe('live protocol errors', () => {
  it('answers each misuse with its documented code', async () => {
    await using server = await startServer(options);
    await using client = connectLiveClient(server.wsUrl);
    // No live.events stream for this id (yet): UNKNOWN_SUBSCRIPTION, nothing registered.
    await expect(
      client.trpc.live.update.mutate({
        subscriptionId: client.subscriptionId,
        add: [{ key: 'item-1', path: 'items.byId', input: { id: 1 } }],
      }),
    ).rejects.toMatchObject({ data: { code: 'NOT_FOUND', liveframe: { code: 'UNKNOWN_SUBSCRIPTION' } } });
    const ack = await subscribed(client);
    expect(ack.data).toMatchObject({ type: 'live', registered: 0 });
    // A since that is not a position: INVALID_POSITION, and nothing registered.
    await expect(
      client.trpc.live.update.mutate({
        subscriptionId: client.subscriptionId,
        add: [
          { key: 'item-1', path: 'items.byId', input: { id: 1 }, since: ack.id },
          { key: 'item-2', path: 'items.byId', input: { id: 2 }, since: 'yesterday' },
        ],
      }),
    ).rejects.toMatchObject({ data: { code: 'BAD_REQUEST', liveframe: { code: 'INVALID_POSITION' } } });
    expect([...server.services.hub.queriesOf(client.subscriptionId)]).toEqual([]);
    // A since ahead of this server (another replica's position) is accepted and answered stale.
    const ahead = await client.trpc.live.update.mutate({
      subscriptionId: client.subscriptionId,
      add: [{ key: 'item-1', path: 'items.byId', input: { id: 1 }, since: `${ack.id.split(':')[0]}:999999` }],
    });
    expect(ahead.stale).toEqual(['item-1']);
  });

  it("refuses another identity's subscription id on live.events and live.update with NOT_FOUND", async () => {
    const identities: Record<string, { userId: string; tenantId: string; role: string }> = {
      alice: { userId: 'alice', tenantId: 't', role: 'admin' },
      mallory: { userId: 'mallory', tenantId: 't', role: 'admin' },
    };
    await using server = await startServer({
      ...options,
      authenticate: (token) => (token === undefined ? null : (identities[token] ?? null)),
    });
    const subscriptionId = 'shared-subscription-id';
    await using alice = connectLiveClient(server.wsUrl, { token: 'alice', subscriptionId });
    await subscribed(alice);
    await using mallory = connectLiveClient(server.wsUrl, { token: 'mallory', subscriptionId });
    const error = new Promise<unknown>((resolve) => {
      mallory.trpc.live.events.subscribe({ subscriptionId }, { onError: resolve });
    });
    await expect(error).resolves.toMatchObject({
      data: { code: 'NOT_FOUND', liveframe: { code: 'UNKNOWN_SUBSCRIPTION' } },
    });
    await expect(
      mallory.trpc.live.update.mutate({
        subscriptionId,
        add: [{ key: 'k', path: 'items.byId', input: { id: 1 } }],
      }),
    ).rejects.toMatchObject({ data: { code: 'NOT_FOUND', liveframe: { code: 'UNKNOWN_SUBSCRIPTION' } } });
  });
});
