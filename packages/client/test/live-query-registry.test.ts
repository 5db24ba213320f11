import { QueryClient, QueryObserver } from '@tanstack/query-core';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameClock } from '../src/frame-clock.ts';
import { InvalidationLog } from '../src/invalidation-log.ts';
import { withLiveFetch } from '../src/live-query-options.ts';
import { LiveQueryRegistry } from '../src/live-query-registry.ts';
import { FakeLiveChannel } from './fake-live-channel.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function setup() {
  const queryClient = new QueryClient();
  const channel = new FakeLiveChannel();
  const log = new InvalidationLog();
  const clock = new FrameClock();
  const acks: string[] = [];
  const registry = new LiveQueryRegistry({
    queryClient,
    channel,
    log,
    clock,
    subscriptionId: 'tab-1',
    onAcknowledged: (p) => acks.push(`${p.generation}:${p.frame}`),
  });
  registry.start();
  cleanups.push(
    () => registry.close(),
    () => queryClient.clear(),
  );

  /**
   * A mounted live query as useLiveQuery makes it: observed, fetch-wrapped and registered. With
   * `gated`, every fetch waits until the test calls `release()`.
   */
  function mount(path: string, input?: unknown, gated = false) {
    const queryKey = [path.split('.'), { ...(input === undefined ? {} : { input }), type: 'query' }] as const;
    let calls = 0;
    let gates: (() => void)[] = [];
    const options = withLiveFetch(
      {
        queryKey,
        queryFn: async () => {
          calls++;
          if (gated) await new Promise<void>((resolve) => gates.push(resolve));
          return { calls };
        },
        staleTime: Number.POSITIVE_INFINITY,
        trpc: { path },
      },
      registry,
    );
    const observer = new QueryObserver(queryClient, options);
    const stopObserving = observer.subscribe(() => {});
    const unregister = registry.register({ queryKey, path, input });
    // The key it goes by on the wire (the same for every user of the query).
    const key = registry.wireKeyOf(queryKey)!;
    const unmount = () => {
      unregister();
      stopObserving();
    };
    cleanups.push(unmount);
    return {
      key,
      unmount,
      get calls() {
        return calls;
      },
      release() {
        const open = gates;
        gates = [];
        for (const resolve of open) resolve();
      },
    };
  }

  /** Lets microtasks, the fake server's replies and the refetches they trigger run to the end. */
  async function settle(): Promise<void> {
    for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  return { queryClient, channel, log, clock, registry, acks, mount, settle };
}

describe('LiveQueryRegistry', () => {
  it('holds first fetches until the server is live, then registers without an extra refetch', async () => {
    const { channel, mount, settle, acks } = setup();
    const orders = mount('orders.list', { page: 1 });
    const kpis = mount('kpis.summary');
    await settle();
    expect(orders.calls).toBe(0);
    channel.ack(3, []);
    await settle();
    expect(acks).toEqual(['g1:3']);
    expect(orders.calls).toBe(1);
    expect(kpis.calls).toBe(1);
    expect([...channel.registered.keys()].sort()).toEqual([kpis.key, orders.key].sort());
    expect([...channel.registered.values()].map((r) => r.since)).toEqual(['g1:3', 'g1:3']);
    expect(orders.calls + kpis.calls).toBe(2);
  });

  it('shares one registration per query key and removes it with the last user', async () => {
    const { channel, registry, mount, settle } = setup();
    channel.ack(1);
    await settle();
    const a = mount('orders.list', { page: 1 });
    const b = mount('orders.list', { page: 1 });
    await settle();
    expect(channel.updates.filter((u) => (u.add ?? []).length > 0)).toHaveLength(1);
    a.unmount();
    await settle();
    expect(channel.registered.has(b.key)).toBe(true);
    b.unmount();
    await settle();
    expect(channel.registered.size).toBe(0);
    expect(registry.getStatus().liveQueries).toBe(0);
  });

  it('refetches exactly the invalidated queries and logs what changed and how long it took', async () => {
    const { channel, log, mount, settle } = setup();
    channel.ack(1);
    const orders = mount('orders.list', { page: 1 });
    const kpis = mount('kpis.summary');
    await settle();
    channel.invalidate(5, [orders.key], ['orders']);
    await settle();
    expect(orders.calls).toBe(2);
    expect(kpis.calls).toBe(1);
    const [record] = log.getSnapshot();
    expect(record).toMatchObject({
      position: { generation: 'g1', frame: 5 },
      tables: ['orders'],
      refetched: ['orders.list'],
      skipped: [],
    });
    expect(record?.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('registers queries under short wire keys, the same for the same query in every tab', async () => {
    const first = setup();
    const second = setup();
    first.channel.ack(1);
    second.channel.ack(1);
    const orders = first.mount('orders.list', { page: 1, sort: 'newest' });
    const kpis = first.mount('kpis.summary', { windowMinutes: 60 });
    // Another tab, keys in another order: the server can share one event between both tabs.
    const sameOrders = second.mount('orders.list', { sort: 'newest', page: 1 });
    await Promise.all([first.settle(), second.settle()]);
    expect(orders.key).not.toBe(kpis.key);
    expect(orders.key.length).toBeLessThanOrEqual(15);
    expect(sameOrders.key).toBe(orders.key);
    expect(first.channel.registered.get(orders.key)).toMatchObject({
      path: 'orders.list',
      input: { page: 1 },
    });
    orders.unmount();
    await first.settle();
    expect(first.channel.updates.at(-1)).toMatchObject({ remove: [orders.key] });
    // A late event for the removed key reaches nothing.
    first.channel.invalidate(4, [orders.key]);
    await first.settle();
    expect(orders.calls).toBe(1);
    expect(kpis.calls).toBe(1);
  });

  it('does not refetch a query whose data already is at or past the event frame (own write)', async () => {
    const { channel, clock, log, queryClient, mount, settle } = setup();
    channel.ack(1);
    const orders = mount('orders.list');
    await settle();
    // Our mutation reached frame 7; we refetch with minFrame 7 before the event arrives.
    clock.observe('g1:7');
    await queryClient.invalidateQueries({ queryKey: [['orders', 'list']] });
    await settle();
    expect(orders.calls).toBe(2);
    channel.invalidate(7, [orders.key]);
    await settle();
    expect(orders.calls).toBe(2);
    expect(log.getSnapshot()[0]).toMatchObject({ refetched: [], skipped: ['orders.list'], durationMs: 0 });
  });

  it('turns one change set reaching several queries into one log record', async () => {
    const { channel, log, mount, settle } = setup();
    channel.ack(1);
    const orders = mount('orders.list');
    const kpis = mount('kpis.summary');
    await settle();
    channel.invalidate(9, [orders.key, kpis.key], ['customers', 'orders']);
    await settle();
    expect(log.getSnapshot()).toHaveLength(1);
    expect(log.getSnapshot()[0]?.refetched).toEqual(['orders.list', 'kpis.summary']);
    expect(log.totals).toEqual({ changeSets: 1, refetches: 2, skipped: 0, fetches: 2 });
  });

  it('refetches everything and re-registers on refetch-all', async () => {
    const { channel, log, mount, settle } = setup();
    channel.ack(1);
    const orders = mount('orders.list');
    const kpis = mount('kpis.summary');
    await settle();
    channel.emit({ type: 'refetch-all', position: 'g2:1', reason: 'generation changed' });
    await settle();
    expect(orders.calls).toBe(2);
    expect(kpis.calls).toBe(2);
    expect(channel.updates.at(-1)).toMatchObject({ replace: true });
    expect(channel.updates.at(-1)?.add?.map((a) => a.since)).toEqual(['g2:1', 'g2:1']);
    expect(log.getSnapshot()[0]?.reason).toBe('refetch all: generation changed');
  });

  it('after a reconnect, re-registers only when the server lost the registrations', async () => {
    const { channel, registry, mount, settle } = setup();
    channel.ack(1);
    const orders = mount('orders.list');
    await settle();
    const updatesBefore = channel.updates.length;
    // Same server within the grace period: it still holds our one query.
    registry.connectionLost();
    channel.ack(4);
    await settle();
    expect(channel.updates.length).toBe(updatesBefore);
    // A restarted server holds nothing: everything is sent again, with the data's floor.
    registry.connectionLost();
    channel.changedAt = 6;
    channel.ack(6, []);
    await settle();
    expect(channel.updates.at(-1)).toMatchObject({
      replace: true,
      add: [{ key: orders.key, since: 'g1:1' }],
    });
    // The server said the data may have missed frame 6: refetched once.
    expect(orders.calls).toBe(2);
  });

  it('re-registers when the server holds as many queries as we mount, but other ones', async () => {
    const { channel, registry, mount, settle } = setup();
    channel.ack(1);
    const orders = mount('orders.list');
    await settle();
    const updatesBefore = channel.updates.length;
    registry.connectionLost();
    // One query held, one mounted, but not the same one: the digest tells them apart.
    channel.ack(3, ['["some-other-key"]']);
    await settle();
    expect(channel.updates.length).toBe(updatesBefore + 1);
    expect(channel.updates.at(-1)).toMatchObject({ replace: true, add: [{ key: orders.key }] });
  });

  it('sends registrations made while disconnected after the next acknowledgement', async () => {
    const { channel, registry, mount, settle } = setup();
    channel.ack(1);
    await settle();
    registry.connectionLost();
    const orders = mount('orders.list');
    await settle();
    expect(channel.registered.size).toBe(0);
    channel.ack(2, []);
    await settle();
    expect(channel.registered.has(orders.key)).toBe(true);
  });

  it('subscribes again when the server ends the subscription with an error', async () => {
    const { channel, settle } = setup();
    expect(channel.subscriptions).toBe(1);
    channel.fail(new Error('boom'));
    await settle();
    await expect.poll(() => channel.subscriptions, { timeout: 3_000 }).toBe(2);
  });

  it('never cancels a fetch in flight: one refetch is owed and runs after it, however many events arrive', async () => {
    const { channel, log, queryClient, mount, settle } = setup();
    channel.ack(1);
    const orders = mount('orders.list', undefined, true);
    await settle();
    expect(orders.calls).toBe(1);
    channel.invalidate(2, [orders.key]);
    channel.invalidate(3, [orders.key]);
    await settle();
    channel.invalidate(4, [orders.key]);
    await settle();
    // The first fetch (started at frame 1) is still running: nothing was cancelled or doubled.
    expect(orders.calls).toBe(1);
    expect(log.totals).toMatchObject({ refetches: 3, fetches: 0 });
    orders.release();
    // The owed refetch starts on a timer after the first fetch has settled.
    await expect.poll(() => orders.calls).toBe(2);
    orders.release();
    await expect.poll(() => queryClient.isFetching()).toBe(0);
    await settle();
    expect(orders.calls).toBe(2);
    // Three change sets named the query; one fetch served them all.
    expect(log.totals).toMatchObject({ refetches: 3, fetches: 1 });
    expect(log.getSnapshot().every((record) => record.durationMs !== null)).toBe(true);
  });

  it('skips an event that a fetch in flight already covers', async () => {
    const { channel, log, mount, settle } = setup();
    channel.ack(1);
    const orders = mount('orders.list', undefined, true);
    await settle();
    orders.release();
    await settle();
    channel.invalidate(5, [orders.key]);
    await settle();
    // The refetch for frame 5 is in flight (its floor is 5); a late duplicate of 5 needs nothing.
    channel.emit({ type: 'invalidate', position: 'g1:5', queries: [orders.key], tables: ['orders'] });
    await settle();
    expect(orders.calls).toBe(2);
    expect(log.getSnapshot()[0]).toMatchObject({ skipped: ['orders.list'] });
    orders.release();
    await settle();
  });

  it('ignores a superseded fetch that settles late (cancelled by a newer one)', async () => {
    const { channel, clock, log, registry, settle } = setup();
    channel.ack(1);
    const queryKey = [['orders', 'list'], { type: 'query' }];
    registry.register({ queryKey, path: 'orders.list', input: undefined });
    const older = await registry.beginFetch(queryKey);
    clock.observe('g1:9');
    const newer = await registry.beginFetch(queryKey);
    expect(newer.floor).toEqual({ generation: 'g1', frame: 9 });
    registry.completeFetch(queryKey, older, true);
    // Still covered by the newer fetch, which reads at frame 9 or later.
    channel.invalidate(5, [registry.wireKeyOf(queryKey)!]);
    await settle();
    expect(log.getSnapshot()[0]).toMatchObject({ refetched: [], skipped: ['orders.list'] });
  });

  it('keeps the other queries live when the server rejects one registration', async () => {
    const { channel, registry, settle } = setup();
    channel.rejectPaths.add('admin.secrets');
    const errors: unknown[] = [];
    registry.close();
    const withErrors = new LiveQueryRegistry({
      queryClient: new QueryClient(),
      channel,
      log: new InvalidationLog(),
      onError: (error) => errors.push(error),
    });
    withErrors.start();
    cleanups.push(() => withErrors.close());
    channel.ack(1, []);
    withErrors.register({ queryKey: [['orders', 'list']], path: 'orders.list', input: undefined });
    withErrors.register({ queryKey: [['admin', 'secrets']], path: 'admin.secrets', input: undefined });
    await settle();
    expect([...channel.registered.values()].map((r) => r.path)).toEqual(['orders.list']);
    expect(errors).toHaveLength(1);
    // The rejected query is not sent again on the next acknowledgement.
    const updates = channel.updates.length;
    withErrors.connectionLost();
    channel.ack(2);
    await settle();
    expect(channel.updates.length).toBe(updates);
  });
});
