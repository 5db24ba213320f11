import { signToken } from '@liveframe/server';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { startServer, TEST_AUTH_SECRET } from '../src/testing/index.ts';
import { connectLiveClient, type LiveClient } from './support/live-client.ts';
import { dataOf } from './support/push-viewer.ts';

type Results = Extract<Awaited<ReturnType<LiveClient['events']['next']>>['data'], { type: 'results' }>;

const viewer = (userId: string, tenantId = 'demo') =>
  signToken({ userId, tenantId, role: 'admin' }, TEST_AUTH_SECRET);

/** A push subscriber with the given live queries registered. */
async function pushViewer(
  wsUrl: string,
  token: string,
  queries: { key: string; path: string; input: unknown }[],
) {
  const client = connectLiveClient(wsUrl, { token });
  client.subscribe(undefined, 'push');
  const ack = await client.events.next();
  expect(ack.data.type).toBe('live');
  await client.trpc.live.update.mutate({
    subscriptionId: client.subscriptionId,
    add: queries.map((query) => ({ ...query, since: ack.id })),
  });
  return client;
}

async function nextResults(client: LiveClient): Promise<Results> {
  const event = await client.events.until((e) => e.data.type === 'results');
  return event.data as Results;
}

const decode = (results: Results, key: string) => {
  const result = results.results.find((r) => r.key === key);
  return superjson.parse(result === undefined ? 'null' : dataOf(result));
};

describe('push delivery: one execution per distinct live query, results pushed', () => {
  it('pushes the new result to every viewer, runs each affected query once whatever the number of viewers', async () => {
    await using server = await startServer();
    const queries = [
      { key: 'kpis', path: 'dashboard.kpis', input: {} },
      { key: 'order-5', path: 'orders.byId', input: { id: 5 } },
    ];
    // Three users of one tenant: their results depend on the tenant (and role), not the user.
    await using a = await pushViewer(server.wsUrl, viewer('ann'), queries);
    await using b = await pushViewer(server.wsUrl, viewer('bob'), queries);
    await using c = await pushViewer(server.wsUrl, viewer('cid'), queries);
    const runsBefore = server.services.sessions.runs;
    const write = await a.trpc.orders.setStatus.mutate({ id: 5, status: 'cancelled' });
    const pushed = await Promise.all([a, b, c].map(nextResults));
    for (const results of pushed) {
      expect(results.results.map((r) => r.key).sort()).toEqual(['kpis', 'order-5']);
      expect(decode(results, 'order-5')).toMatchObject({ id: 5, status: 'cancelled' });
      // Read at or after the write (`at` omitted: at the event's position).
      const reads = results.results.map((r) => r.at ?? results.position);
      expect(reads.every((at) => at >= write.frame || at.length > write.frame.length)).toBe(true);
      // `at` is sent only when it differs from the event's position (PROTOCOL.md).
      expect(results.results.filter((r) => r.at === results.position)).toEqual([]);
    }
    // The pushed data is what a fresh read returns.
    expect(decode(pushed[0]!, 'order-5')).toEqual(await a.trpc.orders.byId.query({ id: 5 }));
    // Two distinct affected queries: two executions, not six.
    expect(server.services.sessions.runs - runsBefore).toBe(2);
    // One shared event object: all three got the same bytes.
    expect(JSON.stringify(pushed[1])).toBe(JSON.stringify(pushed[0]));
  });

  it('sends nothing when a change leaves a result the subscriber holds as it was, and never crosses tenants', async () => {
    await using server = await startServer();
    const driver = server.services.database.driver;
    await using demo = await pushViewer(server.wsUrl, viewer('ann'), [
      { key: 'order-7', path: 'orders.byId', input: { id: 7 } },
    ]);
    // Another tenant registers the same query: a different scope, a different result (null).
    await using other = await pushViewer(server.wsUrl, viewer('eve', 'other'), [
      { key: 'order-7', path: 'orders.byId', input: { id: 7 } },
    ]);
    const status = driver.get<{ status: string }>('SELECT status FROM orders WHERE id = 7')!.status;
    const first = status === 'paid' ? 'shipped' : 'paid';
    await driver.run('UPDATE orders SET status = ? WHERE id = 7', [first]);
    expect(decode(await nextResults(demo), 'order-7')).toMatchObject({ id: 7, status: first });
    // A write that touches row 7 but leaves every column as it was: the query runs, and this
    // subscriber already holds that result, so nothing is sent to it.
    const same = await driver.run('UPDATE orders SET status = status WHERE id = 7');
    // (Its run is done once the other tenant, whose group it hit too, could have been sent to.)
    expect(await other.trpc.whoami.query()).toMatchObject({ identity: { tenantId: 'other' } });
    const next = first === 'paid' ? 'shipped' : 'paid';
    const real = await driver.run('UPDATE orders SET status = ? WHERE id = 7', [next]);
    const results = await nextResults(demo);
    expect(results.position).toBe(`${real.position.generation}:${real.position.frame}`);
    expect(decode(results, 'order-7')).toMatchObject({ id: 7, status: next });
    expect(same.position.frame).toBeLessThan(real.position.frame);
    // The other tenant's result is null (not its order): whatever it was sent is that null, never
    // demo's row. A round trip on its socket comes back after anything sent to it before.
    expect(await other.trpc.whoami.query()).toMatchObject({ identity: { tenantId: 'other' } });
    for (let pending = other.events.size; pending > 0; pending--) {
      const event = await other.events.next();
      if (event.data.type === 'results') expect(decode(event.data, 'order-7')).toBeNull();
    }
  });

  it('invalidates a result larger than the push limit instead of pushing it', async () => {
    await using server = await startServer({ config: { maxPushBytes: 64 } });
    await using client = await pushViewer(server.wsUrl, viewer('ann'), [
      { key: 'list', path: 'orders.list', input: { pageSize: 20 } },
    ]);
    const page = await client.trpc.orders.list.query({ pageSize: 20 });
    const shown = page.rows[0]!;
    await client.trpc.orders.setStatus.mutate({
      id: shown.id,
      status: shown.status === 'cancelled' ? 'paid' : 'cancelled',
    });
    const results = await nextResults(client);
    expect(results.results).toEqual([]);
    expect(results.invalidate).toEqual(['list']);
  });

  it('a push subscription that resumes gets the results it missed', async () => {
    await using server = await startServer();
    await using client = await pushViewer(server.wsUrl, viewer('ann'), [
      { key: 'order-9', path: 'orders.byId', input: { id: 9 } },
    ]);
    const w1 = await client.trpc.orders.setStatus.mutate({ id: 9, status: 'shipped' });
    const first = await nextResults(client);
    expect(decode(first, 'order-9')).toMatchObject({ status: 'shipped' });
    client.unsubscribe();
    await client.trpc.orders.setStatus.mutate({ id: 9, status: 'paid' });
    // Resume from the last event it got (the push itself, at or past the write).
    expect(first.position >= w1.frame || first.position.length > w1.frame.length).toBe(true);
    client.subscribe(first.position, 'push');
    const live = await client.events.next();
    expect(live.data).toMatchObject({ type: 'live', registered: 1 });
    const missed = await nextResults(client);
    expect(decode(missed, 'order-9')).toMatchObject({ id: 9, status: 'paid' });
  });
});
