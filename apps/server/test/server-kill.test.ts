import { describe, expect, it } from 'vitest';
import { startServerProcess } from '../src/testing/index.ts';
import { connectLiveClient, httpClient } from './support/live-client.ts';

describe('server SIGKILL and restart', () => {
  it('clients reconnect, resume or refetch, and converge on the data written meanwhile', async () => {
    await using server = await startServerProcess();
    await using client = connectLiveClient(server.wsUrl, { retryDelayMs: 50 });
    client.subscribe();
    const ack = await client.events.next();
    await client.trpc.live.update.mutate({
      subscriptionId: client.subscriptionId,
      add: [{ key: 'order-1', path: 'orders.byId', input: { id: 1 }, since: ack.id }],
    });
    const { frame } = await client.trpc.orders.setStatus.mutate({ id: 1, status: 'shipped' });
    await client.events.until((e) => e.id === frame);

    await server.kill('SIGKILL');
    await server.restart();
    // The restarted server lost registrations and history: wsLink reconnects with lastEventId,
    // and the server answers with a first event (live with registered 0, or refetch-all).
    const first = await client.events.until(
      (e) => e.data.type === 'live' || e.data.type === 'refetch-all',
      30_000,
    );
    if (first.data.type === 'live') expect(first.data.registered).toBe(0);
    // The client re-registers (PROTOCOL.md) and converges: a write after the restart reaches it.
    const again = await client.trpc.live.update.mutate({
      subscriptionId: client.subscriptionId,
      replace: true,
      add: [{ key: 'order-1', path: 'orders.byId', input: { id: 1 }, since: first.id }],
    });
    expect(again.stale).toEqual([]);
    const after = await client.trpc.orders.setStatus.mutate({ id: 1, status: 'paid' });
    const event = await client.events.until((e) => e.id === after.frame);
    expect(event.data).toMatchObject({ type: 'invalidate', queries: ['order-1'] });
    const order = await httpClient(server.url, { 'x-liveframe-min-frame': after.frame }).orders.byId.query({
      id: 1,
    });
    expect(order?.status).toBe('paid');
  });
});
