import { signToken } from '@liveframe/server';
import { describe, expect, it } from 'vitest';
import { startServer } from '../src/testing/index.ts';
import { connectLiveClient, httpClient } from './support/live-client.ts';

const secret = 'test-secret';

describe('permissions on data and events', () => {
  it('an analyst gets neither customer rows nor customer events; tenants see only their rows', async () => {
    await using server = await startServer({ config: { authSecret: secret, anonymous: false } });
    const analyst = signToken({ userId: 'ann', tenantId: 'demo', role: 'analyst' }, secret);
    const outsider = signToken({ userId: 'eve', tenantId: 'other', role: 'admin' }, secret);
    const admin = signToken({ userId: 'ada', tenantId: 'demo', role: 'admin' }, secret);

    // No token, bad token: rejected.
    await expect(httpClient(server.url).whoami.query()).rejects.toMatchObject({
      data: { liveframe: { code: 'UNAUTHENTICATED' } },
    });
    await expect(
      httpClient(server.url, { authorization: `Bearer ${analyst}x` }).whoami.query(),
    ).rejects.toMatchObject({ data: { liveframe: { code: 'UNAUTHENTICATED' } } });

    // Table level: the analyst's query on customers fails, also through a join (orders.list joins customers).
    const http = httpClient(server.url, { authorization: `Bearer ${analyst}` });
    await expect(http.catalog.customers.query({ limit: 5 })).rejects.toMatchObject({
      data: { liveframe: { code: 'FORBIDDEN_TABLE' } },
    });
    await expect(http.orders.list.query({})).rejects.toMatchObject({
      data: { liveframe: { code: 'FORBIDDEN_TABLE' } },
    });
    expect((await http.events.recent.query({ limit: 3 })).length).toBeGreaterThan(-1);

    // Row level: another tenant sees none of demo's orders.
    const other = httpClient(server.url, { authorization: `Bearer ${outsider}` });
    expect(await other.orders.byId.query({ id: 1 })).toBeNull();
    expect((await other.orders.list.query({})).total).toBe(0);

    // Events: the analyst cannot register a customers query and never hears about the customers table.
    await using client = connectLiveClient(server.wsUrl, { token: analyst });
    client.subscribe();
    const ack = await client.events.next();
    await expect(
      client.trpc.live.update.mutate({
        subscriptionId: client.subscriptionId,
        add: [{ key: 'c', path: 'catalog.customers', input: { limit: 5 }, since: ack.id }],
      }),
    ).rejects.toMatchObject({ data: { liveframe: { code: 'FORBIDDEN_TABLE' } } });
    await client.trpc.live.update.mutate({
      subscriptionId: client.subscriptionId,
      add: [{ key: 'kpis', path: 'dashboard.kpis', input: {}, since: ack.id }],
    });
    // One transaction touching customers and orders: the analyst learns about orders only.
    const adminHttp = httpClient(server.url, { authorization: `Bearer ${admin}` });
    await server.services.database.driver.transaction(async (tx) => {
      await tx.run("UPDATE customers SET email = 'x@example.com' WHERE id = 1");
      await tx.run("UPDATE orders SET status = 'paid' WHERE id = 1");
    });
    const event = await client.events.next();
    expect(event.data).toMatchObject({ type: 'invalidate', queries: ['kpis'], tables: ['orders'] });
    expect(await adminHttp.catalog.customers.query({ limit: 1 })).toHaveLength(1);

    // A subscription id belongs to its identity.
    await using thief = connectLiveClient(server.wsUrl, {
      token: outsider,
      subscriptionId: client.subscriptionId,
    });
    await expect(
      thief.trpc.live.update.mutate({ subscriptionId: client.subscriptionId, remove: ['kpis'] }),
    ).rejects.toMatchObject({ data: { liveframe: { code: 'UNKNOWN_SUBSCRIPTION' } } });
  });
});
