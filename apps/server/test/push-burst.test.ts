import { formatPositionId, signToken } from '@liveframe/server';
import { describe, expect, it } from 'vitest';
import { startServer, TEST_AUTH_SECRET } from '../src/testing/index.ts';
import { atOrAfter } from './support/model-checker/positions.ts';
import { PushViewer, until, type ViewedQuery } from './support/push-viewer.ts';

const WRITES = 1_000;
const VIEWERS = 5;
const QUERIES: ViewedQuery[] = [
  { key: 'kpis', path: 'dashboard.kpis', input: { windowMinutes: 10_080 } },
  { key: 'list', path: 'orders.list', input: { pageSize: 20 } },
];

describe('push delivery under a burst of writes: coalesced, ending on the latest state', () => {
  // `concurrent`: every write issued at once; `interleaved`: each awaited, then the event loop
  // turns once (setImmediate, where the server schedules its re-runs), so re-runs and pushes
  // interleave with the writes.
  it.each(['concurrent', 'interleaved'] as const)(
    `${WRITES} %s writes, ${VIEWERS} viewers x ${QUERIES.length} queries: every viewer ends on a fresh read, executions <= writes x distinct queries`,
    async (pace) => {
      await using server = await startServer();
      const driver = server.services.database.driver;
      const viewers = Array.from(
        { length: VIEWERS },
        (_, i) =>
          new PushViewer({
            name: `viewer-${i}`,
            token: signToken({ userId: `viewer-${i}`, tenantId: 'demo', role: 'admin' }, TEST_AUTH_SECRET),
            wsUrl: server.wsUrl,
            url: server.url,
          }),
      );
      try {
        await Promise.all(viewers.map((v) => v.subscribe()));
        for (const viewer of viewers)
          for (const query of QUERIES) expect(await viewer.mount(query)).toBe(true);
        for (const viewer of viewers) await viewer.drained();
        // The orders on the first page: every write changes the list and the KPIs (revenue).
        const shown = driver
          .all<{ id: number }>(
            "SELECT id FROM orders WHERE tenant_id = 'demo' ORDER BY created_at DESC, id DESC LIMIT 20",
          )
          .map((r) => r.id);
        const runsBefore = server.services.sessions.runs;
        const eventsBefore = viewers.map((v) => v.resultsEvents);
        const started = performance.now();

        // As fast as the driver takes them: no write waits for another, nor for any event.
        const writes: Promise<{ position: { generation: string; frame: number } }>[] = [];
        for (let i = 0; i < WRITES; i++) {
          const write = driver.run('UPDATE orders SET total_cents = total_cents + 1 WHERE id = ?', [
            shown[i % shown.length]!,
          ]);
          writes.push(write);
          if (pace === 'interleaved') {
            await write;
            await new Promise((resolve) => setImmediate(resolve));
          }
        }
        const results = await Promise.all(writes);
        const writtenMs = performance.now() - started;
        const last = formatPositionId(
          results.reduce((a, b) => (b.position.frame > a.position.frame ? b : a)).position as never,
        );

        // Every viewer ends on the latest state: its held results equal a fresh read, read at or
        // after the last write.
        const fresh = new Map<string, string>();
        for (const query of QUERIES) fresh.set(query.key, await viewers[0]!.fresh(query));
        const latest = () =>
          viewers.every((v) =>
            QUERIES.every((q) => {
              const held = v.held.get(q.key)!;
              return held.json === fresh.get(q.key) && held.at !== undefined && atOrAfter(held.at, last);
            }),
          );
        const converged = await until(Date.now() + 20_000, latest);
        const settledMs = performance.now() - started;
        for (const viewer of viewers) {
          expect(viewer.anomalies).toEqual([]);
          for (const query of QUERIES) {
            const held = viewer.held.get(query.key)!;
            expect(held.json, `${viewer.name} ${query.key}`).toBe(fresh.get(query.key));
            expect(
              atOrAfter(held.at, last),
              `${viewer.name} ${query.key} at ${held.at}, last write ${last}`,
            ).toBe(true);
          }
        }
        expect(converged).toBe(true);

        // Coalescing: the server ran each distinct query at most once per write (one scope: the
        // viewers share executions), far below writes x queries x viewers.
        const runs = server.services.sessions.runs - runsBefore;
        const events = viewers.map((v, i) => v.resultsEvents - eventsBefore[i]!);
        console.log(
          `push burst (${pace}): ${WRITES} writes in ${writtenMs.toFixed(0)} ms, all ${VIEWERS} viewers on the latest state after ` +
            `${settledMs.toFixed(0)} ms; ${runs} query executions (bound ${WRITES * QUERIES.length}, ` +
            `uncoalesced per viewer ${WRITES * QUERIES.length * VIEWERS}); results events per viewer ${events.join(', ')}; ` +
            `fetches per viewer ${viewers.map((v) => v.fetches).join(', ')}`,
        );
        expect(runs).toBeGreaterThan(0);
        expect(runs).toBeLessThanOrEqual(WRITES * QUERIES.length);
        for (const count of events) expect(count).toBeLessThanOrEqual(WRITES);
      } finally {
        for (const viewer of viewers) await viewer[Symbol.asyncDispose]();
      }
    },
    60_000,
  );
});
