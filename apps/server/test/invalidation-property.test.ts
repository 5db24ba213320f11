import { createCallerFactory, formatPositionId, liveframeContext } from '@liveframe/server';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appRouter } from '../src/index.ts';
import { startServer } from '../src/testing/index.ts';

const anonymous = { userId: 'anonymous', tenantId: 'demo', role: 'admin' };

const QUERIES = [
  { key: 'kpis', path: 'dashboard.kpis', input: { windowMinutes: 10_080 } }, // a window nothing leaves during the test
  { key: 'list-paid', path: 'orders.list', input: { status: 'paid', pageSize: 5 } },
  { key: 'list-newest', path: 'orders.list', input: { pageSize: 5 } },
  { key: 'order-1', path: 'orders.byId', input: { id: 1 } },
  { key: 'order-2', path: 'orders.byId', input: { id: 2 } },
  { key: 'order-3', path: 'orders.byId', input: { id: 3 } },
  { key: 'events', path: 'events.recent', input: { limit: 3 } },
  { key: 'products', path: 'catalog.products', input: undefined },
  { key: 'customers', path: 'catalog.customers', input: { limit: 3 } },
] as const;

const write = fc.oneof(
  fc.record({
    kind: fc.constant('status' as const),
    id: fc.integer({ min: 1, max: 6 }),
    status: fc.constantFrom('pending', 'paid', 'shipped', 'cancelled'),
  }),
  fc.record({
    kind: fc.constant('price' as const),
    id: fc.integer({ min: 1, max: 3 }),
    delta: fc.integer({ min: 1, max: 5 }),
  }),
  fc.record({
    kind: fc.constant('rename' as const),
    id: fc.integer({ min: 1, max: 4 }),
    name: fc.constantFrom('A', 'B', 'C'),
  }),
  fc.record({ kind: fc.constant('event' as const) }),
  fc.record({ kind: fc.constant('delete-item' as const), id: fc.integer({ min: 1, max: 400 }) }),
);

describe('property: every live query whose result changed was invalidated', () => {
  it('holds for random workloads against the real engine', async () => {
    await using server = await startServer();
    const { services } = server;
    const driver = services.database.driver;
    // Writes that change nothing publish nothing: a sentinel write marks the end of each batch.
    await driver.exec('CREATE TABLE IF NOT EXISTS sentinel (id INTEGER PRIMARY KEY, n INTEGER)');
    const subscriptionId = 'property-subscription';
    services.sessions.attach(subscriptionId, anonymous, undefined);
    const stream = services.hub.subscribe({ subscriberId: subscriptionId });
    await stream.next(); // the ack
    await services.sessions.update(subscriptionId, anonymous, {
      add: QUERIES.map((q) => ({ key: q.key, path: q.path, input: q.input })),
    });
    const root = createCallerFactory(appRouter)(
      liveframeContext({
        identity: anonymous,
        db: services.requestDatabase(anonymous),
        services,
        headerMinFrame: undefined,
        socket: undefined,
      }),
    );
    const caller = async (path: string, input: unknown) => {
      let target: unknown = root;
      for (const segment of path.split('.')) target = (target as Record<string, unknown>)[segment];
      return JSON.stringify(await (target as (i: unknown) => Promise<unknown>)(input));
    };
    const snapshot = async () => {
      const out = new Map<string, string>();
      for (const q of QUERIES) out.set(q.key, await caller(q.path, q.input));
      return out;
    };
    const waitForHub = async (frame: number) => {
      const end = Date.now() + 10_000;
      while (services.hub.position.frame < frame) {
        if (Date.now() > end) throw new Error('hub did not reach the write');
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    let missed = 0;
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(write, { minLength: 1, maxLength: 8 }), async (writes) => {
        const before = await snapshot();
        let last = driver.position().frame;
        for (const w of writes) {
          const sql =
            w.kind === 'status'
              ? ['UPDATE orders SET status = ? WHERE id = ?', [w.status, w.id]]
              : w.kind === 'price'
                ? ['UPDATE products SET price_cents = price_cents + ? WHERE id = ?', [w.delta, w.id]]
                : w.kind === 'rename'
                  ? ['UPDATE customers SET name = ? WHERE id = ?', [w.name, w.id]]
                  : w.kind === 'event'
                    ? [
                        "INSERT INTO events (tenant_id, type, message, created_at) VALUES ('demo', 't', 'm', ?)",
                        [Date.now()],
                      ]
                    : ['DELETE FROM order_items WHERE id = ?', [w.id]];
          const { position } = await driver.run(sql[0] as string, sql[1] as never);
          last = position.frame;
        }
        const sentinel = await driver.run('INSERT INTO sentinel (n) VALUES (?)', [last]);
        await waitForHub(sentinel.position.frame);
        const invalidated = new Set<string>();
        for (let pending = stream.buffered; pending > 0; pending--) {
          const next = await stream.next();
          if (next.done) break;
          const e = next.value;
          if (e.type === 'invalidate') for (const q of e.queries) invalidated.add(q);
          if (e.type === 'refetch-all') for (const q of QUERIES) invalidated.add(q.key);
        }
        const after = await snapshot();
        for (const q of QUERIES) {
          checked++;
          if (before.get(q.key) !== after.get(q.key) && !invalidated.has(q.key)) missed++;
        }
        expect(missed).toBe(0);
      }),
      { numRuns: 60, seed: 7 },
    );
    expect(checked).toBeGreaterThan(0);
    expect(formatPositionId(driver.position())).toContain(':');
  });
});
