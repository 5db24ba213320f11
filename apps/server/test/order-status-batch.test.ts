import { describe, expect, it } from 'vitest';
import { startServer } from '../src/testing/index.ts';
import { connectLiveClient } from './support/live-client.ts';

/** orders.setStatus is one batch whose event row depends on the UPDATE in SQL (`changes()`). */
describe('orders.setStatus as one batch', () => {
  it('writes the status and its event together, and neither for an order that does not exist', async () => {
    await using server = await startServer();
    await using client = connectLiveClient(server.wsUrl);
    const eventsBefore = await client.trpc.events.recent.query({ limit: 200 });

    const written = await client.trpc.orders.setStatus.mutate({ id: 3, status: 'cancelled' });
    expect(written.id).toBe(3);
    const order = await client.trpc.orders.byId.query({ id: 3 });
    expect(order?.status).toBe('cancelled');
    const events = await client.trpc.events.recent.query({ limit: 200 });
    expect(events[0]).toMatchObject({ type: 'order.status', order_id: 3, message: 'order 3 is cancelled' });
    expect(events.length).toBe(Math.min(200, eventsBefore.length + 1));

    await expect(client.trpc.orders.setStatus.mutate({ id: 987_654, status: 'paid' })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
    const after = await client.trpc.events.recent.query({ limit: 200 });
    // The batch committed nothing for the missing order: no event row either.
    expect(after[0]?.id).toBe(events[0]?.id);
    expect(after.length).toBe(events.length);
  });
});
