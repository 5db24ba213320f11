import { startSqld } from '@liveframe/native/testing';
import { describe, expect, it } from 'vitest';
import { startServer } from '../src/testing/index.ts';
import { connectLiveClient } from './support/live-client.ts';

/** The demo's writes are single batches whose later statements depend on earlier ones in SQL. */
describe('order writes as one batch', () => {
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

  it('creates an order with its items, primary-side prices, total and event, or nothing at all', async () => {
    await using server = await startServer();
    await using client = connectLiveClient(server.wsUrl);
    const products = await client.trpc.catalog.products.query();
    const [first, second] = products;
    if (first === undefined || second === undefined) throw new Error('the demo seed has products');
    const created = await client.trpc.orders.create.mutate({
      customerId: 1,
      items: [
        { productId: first.id, quantity: 2 },
        { productId: second.id, quantity: 3 },
      ],
    });
    const order = await client.trpc.orders.byId.query({ id: created.id });
    const total = 2 * first.price_cents + 3 * second.price_cents;
    expect(order).toMatchObject({ id: created.id, customer_id: 1, status: 'pending', total_cents: total });
    expect(order?.items).toEqual([
      { product_id: first.id, quantity: 2, price_cents: first.price_cents },
      { product_id: second.id, quantity: 3, price_cents: second.price_cents },
    ]);
    const [event] = await client.trpc.events.recent.query({ limit: 1 });
    expect(event).toMatchObject({
      type: 'order.created',
      order_id: created.id,
      message: `order ${created.id} created (${(total / 100).toFixed(2)})`,
    });

    const before = await client.trpc.orders.list.query({});
    await expect(
      client.trpc.orders.create.mutate({ customerId: 1, items: [{ productId: 999_999, quantity: 1 }] }),
    ).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    await expect(
      client.trpc.orders.create.mutate({
        customerId: 999_999,
        items: [{ productId: first.id, quantity: 1 }],
      }),
    ).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    expect((await client.trpc.orders.list.query({})).total).toBe(before.total);
  });

  it('decides on the primary: a product gone there but not yet from the replica fails the whole order', async () => {
    await using sqld = await startSqld();
    // No periodic sync in the test's time: the replica stays at what it had when the product moved away on the primary.
    await using server = await startServer({
      mode: 'replica',
      primaryUrl: sqld.url,
      config: { syncIntervalMs: 600_000 },
    });
    await using client = connectLiveClient(server.wsUrl);
    const [product] = await client.trpc.catalog.products.query();
    if (product === undefined) throw new Error('the demo seed has products');
    const count = async () => Number((await sqld.execute('SELECT count(*) FROM orders')).rows[0]?.[0]);
    const ordersBefore = await count();
    await sqld.execute("UPDATE products SET tenant_id = 'elsewhere' WHERE id = ?", [product.id]);

    await expect(
      client.trpc.orders.create.mutate({ customerId: 1, items: [{ productId: product.id, quantity: 1 }] }),
    ).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
      message: expect.stringMatching(/NOT NULL constraint failed: order_items.price_cents/),
    });
    expect(await count()).toBe(ordersBefore);
  });
});
