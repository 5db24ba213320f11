import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../src/testing/index.ts';
import { connectLiveClient } from '../test/support/live-client.ts';

/**
 * `npm run bench -w @liveframe/server`: write → subscribed client's event latency, fan-out to
 * 1,000 WebSocket clients, server RSS, read-your-writes wait. Baselines measured in the same run:
 * a plain tRPC mutation round trip (what a write costs without any live machinery) and a plain
 * query round trip. Results go to bench/results/server.json. Never part of the test suite.
 */
const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', '..', '..', 'bench', 'results', 'server.json');

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const server = await startServer({ config: { maxQueriesPerSubscription: 10 } });
const results: Record<string, number | string | null> = {};
try {
  // Baseline: a mutation round trip over the same WebSocket, nobody subscribed.
  const writer = connectLiveClient(server.wsUrl);
  const baseline: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    await writer.trpc.orders.setStatus.mutate({ id: 1 + (i % 50), status: i % 2 ? 'paid' : 'shipped' });
    baseline.push(performance.now() - t0);
  }
  const queryBaseline: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    await writer.trpc.orders.byId.query({ id: 1 + (i % 50) });
    queryBaseline.push(performance.now() - t0);
  }

  // Same server: write via tRPC → the subscribed client's invalidation.
  const reader = connectLiveClient(server.wsUrl);
  reader.subscribe();
  const ack = await reader.events.next();
  await reader.trpc.live.update.mutate({
    subscriptionId: reader.subscriptionId,
    add: [{ key: 'kpis', path: 'dashboard.kpis', input: {}, since: ack.id }],
  });
  const same: number[] = [];
  for (let i = 0; i < 300; i++) {
    const t0 = performance.now();
    const { frame } = await writer.trpc.orders.setStatus.mutate({
      id: 1 + (i % 50),
      status: i % 2 ? 'paid' : 'shipped',
    });
    await reader.events.until((e) => e.id === frame);
    same.push(performance.now() - t0);
  }

  // Read-your-writes: extra wait of a query carrying minFrame vs the same query without it.
  const ryw: number[] = [];
  for (let i = 0; i < 200; i++) {
    const { frame } = await writer.trpc.orders.setStatus.mutate({
      id: 1 + (i % 50),
      status: i % 2 ? 'paid' : 'shipped',
    });
    const t0 = performance.now();
    await (writer.trpc.orders.byId.query as (input: unknown) => Promise<unknown>)({
      $liveframe: { minFrame: frame },
      input: { id: 1 + (i % 50) },
    });
    ryw.push(performance.now() - t0 - percentile(queryBaseline, 50));
  }

  // Fan-out: 1,000 clients subscribed to the same query; one write; time until the last has it.
  const clients = [];
  for (let i = 0; i < 1000; i++) {
    const c = connectLiveClient(server.wsUrl);
    c.subscribe();
    clients.push(c);
  }
  for (const c of clients) {
    const a = await c.events.next(60_000);
    await c.trpc.live.update.mutate({
      subscriptionId: c.subscriptionId,
      add: [{ key: 'kpis', path: 'dashboard.kpis', input: {}, since: a.id }],
    });
  }
  const fanout: number[] = [];
  for (let round = 0; round < 10; round++) {
    const t0 = performance.now();
    const { frame } = await writer.trpc.orders.setStatus.mutate({
      id: 1 + round,
      status: round % 2 ? 'paid' : 'shipped',
    });
    await Promise.all(clients.map((c) => c.events.until((e) => e.id === frame, 60_000)));
    fanout.push(performance.now() - t0);
  }
  const rssMb = process.memoryUsage.rss() / 1024 / 1024;
  for (const c of clients) await c.close();
  await reader.close();
  await writer.close();

  const b50 = percentile(baseline, 50);
  results.invalidate_same_server_p50_ms = +percentile(same, 50).toFixed(3);
  results.invalidate_same_server_p95_ms = +percentile(same, 95).toFixed(3);
  results.invalidate_cross_server_p50_ms = null; // replica mode waits for db-core's openDatabase
  results.invalidate_cross_server_p95_ms = null;
  results.ryw_extra_wait_p50_ms = +Math.max(0, percentile(ryw, 50)).toFixed(3);
  results.fanout_1000_clients_p99_ms = +percentile(fanout, 99).toFixed(3);
  results.server_rss_mb_1000_clients = +rssMb.toFixed(1);
  results.baseline_mutation_roundtrip_p50_ms = +b50.toFixed(3);
  results.baseline_query_roundtrip_p50_ms = +percentile(queryBaseline, 50).toFixed(3);
  results.note = 'local mode; server and 1,000 clients in one process (RSS includes the clients)';

  console.table([
    { metric: 'mutation round trip (baseline)', p50_ms: b50.toFixed(2), ratio: '1.00' },
    {
      metric: 'write → invalidation, same server',
      p50_ms: percentile(same, 50).toFixed(2),
      p95_ms: percentile(same, 95).toFixed(2),
      ratio: (percentile(same, 50) / b50).toFixed(2),
    },
    {
      metric: 'ryw extra wait',
      p50_ms: percentile(ryw, 50).toFixed(2),
      ratio: (percentile(ryw, 50) / b50).toFixed(2),
    },
    {
      metric: 'fan-out to 1,000 clients',
      p50_ms: percentile(fanout, 50).toFixed(2),
      p99_ms: percentile(fanout, 99).toFixed(2),
      ratio: (percentile(fanout, 50) / b50).toFixed(2),
    },
  ]);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote ${out}`);
} finally {
  await server.close();
}
