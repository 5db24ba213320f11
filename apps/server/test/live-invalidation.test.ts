import { describe, expect, it } from 'vitest';
import { startServer } from '../src/testing/index.ts';
import { connectLiveClient } from './support/live-client.ts';

describe('live invalidation over WebSocket', () => {
  it('invalidates exactly the affected queries, rowid-precise, and sends nothing for unrelated writes', async () => {
    await using server = await startServer();
    await using client = connectLiveClient(server.wsUrl);
    client.subscribe();
    const ack = await client.events.next();
    expect(ack.data.type).toBe('live');
    expect(ack.id).toBe(ack.data.position);

    const registration = await client.trpc.live.update.mutate({
      subscriptionId: client.subscriptionId,
      add: [
        { key: 'order-5', path: 'orders.byId', input: { id: 5 }, since: ack.id },
        { key: 'kpis', path: 'dashboard.kpis', input: { windowMinutes: 60 }, since: ack.id },
        { key: 'products', path: 'catalog.products', since: ack.id },
      ],
    });
    expect(registration.stale).toEqual([]);

    // Order 7 changes: KPIs read every order; order 5's point lookup does not; products are untouched.
    const w1 = await client.trpc.orders.setStatus.mutate({ id: 7, status: 'shipped' });
    const e1 = await client.events.next();
    expect(e1.data).toEqual({
      type: 'invalidate',
      position: w1.frame,
      queries: ['kpis'],
      tables: ['orders'],
    });
    expect(e1.id).toBe(w1.frame);

    // Order 5 changes: now its point lookup is hit too.
    const w2 = await client.trpc.orders.setStatus.mutate({ id: 5, status: 'cancelled' });
    const e2 = await client.events.next();
    expect(e2.data.type).toBe('invalidate');
    expect(e2.id).toBe(w2.frame);
    expect(e2.data.type === 'invalidate' && [...e2.data.queries].sort()).toEqual(['kpis', 'order-5']);

    // Unregister everything reading orders; an order write must then send nothing. The next
    // event received is the products write that follows it.
    await client.trpc.live.update.mutate({
      subscriptionId: client.subscriptionId,
      remove: ['kpis', 'order-5'],
    });
    await client.trpc.orders.setStatus.mutate({ id: 9, status: 'paid' });
    const { position: before } = await server.services.database.driver.run(
      'UPDATE products SET price_cents = price_cents + 1 WHERE id = 1',
    );
    const e3 = await client.events.next();
    expect(e3.data).toEqual({
      type: 'invalidate',
      position: `${before.generation}:${before.frame}`,
      queries: ['products'],
      tables: ['products'],
    });
    expect(client.events.size).toBe(0);
  });

  it('marks a registration stale when a change happened after its since position', async () => {
    await using server = await startServer();
    await using client = connectLiveClient(server.wsUrl);
    client.subscribe();
    const ack = await client.events.next();
    await client.trpc.orders.setStatus.mutate({ id: 3, status: 'paid' });
    const result = await client.trpc.live.update.mutate({
      subscriptionId: client.subscriptionId,
      add: [
        { key: 'order-3', path: 'orders.byId', input: { id: 3 }, since: ack.id },
        { key: 'order-4', path: 'orders.byId', input: { id: 4 }, since: ack.id },
        { key: 'no-since', path: 'orders.byId', input: { id: 4 } },
      ],
    });
    expect(result.stale.sort()).toEqual(['no-since', 'order-3']);
  });

  it('rejects registering something that is not a live query', async () => {
    await using server = await startServer();
    await using client = connectLiveClient(server.wsUrl);
    client.subscribe();
    await client.events.next();
    await expect(
      client.trpc.live.update.mutate({
        subscriptionId: client.subscriptionId,
        add: [{ key: 'x', path: 'orders.create', input: {} }],
      }),
    ).rejects.toMatchObject({ data: { liveframe: { code: 'UNKNOWN_PROCEDURE' } } });
  });
});
