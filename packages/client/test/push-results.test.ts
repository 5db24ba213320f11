import { QueryClient, QueryObserver } from '@tanstack/query-core';
import { create } from 'jsondiffpatch';
import superjson from 'superjson';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidationLog } from '../src/invalidation-log.ts';
import { withLiveFetch } from '../src/live-query-options.ts';
import { LiveQueryRegistry } from '../src/live-query-registry.ts';
import { FakeLiveChannel } from './fake-live-channel.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function setup() {
  const queryClient = new QueryClient();
  const channel = new FakeLiveChannel();
  const log = new InvalidationLog();
  const registry = new LiveQueryRegistry({ queryClient, channel, log, subscriptionId: 'tab-push' });
  registry.start();
  cleanups.push(
    () => registry.close(),
    () => queryClient.clear(),
  );
  const queryKey = [['orders', 'list'], { type: 'query' }] as const;
  let calls = 0;
  const observer = new QueryObserver(
    queryClient,
    withLiveFetch(
      {
        queryKey,
        queryFn: async () => ({ fetched: ++calls }),
        staleTime: Number.POSITIVE_INFINITY,
        trpc: { path: 'orders.list' },
      },
      registry,
    ),
  );
  cleanups.push(observer.subscribe(() => {}));
  cleanups.push(registry.register({ queryKey, path: 'orders.list', input: undefined }));
  // The key the registry registered the query with (and the server's events use).
  const key = registry.wireKeyOf(queryKey)!;
  return { queryClient, channel, log, queryKey, key, fetches: () => calls };
}

describe('push delivery in the client registry', () => {
  it('subscribes with delivery push by default and puts pushed results into the cache without a fetch', async () => {
    const { queryClient, channel, log, queryKey, key, fetches } = setup();
    expect(channel.subscribeOptions).toEqual({ delivery: 'push', patches: true });
    channel.ack(1);
    await settle();
    expect(fetches()).toBe(1);
    const rows = [{ id: 7, at: new Date(0) }];
    channel.emit({
      type: 'results',
      position: 'g1:5',
      results: [{ key, data: superjson.stringify(rows), at: 'g1:5' }],
      invalidate: [],
    });
    await settle();
    // Decoded with the transformer (the Date survives), no refetch.
    expect(queryClient.getQueryData(queryKey)).toEqual(rows);
    expect(fetches()).toBe(1);
    expect(log.getSnapshot()[0]).toMatchObject({ pushed: ['orders.list'], refetched: [] });
    // An older result (a slower execution) never replaces newer data.
    channel.emit({
      type: 'results',
      position: 'g1:6',
      results: [{ key, data: superjson.stringify([]), at: 'g1:4' }],
      invalidate: [],
    });
    await settle();
    expect(queryClient.getQueryData(queryKey)).toEqual(rows);
  });

  it('reads a result without `at` as read at its event position', async () => {
    const { queryClient, channel, queryKey, key } = setup();
    const push = async (position: string, result: Record<string, unknown>) => {
      channel.emit({ type: 'results', position, results: [{ key, ...result }] as never, invalidate: [] });
      await settle();
      return queryClient.getQueryData(queryKey);
    };
    channel.ack(1);
    await settle();
    expect(await push('g1:5', { data: superjson.stringify([1]) })).toEqual([1]);
    // At g1:5, so a result read at g1:4 is older and left out; one at g1:6 replaces it.
    expect(await push('g1:6', { data: superjson.stringify([2]), at: 'g1:4' })).toEqual([1]);
    expect(await push('g1:6', { data: superjson.stringify([3]) })).toEqual([3]);
    // A patch's base is the implied `at` of the result it applies to.
    expect(await push('g1:7', { patch: { json: { 1: [4], _t: 'a' } }, base: 'g1:6' })).toEqual([3, 4]);
  });

  it('refetches a result the server could not push (too large)', async () => {
    const { channel, key, fetches } = setup();
    channel.ack(1);
    await settle();
    channel.emit({ type: 'results', position: 'g1:3', results: [], invalidate: [key] });
    await settle();
    expect(fetches()).toBe(2);
  });

  it('applies a patch to the result last pushed for the key, whatever the cache holds meanwhile', async () => {
    const { queryClient, channel, queryKey, key, fetches } = setup();
    channel.ack(1);
    await settle();
    const first = [
      { id: 2, total: 5, at: new Date(1000) },
      { id: 1, total: 3, at: new Date(0) },
    ];
    channel.emit({
      type: 'results',
      position: 'g1:5',
      results: [{ key, data: superjson.stringify(first), at: 'g1:5' }],
      invalidate: [],
    });
    await settle();
    const firstObject = queryClient.getQueryData(queryKey);
    const cachedFirst = structuredClone(firstObject);
    const second = [
      { id: 3, total: 9, at: new Date(2000) },
      { ...first[0]!, total: 6 },
    ];
    const differ = create({ objectHash: (row) => String((row as { id?: number }).id) });
    const patch = differ.diff(superjson.serialize(first), superjson.serialize(second));
    channel.emit({
      type: 'results',
      position: 'g1:7',
      results: [{ key, patch, base: 'g1:5', at: 'g1:7' }],
      invalidate: [],
    });
    await settle();
    expect(queryClient.getQueryData(queryKey)).toEqual(second);
    // The value cached before was not changed in place by the patch (immutable data for React).
    expect(firstObject).toEqual(cachedFirst);
    expect(firstObject).toEqual(first);
    expect(fetches()).toBe(1);
  });

  it('fetches and registers again a key whose patch names a base it does not hold', async () => {
    const { channel, key, fetches } = setup();
    channel.ack(1);
    await settle();
    const updates = channel.updates.length;
    channel.emit({
      type: 'results',
      position: 'g1:7',
      results: [{ key, patch: { 0: [{ id: 1 }], _t: 'a' }, base: 'g1:5', at: 'g1:7' }],
      invalidate: [],
    });
    await settle();
    expect(fetches()).toBe(2);
    expect(channel.updates.slice(updates).flatMap((update) => (update.add ?? []).map((r) => r.key))).toEqual([
      key,
    ]);
  });
});
