import { describe, expect, it } from 'vitest';
import { startServer } from '../src/testing/index.ts';
import { connectLiveClient, subscribeWithQueries } from './support/live-client.ts';

describe('resume with lastEventId', () => {
  it('replays the invalidations missed while disconnected, then continues live', async () => {
    await using server = await startServer();
    await using client = connectLiveClient(server.wsUrl);
    const { ack } = await subscribeWithQueries(client, [
      { key: 'order-2', path: 'orders.byId', input: { id: 2 } },
      { key: 'events', path: 'events.recent', input: { limit: 5 } },
    ]);
    client.unsubscribe();
    const missed1 = await client.trpc.orders.setStatus.mutate({ id: 2, status: 'shipped' });
    const missed2 = await client.trpc.orders.setStatus.mutate({ id: 11, status: 'shipped' });
    client.subscribe(ack.id);
    const live = await client.events.next();
    expect(live.data).toMatchObject({ type: 'live', position: ack.id, registered: 2 });
    // Both missed changes, coalesced into one invalidation at the newest position.
    const replay = await client.events.next();
    expect(replay.id).toBe(missed2.frame);
    expect(replay.data.type === 'invalidate' && [...replay.data.queries].sort()).toEqual([
      'events',
      'order-2',
    ]);
    expect(missed1.frame < missed2.frame || missed1.frame.length < missed2.frame.length).toBe(true);
    const after = await client.trpc.orders.setStatus.mutate({ id: 2, status: 'paid' });
    const next = await client.events.next();
    expect(next.id).toBe(after.frame);
  });

  it('answers refetch-all for an unknown generation or garbage id', async () => {
    await using server = await startServer();
    await using client = connectLiveClient(server.wsUrl);
    client.subscribe('some-other-generation:12');
    const first = await client.events.next();
    expect(first.data).toMatchObject({ type: 'refetch-all', reason: 'primary generation changed' });
    client.subscribe('garbage');
    const second = await client.events.next();
    expect(second.data).toMatchObject({ type: 'refetch-all', reason: 'unparsable resume position' });
  });

  it('answers refetch-all when the resume point is older than the history', async () => {
    await using server = await startServer({ config: { historySize: 2 } });
    await using client = connectLiveClient(server.wsUrl);
    client.subscribe();
    const ack = await client.events.next();
    client.unsubscribe();
    for (const id of [1, 2, 3, 4]) await client.trpc.orders.setStatus.mutate({ id, status: 'paid' });
    client.subscribe(ack.id);
    const first = await client.events.next();
    expect(first.data).toMatchObject({
      type: 'refetch-all',
      reason: 'resume position is older than the retained history',
    });
  });
});
