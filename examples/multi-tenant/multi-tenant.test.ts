import { describe, expect, it } from 'vitest';
import { tempDir } from '../shared/temp-dir.ts';
import { connect, outcome, startTenantServer, tokenFor } from './tenant-app.ts';

describe('multi-tenant', () => {
  it('scopes rows to the caller tenant on reads and writes', async () => {
    using dir = tempDir('tenants');
    await using server = await startTenantServer(dir.file('app.db'));
    await using acme = connect(server, tokenFor('ada', 'acme', 'admin'));
    await using globex = connect(server, tokenFor('gus', 'globex', 'admin'));

    const acmeList = await acme.trpc.orders.list.query({ pageSize: 200 });
    const globexList = await globex.trpc.orders.list.query({ pageSize: 200 });
    const db = server.services.database.driver;
    const count = (tenant: string) =>
      db.get<{ n: number }>('SELECT count(*) AS n FROM orders WHERE tenant_id = ?', [tenant])?.n;
    expect(acmeList.total).toBe(count('acme'));
    expect(globexList.total).toBe(count('globex'));
    const acmeIds = new Set(acmeList.rows.map((r) => r.id));
    expect(globexList.rows.some((r) => acmeIds.has(r.id))).toBe(false);

    const acmeOrder = acmeList.rows.find((r) => r.status !== 'cancelled')!.id;
    expect(await globex.trpc.orders.byId.query({ id: acmeOrder })).toBeNull();
    expect(await acme.trpc.orders.byId.query({ id: acmeOrder })).toMatchObject({ id: acmeOrder });
    expect(
      await outcome(() => globex.trpc.orders.setStatus.mutate({ id: acmeOrder, status: 'cancelled' })),
    ).toBe('NOT_FOUND');
    expect(db.get('SELECT status FROM orders WHERE id = ?', [acmeOrder])?.status).not.toBe('cancelled');
    // The owner can.
    expect(
      await outcome(() => acme.trpc.orders.setStatus.mutate({ id: acmeOrder, status: 'cancelled' })),
    ).toBe('ok');
  });

  it('enforces table rights per role, also through joins, and rejects missing or forged tokens', async () => {
    using dir = tempDir('tenants');
    await using server = await startTenantServer(dir.file('app.db'));
    await using analyst = connect(server, tokenFor('ann', 'acme', 'analyst'));
    await using support = connect(server, tokenFor('sam', 'acme', 'support'));

    expect(await outcome(() => analyst.trpc.catalog.customers.query({ limit: 5 }))).toBe('FORBIDDEN_TABLE');
    expect(await outcome(() => analyst.trpc.orders.list.query({}))).toBe('FORBIDDEN_TABLE');
    expect(await outcome(() => analyst.trpc.dashboard.kpis.query({}))).toBe('ok');
    expect(await outcome(() => support.trpc.catalog.customers.query({ limit: 5 }))).toBe('ok');
    expect(await outcome(() => support.trpc.dashboard.kpis.query({}))).toBe('FORBIDDEN_TABLE');
    // Over HTTP a bad token is a 401 with the liveframe code; over a WebSocket the server closes the socket.
    const forged = await fetch(`${server.url}/trpc/whoami`, {
      headers: { authorization: `Bearer ${tokenFor('eve', 'acme', 'admin')}x` },
    });
    expect(forged.status).toBe(401);
    expect(await forged.text()).toContain('UNAUTHENTICATED');
    const anonymous = await fetch(`${server.url}/trpc/whoami`);
    expect(anonymous.status).toBe(401);
  });

  it('never lets a role register or hear about a table it may not read; events carry no rows', async () => {
    using dir = tempDir('tenants');
    await using server = await startTenantServer(dir.file('app.db'));
    await using analyst = connect(server, tokenFor('ann', 'acme', 'analyst'));
    const ack = await analyst.subscribe();
    expect(ack.type).toBe('live');
    expect(
      await outcome(() =>
        analyst.watch(ack.position, { c: { path: 'catalog.customers', input: { limit: 5 } } }),
      ),
    ).toBe('FORBIDDEN_TABLE');
    await analyst.watch(ack.position, { kpis: { path: 'dashboard.kpis', input: {} } });

    // A back-office job changes a customer and an order of acme in one transaction.
    await server.services.database.driver.transaction(async (tx) => {
      await tx.run("UPDATE customers SET email = 'x@acme.example' WHERE tenant_id = 'acme'");
      await tx.run("UPDATE orders SET status = 'paid' WHERE tenant_id = 'acme'");
    });
    const event = await analyst.events.next();
    expect(event).toEqual({
      type: 'invalidate',
      position: expect.any(String),
      queries: ['kpis'],
      tables: ['orders'],
    });
  });
});
