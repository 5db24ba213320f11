import { signToken } from '@liveframe/server';
import fc from 'fast-check';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { seedDemoData } from '../src/index.ts';
import { startServer, TEST_AUTH_SECRET } from '../src/testing/index.ts';
import { PushViewer, until, type ViewedQuery } from './support/push-viewer.ts';

/**
 * Issue 14, Tests: random registrations and writes on the real engine; at quiescence every
 * viewer's result equals a fresh execution under its own identity, no result ever reached a
 * viewer of another scope, and a key's `at` never goes backwards.
 */

const TENANTS = ['demo', 't2', 't3'] as const;
type Tenant = (typeof TENANTS)[number];
const IDENTITIES = [
  { userId: 'ann', tenantId: 'demo', role: 'admin' },
  { userId: 'bob', tenantId: 'demo', role: 'admin' },
  { userId: 'cat', tenantId: 'demo', role: 'analyst' },
  { userId: 'dan', tenantId: 't2', role: 'admin' },
  { userId: 'eve', tenantId: 't2', role: 'analyst' },
  { userId: 'fay', tenantId: 't3', role: 'admin' },
  { userId: 'gus', tenantId: 't3', role: 'analyst' },
] as const;

/** Every viewer mounts it; the quiescence barrier inserts an event into every tenant. */
const SENTINEL: ViewedQuery = { key: 'events', path: 'events.recent', input: { limit: 5 } };
// `whoami` is a plain query, not a live one: the demo has no per-user live query to register.
const queryArb = fc.oneof(
  fc.constant({ key: 'kpis', path: 'dashboard.kpis', input: { windowMinutes: 10_080 } }),
  fc.constant({ key: 'list', path: 'orders.list', input: { pageSize: 5 } }),
  fc.constant({ key: 'list-paid', path: 'orders.list', input: { status: 'paid', pageSize: 5 } }),
  // Small ids: the demo tenant's; large ones land in the other tenants (null for the rest).
  fc
    .constantFrom(1, 2, 3, 501, 502, 531, 532)
    .map((id) => ({ key: `order-${id}`, path: 'orders.byId', input: { id } })),
  fc.constant({ key: 'events-3', path: 'events.recent', input: { limit: 3 } }),
);

const STATUSES = ['pending', 'paid', 'shipped', 'cancelled'] as const;
const writeArb = fc.oneof(
  fc.record({
    kind: fc.constant('status' as const),
    tenant: fc.constantFrom(...TENANTS),
    pick: fc.nat(),
    status: fc.constantFrom(...STATUSES),
  }),
  fc.record({ kind: fc.constant('total' as const), tenant: fc.constantFrom(...TENANTS), pick: fc.nat() }),
  fc.record({ kind: fc.constant('order' as const), tenant: fc.constantFrom(...TENANTS) }),
  fc.record({ kind: fc.constant('event' as const), tenant: fc.constantFrom(...TENANTS) }),
  // The demo's own mutation, over HTTP as an admin of the tenant.
  fc.record({
    kind: fc.constant('setStatus' as const),
    tenant: fc.constantFrom(...TENANTS),
    pick: fc.nat(),
    status: fc.constantFrom(...STATUSES),
  }),
);
const stepArb = fc.oneof(
  { weight: 4, arbitrary: writeArb },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('mount' as const),
      viewer: fc.nat({ max: IDENTITIES.length - 1 }),
      query: queryArb,
    }),
  },
);

const RUNS = 20;
const SETTLE_MS = 10_000;

describe('property: pushed results stay within their scope and converge (real engine, 3 tenants, 2 roles)', () => {
  it(`${RUNS} runs of random registrations and writes`, async () => {
    await using server = await startServer();
    const driver = server.services.database.driver;
    // The demo tenant is seeded at start; the others get fewer orders (so their KPIs differ).
    await seedDemoData(driver, { tenantId: 't2', customers: 8, orders: 30 });
    await seedDemoData(driver, { tenantId: 't3', customers: 6, orders: 45 });
    const tokens = IDENTITIES.map((identity) => signToken({ ...identity }, TEST_AUTH_SECRET));
    const admins = new Map<Tenant, PushViewer>();
    const tenantOf = new Map<number, string>();
    const loadTenants = async (table: 'orders' | 'events') =>
      new Map(
        driver
          .all<{ id: number; tenant_id: string }>(`SELECT id, tenant_id FROM ${table}`)
          .map((r) => [r.id, r.tenant_id]),
      );
    const orderIds = (tenant: string) =>
      driver
        .all<{ id: number }>('SELECT id FROM orders WHERE tenant_id = ? ORDER BY id DESC LIMIT 40', [tenant])
        .map((r) => r.id);
    let sentinels = 0;
    const totals = {
      runs: 0,
      writes: 0,
      mounts: 0,
      refused: 0,
      pushed: 0,
      comparisons: 0,
      scopeChecks: 0,
      patched: 0,
    };

    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(queryArb, { maxLength: 4 }), {
          minLength: IDENTITIES.length,
          maxLength: IDENTITIES.length,
        }),
        fc.array(stepArb, { minLength: 5, maxLength: 25 }),
        async (initial, steps) => {
          totals.runs++;
          const viewers = IDENTITIES.map(
            (identity, i) =>
              new PushViewer({
                name: `${identity.userId}(${identity.tenantId}/${identity.role})`,
                token: tokens[i]!,
                wsUrl: server.wsUrl,
                url: server.url,
                // Half the viewers take patches (the real client's decoder), half whole results:
                // viewers of one scope share runs either way.
                patches: i % 2 === 0,
              }),
          );
          try {
            await Promise.all(viewers.map((v) => v.subscribe()));
            for (const [i, viewer] of viewers.entries()) {
              if (IDENTITIES[i]!.role === 'admin') admins.set(IDENTITIES[i]!.tenantId, viewer);
              await viewer.mount(SENTINEL);
              for (const query of initial[i]!) await viewer.mount(query);
            }
            for (const step of steps) {
              if (step.kind === 'mount') {
                totals.mounts++;
                await viewers[step.viewer]!.mount(step.query);
                continue;
              }
              totals.writes++;
              const ids = orderIds(step.tenant);
              switch (step.kind) {
                case 'status':
                  await driver.run('UPDATE orders SET status = ? WHERE id = ?', [
                    step.status,
                    ids[step.pick % ids.length]!,
                  ]);
                  break;
                case 'total':
                  await driver.run('UPDATE orders SET total_cents = total_cents + 100 WHERE id = ?', [
                    ids[step.pick % ids.length]!,
                  ]);
                  break;
                case 'order': {
                  const customer = driver.get<{ id: number }>(
                    'SELECT id FROM customers WHERE tenant_id = ? ORDER BY id LIMIT 1',
                    [step.tenant],
                  )!.id;
                  await driver.run(
                    "INSERT INTO orders (tenant_id, customer_id, status, total_cents, created_at) VALUES (?, ?, 'paid', 1234, ?)",
                    [step.tenant, customer, Date.now()],
                  );
                  break;
                }
                case 'event':
                  await driver.run(
                    "INSERT INTO events (tenant_id, type, message, created_at) VALUES (?, 'note', 'property', ?)",
                    [step.tenant, Date.now()],
                  );
                  break;
                case 'setStatus':
                  await admins.get(step.tenant)!.client.trpc.orders.setStatus.mutate({
                    id: ids[step.pick % ids.length]!,
                    status: step.status,
                  });
                  break;
              }
            }

            // Quiescence: a sentinel event in every tenant, seen by every viewer (pushed).
            const marker = `sentinel-${++sentinels}`;
            for (const tenant of TENANTS) {
              await driver.run(
                "INSERT INTO events (tenant_id, type, message, created_at) VALUES (?, 'sentinel', ?, ?)",
                [tenant, marker, Date.now()],
              );
            }
            for (const viewer of viewers) {
              const seen = await until(Date.now() + SETTLE_MS, () =>
                (viewer.held.get(SENTINEL.key)?.json ?? '').includes(marker),
              );
              expect(seen, `${viewer.name} saw ${marker}`).toBe(true);
              await viewer.drained();
            }

            // Every held result equals a fresh execution under the viewer's own identity (nothing
            // writes any more; a re-run still in flight gets until the deadline to land).
            const expected = new Map<PushViewer, Map<string, string>>();
            for (const viewer of viewers) {
              const fresh = new Map<string, string>();
              for (const [key, entry] of viewer.held) fresh.set(key, await viewer.fresh(entry.query));
              expected.set(viewer, fresh);
            }
            const converged = () =>
              viewers.every((v) => [...v.held].every(([key, e]) => e.json === expected.get(v)!.get(key)));
            await until(Date.now() + SETTLE_MS, converged);
            for (const viewer of viewers) {
              for (const [key, entry] of viewer.held) {
                totals.comparisons++;
                expect(entry.json, `${viewer.name} ${key}`).toBe(expected.get(viewer)!.get(key));
              }
            }

            // Scope: every pushed row belongs to the viewer's tenant; analysts never got what they
            // may not read; KPIs of one tenant never reached another; `at` never went backwards.
            const orderTenants = await loadTenants('orders');
            const eventTenants = await loadTenants('events');
            for (const [id, tenant] of orderTenants) tenantOf.set(id, tenant);
            const kpisByTenant = new Map<string, Set<string>>();
            for (const [i, viewer] of viewers.entries()) {
              const { tenantId, role } = IDENTITIES[i]!;
              totals.pushed += viewer.pushed.length;
              totals.patched += viewer.patched;
              totals.refused += viewer.refused.size;
              expect(viewer.anomalies).toEqual([]);
              for (const [key, reason] of viewer.refused) {
                expect(
                  role === 'analyst' && key.startsWith('list'),
                  `${viewer.name} refused ${key}: ${reason}`,
                ).toBe(true);
              }
              for (const payload of viewer.pushed) {
                totals.scopeChecks++;
                const value = superjson.parse(payload.data);
                if (payload.key.startsWith('list')) {
                  for (const row of (value as { rows: { id: number }[] }).rows) {
                    expect(orderTenants.get(row.id), `${viewer.name} ${payload.key} row ${row.id}`).toBe(
                      tenantId,
                    );
                  }
                } else if (payload.key.startsWith('order-')) {
                  if (value !== null) expect(orderTenants.get((value as { id: number }).id)).toBe(tenantId);
                } else if (payload.key.startsWith('events')) {
                  for (const row of value as { id: number }[]) {
                    expect(eventTenants.get(row.id), `${viewer.name} ${payload.key} event ${row.id}`).toBe(
                      tenantId,
                    );
                  }
                } else if (payload.key === 'kpis') {
                  let seen = kpisByTenant.get(tenantId);
                  if (seen === undefined) {
                    seen = new Set();
                    kpisByTenant.set(tenantId, seen);
                  }
                  seen.add(payload.data);
                }
              }
            }
            for (const [tenant, payloads] of kpisByTenant) {
              for (const [other, others] of kpisByTenant) {
                if (other === tenant) continue;
                for (const payload of payloads)
                  expect(others.has(payload), `${tenant} kpis at ${other}`).toBe(false);
              }
            }
          } finally {
            for (const viewer of viewers) await viewer[Symbol.asyncDispose]();
          }
        },
      ),
      { numRuns: RUNS, endOnFailure: true },
    );
    console.log(`push scope property: ${JSON.stringify(totals)}`);
    expect(totals.pushed).toBeGreaterThan(0);
    expect(totals.scopeChecks).toBeGreaterThan(0);
  }, 120_000);
});
