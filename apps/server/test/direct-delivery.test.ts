import { describe, expect, it } from 'vitest';
import { startServer } from '../src/testing/index.ts';
import { connectLiveClient } from './support/live-client.ts';

describe('direct event delivery', () => {
  it('keeps the protocol across unsubscribe/resubscribe on one socket, and with direct delivery off', async () => {
    for (const directEvents of [true, false]) {
      await using server = await startServer({ config: { directEvents } });
      await using client = connectLiveClient(server.wsUrl);
      client.subscribe();
      const ack = await client.events.next();
      await client.trpc.live.update.mutate({
        subscriptionId: client.subscriptionId,
        add: [{ key: 'kpis', path: 'dashboard.kpis', input: {}, since: ack.id }],
      });
      const w1 = await client.trpc.orders.setStatus.mutate({ id: 3, status: 'shipped' });
      expect((await client.events.next()).id).toBe(w1.frame);

      // Same socket, same subscriptionId, a new tRPC request id: resume from the last event.
      client.subscribe(w1.frame);
      const resumed = await client.events.next();
      expect(resumed.data).toMatchObject({ type: 'live', position: w1.frame, registered: 1 });
      const w2 = await client.trpc.orders.setStatus.mutate({ id: 4, status: 'paid' });
      const e2 = await client.events.next();
      expect(e2).toEqual({
        id: w2.frame,
        data: { type: 'invalidate', position: w2.frame, queries: ['kpis'], tables: ['orders'] },
      });
      expect(client.events.size).toBe(0);
    }
  });
});
