import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LiveSubscription } from '../src/index.ts';
import { formatPosition, LiveQueryHub, ReactiveError, readSetOf } from '../src/index.ts';
import { at, changes, drain, drainSorted } from './support/hub-helpers.ts';

afterEach(() => vi.useRealTimers());

function hubWithClient(options: { history?: { maxEntries?: number } } = {}) {
  const hub = new LiveQueryHub({ position: at(0), ...options });
  hub.registerQuery({ subscriberId: 'c1', key: 'user:7', readSet: readSetOf({ users: [7] }) });
  hub.registerQuery({ subscriberId: 'c1', key: 'feed', readSet: readSetOf({ posts: 'all', users: 'all' }) });
  return hub;
}

describe('LiveQueryHub: live invalidations', () => {
  it('acks first, then sends one coalesced invalidation per change set, without row data', async () => {
    const hub = hubWithClient();
    const subscription = hub.subscribe({ subscriberId: 'c1' });
    expect(subscription.liveFrom).toEqual(at(0));
    hub.publish(changes(1, ['users', 7], ['users', 8], ['posts', 1]));
    hub.publish(changes(2, ['users', 8]));
    hub.publish(changes(3, ['tags', 1]));
    expect(await drainSorted(subscription)).toEqual([
      { type: 'live', position: at(0) },
      { type: 'invalidate', position: at(1), queries: ['feed', 'user:7'], tables: ['posts', 'users'] },
      { type: 'invalidate', position: at(2), queries: ['feed'], tables: ['users'] },
    ]);
    expect(hub.position).toEqual(at(3));
  });

  it('an async consumer receives events as they are published', async () => {
    const hub = hubWithClient();
    const subscription = hub.subscribe({ subscriberId: 'c1' });
    const received: string[] = [];
    const consumer = (async () => {
      for await (const event of subscription) {
        received.push(`${event.type}@${formatPosition(event.position)}`);
        if (event.position.frame === 2) break;
      }
    })();
    hub.publish(changes(1, ['posts', 1]));
    hub.publish(changes(2, ['posts', 2]));
    await consumer;
    expect(received).toEqual(['live@g:0', 'invalidate@g:1', 'invalidate@g:2']);
  });

  it('never tells a subscriber about tables it cannot see', async () => {
    const hub = hubWithClient();
    const subscription = hub.subscribe({ subscriberId: 'c1', canSee: (table) => table !== 'users' });
    hub.publish(changes(1, ['users', 7], ['posts', 1]));
    hub.publish(changes(2, ['users', 7]));
    const events = await drainSorted(subscription);
    expect(events.slice(1)).toEqual([
      { type: 'invalidate', position: at(1), queries: ['feed', 'user:7'], tables: ['posts'] },
      { type: 'invalidate', position: at(2), queries: ['feed', 'user:7'], tables: [] },
    ]);
  });

  it('schema events invalidate the queries reading the affected tables and ask to re-derive them', async () => {
    const hub = hubWithClient();
    const subscription = hub.subscribe({ subscriberId: 'c1' });
    const result = hub.publish({ type: 'schema', position: at(1), tables: ['Posts'] });
    expect(result.rederive).toEqual([{ subscriberId: 'c1', key: 'feed' }]);
    expect((await drain(subscription)).slice(1)).toEqual([
      { type: 'invalidate', position: at(1), queries: ['feed'], tables: ['posts'] },
    ]);
    const unknown = hub.publish({ type: 'schema', position: at(2) });
    expect(unknown.refetchAll).toBe(true);
    expect(unknown.rederive).toHaveLength(2);
    expect(await drain(subscription)).toEqual([
      { type: 'refetch-all', position: at(2), reason: 'schema changed' },
    ]);
  });

  it('a generation change, a refetch-all event or a frame going backwards makes everyone refetch all', async () => {
    const hub = hubWithClient();
    const subscription = hub.subscribe({ subscriberId: 'c1' });
    hub.publish(changes(5, ['posts', 1]));
    const events = [];
    hub.publish({ type: 'changes', changeSet: { generation: 'g2', frame: 1, changes: [] } });
    events.push(...(await drain(subscription)));
    hub.publish({ type: 'refetch-all', position: at(2, 'g2'), reason: 'change log compacted' });
    events.push(...(await drain(subscription)));
    hub.publish({ type: 'changes', changeSet: { generation: 'g2', frame: 1, changes: [] } });
    events.push(...(await drain(subscription)));
    // A refetch-all subsumes whatever was still buffered (here the ack and the invalidation at g:5).
    expect(events).toEqual([
      { type: 'refetch-all', position: at(1, 'g2'), reason: 'primary generation changed' },
      { type: 'refetch-all', position: at(2, 'g2'), reason: 'change log compacted' },
      { type: 'refetch-all', position: at(1, 'g2'), reason: 'frame went backwards within a generation' },
    ]);
  });

  it('a slow consumer overflows into a single refetch-all, with bounded memory', async () => {
    const hub = hubWithClient();
    const subscription = hub.subscribe({ subscriberId: 'c1', bufferSize: 4 });
    for (let frame = 1; frame <= 1000; frame++) hub.publish(changes(frame, ['posts', frame]));
    expect(subscription.buffered).toBe(1);
    expect(await drain(subscription)).toEqual([
      { type: 'refetch-all', position: at(1000), reason: 'subscriber buffer overflow' },
    ]);
    expect(subscription.overflows).toBe(1);
    expect(hub.stats().overflows).toBe(1);
    hub.publish(changes(1001, ['posts', 1]));
    expect(await drain(subscription)).toEqual([
      { type: 'invalidate', position: at(1001), queries: ['feed'], tables: ['posts'] },
    ]);
  });

  it('throttles per subscriber, merging invalidations inside the window (newest position)', async () => {
    vi.useFakeTimers();
    const hub = hubWithClient();
    hub.registerQuery({ subscriberId: 'c2', key: 'feed', readSet: readSetOf({ posts: 'all' }) });
    const slow = hub.subscribe({ subscriberId: 'c1', throttleMs: 50 });
    const fast = hub.subscribe({ subscriberId: 'c2' });
    hub.publish(changes(1, ['posts', 1]));
    hub.publish(changes(2, ['users', 7]));
    hub.publish(changes(3, ['posts', 2]));
    expect((await drain(fast)).filter((e) => e.type === 'invalidate')).toHaveLength(2);
    expect(await drain(slow)).toEqual([
      { type: 'live', position: at(0) },
      { type: 'invalidate', position: at(1), queries: ['feed'], tables: ['posts'] },
    ]);
    vi.advanceTimersByTime(50);
    expect(await drainSorted(slow)).toEqual([
      { type: 'invalidate', position: at(3), queries: ['feed', 'user:7'], tables: ['posts', 'users'] },
    ]);
  });

  it('rejects a bad buffer size and refuses work once closed', () => {
    const hub = new LiveQueryHub({ position: at(0) });
    expect(() => hub.subscribe({ subscriberId: 'x', bufferSize: 0 })).toThrow(ReactiveError);
    const subscription = hub.subscribe({ subscriberId: 'x' });
    hub.close();
    expect(subscription.closed).toBe(true);
    expect(() => hub.publish(changes(1))).toThrow(expect.objectContaining({ code: 'HUB_CLOSED' }));
  });
});

describe('LiveQueryHub: cancellation releases registrations', () => {
  it.each<[string, (s: LiveSubscription, abort: AbortController) => unknown]>([
    ['AbortSignal', (_s, abort) => abort.abort()],
    ['iterator return()', (s) => s.return()],
    ['close()', (s) => s.close()],
  ])('%s ends the stream and unregisters the subscriber queries', async (_name, cancel) => {
    const hub = hubWithClient();
    const abort = new AbortController();
    const subscription = hub.subscribe({ subscriberId: 'c1', signal: abort.signal });
    await subscription.next();
    const pending = subscription.next();
    await cancel(subscription, abort);
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(subscription.closed).toBe(true);
    expect(hub.stats()).toMatchObject({ queries: 0, subscriptions: 0 });
    expect(hub.publish(changes(1, ['posts', 1])).invalidatedQueries).toBe(0);
  });

  it('an already aborted signal yields an ended subscription and releases the queries', async () => {
    const hub = hubWithClient();
    const subscription = hub.subscribe({ subscriberId: 'c1', signal: AbortSignal.abort() });
    expect(await subscription.next()).toEqual({ value: undefined, done: true });
    expect(hub.stats().queries).toBe(0);
  });

  it('subscribing again replaces the old subscription but keeps the queries', async () => {
    const hub = hubWithClient();
    const first = hub.subscribe({ subscriberId: 'c1' });
    const second = hub.subscribe({ subscriberId: 'c1' });
    expect(first.closed).toBe(true);
    expect(second.closed).toBe(false);
    expect(hub.stats()).toMatchObject({ queries: 2, subscriptions: 1 });
    first.close(); // closing the replaced one must not touch its successor
    expect(hub.stats()).toMatchObject({ queries: 2, subscriptions: 1 });
  });

  it('using-declarations dispose the subscription', () => {
    const hub = hubWithClient();
    {
      using _subscription = hub.subscribe({ subscriberId: 'c1' });
      expect(hub.stats().subscriptions).toBe(1);
    }
    expect(hub.stats()).toMatchObject({ queries: 0, subscriptions: 0 });
  });
});

describe('LiveQueryHub: resume', () => {
  it('replays exactly the missed invalidations for the current queries after the ack', async () => {
    const hub = hubWithClient();
    hub.subscribe({ subscriberId: 'c1' }); // registrations survive: next subscribe replaces it
    hub.publish(changes(1, ['users', 8]));
    hub.publish(changes(2, ['users', 7]));
    hub.publish(changes(3, ['tags', 1]));
    const resumed = hub.subscribe({ subscriberId: 'c1', after: 'g:1' });
    expect(resumed.liveFrom).toEqual(at(1));
    expect(await drainSorted(resumed)).toEqual([
      { type: 'live', position: at(1) },
      { type: 'invalidate', position: at(3), queries: ['feed', 'user:7'], tables: ['users'] },
    ]);
    const upToDate = hub.subscribe({ subscriberId: 'c1', after: at(3) });
    expect(await drain(upToDate)).toEqual([{ type: 'live', position: at(3) }]);
  });

  it('a resume at a frame shared by a schema event and row changes replays the whole frame', async () => {
    const hub = new LiveQueryHub({ position: at(0) });
    hub.registerQuery({ subscriberId: 'c1', key: 'tags', readSet: readSetOf({ tags: 'all' }) });
    hub.registerQuery({ subscriberId: 'c1', key: 'user:7', readSet: readSetOf({ users: [7] }) });
    const first = hub.subscribe({ subscriberId: 'c1' });
    hub.publish({ type: 'schema', position: at(1), tables: ['tags'] });
    // The client got the schema invalidation at g:1 and its connection dropped...
    expect((await drain(first)).at(-1)).toMatchObject({
      type: 'invalidate',
      position: at(1),
      queries: ['tags'],
    });
    hub.publish(changes(1, ['users', 7])); // ...before the same commit's row changes went out.
    const resumed = hub.subscribe({ subscriberId: 'c1', after: 'g:1' });
    expect(await drainSorted(resumed)).toEqual([
      { type: 'live', position: at(1) },
      { type: 'invalidate', position: at(1), queries: ['tags', 'user:7'], tables: ['tags', 'users'] },
    ]);
  });

  it('a gap beyond the history is an explicit refetch-all that also acks', async () => {
    const hub = hubWithClient({ history: { maxEntries: 2 } });
    for (let frame = 1; frame <= 5; frame++) hub.publish(changes(frame, ['posts', frame]));
    const subscription = hub.subscribe({ subscriberId: 'c1', after: at(2) });
    expect(subscription.liveFrom).toEqual(at(5));
    expect(await drain(subscription)).toEqual([
      { type: 'refetch-all', position: at(5), reason: 'resume position is older than the retained history' },
    ]);
    expect(await drain(hub.subscribe({ subscriberId: 'c1', after: at(3) }))).toHaveLength(2);
  });

  it.each([
    ['another generation', at(3, 'old'), 'primary generation changed'],
    ['the future', at(99), 'resume position is ahead of this server'],
    ['an unparsable id', 'garbage', 'unparsable resume position'],
  ])('a position from %s gets refetch-all, never silence', async (_name, after, reason) => {
    const hub = hubWithClient();
    hub.publish(changes(4, ['posts', 1]));
    const events = await drain(hub.subscribe({ subscriberId: 'c1', after }));
    expect(events).toEqual([{ type: 'refetch-all', position: at(4), reason }]);
  });

  it('a query registered with the position of its data is invalidated by changes it missed', async () => {
    const hub = new LiveQueryHub({ position: at(0) });
    const subscription = hub.subscribe({ subscriberId: 'c1' });
    hub.publish(changes(1, ['users', 7]));
    hub.publish(changes(2, ['users', 8]));
    expect(
      hub.registerQuery({ subscriberId: 'c1', key: 'u8', readSet: readSetOf({ users: [8] }), since: at(2) }),
    ).toEqual({ stale: false, position: at(2) });
    const stale = hub.registerQuery({
      subscriberId: 'c1',
      key: 'u7',
      readSet: readSetOf({ users: [7] }),
      since: at(0),
    });
    expect(stale.stale).toBe(true);
    expect((await drain(subscription)).slice(1)).toEqual([
      { type: 'invalidate', position: at(2), queries: ['u7'], tables: ['users'] },
    ]);
  });

  it('changedSince answers from the history, and says yes when it cannot tell', () => {
    const hub = new LiveQueryHub({ position: at(0), history: { maxEntries: 2 } });
    hub.publish(changes(1, ['Users', 7]));
    hub.publish(changes(2, ['posts', 1]));
    expect(hub.changedSince(at(0), readSetOf({ USERS: [7] }))).toBe(true);
    expect(hub.changedSince(at(0), readSetOf({ users: [8] }))).toBe(false);
    expect(hub.changedSince(at(1), readSetOf({ users: 'all' }))).toBe(false);
    hub.publish(changes(3, ['tags', 1]));
    expect(hub.changedSince(at(0), readSetOf({ users: [8] }))).toBe(true); // older than the history
    expect(hub.changedSince(at(3, 'other'), readSetOf({ users: [8] }))).toBe(true);
    expect(hub.stats().published).toBe(3);
  });

  it('publish reports the matches per subscriber, also for subscribers not connected', () => {
    const hub = hubWithClient();
    const result = hub.publish(changes(1, ['users', 7]));
    expect(result.invalidatedQueries).toBe(2);
    expect([...(result.matches.get('c1')?.queries ?? [])].sort()).toEqual(['feed', 'user:7']);
  });

  it('stale registrations made while disconnected are delivered right after the next ack', async () => {
    const hub = new LiveQueryHub({ position: at(0), history: { maxEntries: 1 } });
    hub.publish(changes(1, ['users', 7]));
    hub.publish(changes(2, ['posts', 1]));
    // The data was read at frame 0, older than the history: invalidate to be safe.
    expect(
      hub.registerQuery({ subscriberId: 'c1', key: 'u7', readSet: readSetOf({ users: [7] }), since: at(0) })
        .stale,
    ).toBe(true);
    const events = await drain(hub.subscribe({ subscriberId: 'c1' }));
    expect(events).toEqual([
      { type: 'live', position: at(2) },
      { type: 'invalidate', position: at(2), queries: ['u7'], tables: ['users'] },
    ]);
  });
});
