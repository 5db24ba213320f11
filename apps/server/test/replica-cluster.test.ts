import { startSqld } from '@liveframe/native/testing';
import { describe, expect, it } from 'vitest';
import { startServer } from '../src/testing/index.ts';
import { connectLiveClient, subscribeWithQueries } from './support/live-client.ts';

// Replica mode against a real sqld: two servers, one primary.
const replica = (primaryUrl: string) =>
  ({ mode: 'replica', primaryUrl, config: { syncIntervalMs: 20, minFrameTimeoutMs: 10_000 } }) as const;

describe('replica mode: two servers on one sqld', () => {
  it('a write through A invalidates exactly the affected queries of a client on B', async () => {
    await using sqld = await startSqld();
    await using a = await startServer(replica(sqld.url));
    await using b = await startServer(replica(sqld.url));
    await using writer = connectLiveClient(a.wsUrl);
    await using reader = connectLiveClient(b.wsUrl);
    const { ack, registration } = await subscribeWithQueries(reader, [
      { key: 'order-5', path: 'orders.byId', input: { id: 5 } },
      { key: 'kpis', path: 'dashboard.kpis', input: { windowMinutes: 60 } },
      { key: 'products', path: 'catalog.products' },
    ]);
    expect(ack.data.type).toBe('live');
    expect(registration.stale).toEqual([]);

    const w1 = await writer.trpc.orders.setStatus.mutate({ id: 7, status: 'shipped' });
    const e1 = await reader.events.next();
    expect(e1.data).toEqual({
      type: 'invalidate',
      position: w1.frame,
      queries: ['kpis'],
      tables: ['orders'],
    });

    const w2 = await writer.trpc.orders.setStatus.mutate({ id: 5, status: 'cancelled' });
    const e2 = await reader.events.next();
    expect(e2.id).toBe(w2.frame);
    expect(e2.data.type === 'invalidate' && [...e2.data.queries].sort()).toEqual(['kpis', 'order-5']);

    // A write nothing on B reads (customers), then one on products: only the latter arrives.
    await a.services.database.driver.run("UPDATE customers SET name = 'x' WHERE id = 1");
    const w3 = await a.services.database.driver.run(
      'UPDATE products SET price_cents = price_cents + 1 WHERE id = 1',
    );
    const e3 = await reader.events.next();
    expect(e3.data).toEqual({
      type: 'invalidate',
      position: `${w3.position.generation}:${w3.position.frame}`,
      queries: ['products'],
      tables: ['products'],
    });
    expect(reader.events.size).toBe(0);
  });

  it('read-your-writes across servers: 1,000 writes on A read on B with minFrame, 0 stale', async () => {
    await using sqld = await startSqld();
    await using a = await startServer(replica(sqld.url));
    await using b = await startServer(replica(sqld.url));
    await using onA = connectLiveClient(a.wsUrl);
    await using onB = connectLiveClient(b.wsUrl);
    const byId = onB.trpc.orders.byId.query as (input: unknown) => Promise<{ status: string } | null>;
    let stale = 0;
    for (let i = 0; i < 1000; i++) {
      const id = 1 + (i % 50);
      const status = i % 2 === 0 ? 'paid' : 'shipped';
      const { frame } = await onA.trpc.orders.setStatus.mutate({ id, status });
      const order = await byId({ $liveframe: { minFrame: frame }, input: { id } });
      if (order?.status !== status) stale++;
    }
    expect(stale).toBe(0);
  }, 180_000); // 1,000 sequential cross-server round trips: minutes on a loaded 2-core machine

  it('a client reconnecting to B with lastEventId gets the invalidations it missed', async () => {
    await using sqld = await startSqld();
    await using a = await startServer(replica(sqld.url));
    await using b = await startServer(replica(sqld.url));
    await using writer = connectLiveClient(a.wsUrl);
    await using reader = connectLiveClient(b.wsUrl);
    const { ack } = await subscribeWithQueries(reader, [
      { key: 'order-2', path: 'orders.byId', input: { id: 2 } },
      { key: 'order-3', path: 'orders.byId', input: { id: 3 } },
    ]);
    reader.unsubscribe();
    await writer.trpc.orders.setStatus.mutate({ id: 2, status: 'shipped' });
    const missed = await writer.trpc.orders.setStatus.mutate({ id: 4, status: 'shipped' });
    // B must have the missed writes before the resume can be proven complete.
    const reached = await b.services.database.driver.waitForFrame(
      {
        generation: missed.frame.slice(0, missed.frame.lastIndexOf(':')),
        frame: Number(missed.frame.split(':').at(-1)),
      },
      { timeoutMs: 10_000 },
    );
    expect(reached.status).toBe('reached');
    reader.subscribe(ack.id);
    const live = await reader.events.next();
    expect(live.data).toMatchObject({ type: 'live', position: ack.id, registered: 2 });
    const replay = await reader.events.next();
    expect(replay.data).toMatchObject({ type: 'invalidate', queries: ['order-2'], tables: ['orders'] });
    const after = await writer.trpc.orders.setStatus.mutate({ id: 3, status: 'paid' });
    const next = await reader.events.until(
      (e) => e.data.type === 'invalidate' && e.data.queries.includes('order-3'),
    );
    expect(next.id).toBe(after.frame);
  });
});
