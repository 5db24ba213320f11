import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSqld } from '@liveframe/native/testing';
import { startServer, startServerProcess } from '../src/testing/index.ts';
import { arrivedAt, connectLiveClient } from '../test/support/live-client.ts';
import { percentile } from './percentile.ts';

/**
 * `npm run bench -w @liveframe/demo-server`: write → subscribed client's event latency (same server,
 * and across two replica-mode servers on one sqld), fan-out to 1,000 WebSocket clients (which
 * live in a child process, so the server's CPU and RSS are its own), read-your-writes wait.
 * Baselines measured in the same run: a plain tRPC mutation round trip and a plain query round
 * trip (with the prompt-sending client every liveframe client uses, and with tRPC's stock WebSocket
 * client). Results go to bench/results/server.json. Never part of the test suite.
 */
const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', '..', '..', 'bench', 'results', 'server.json');
const FANOUT = Number(process.env.BENCH_FANOUT_CLIENTS ?? 1000);
/** `BENCH_PARTS=fanout,cross` runs only those parts (for profiling); results are written only for a full run. */
const PARTS = new Set((process.env.BENCH_PARTS ?? 'same,fanout,cross').split(','));
const FULL = ['same', 'fanout', 'cross'].every((part) => PARTS.has(part));

const ms = (value: number) => +value.toFixed(3);
const status = (i: number) => (i % 2 ? 'paid' : 'shipped');

function request(child: ChildProcess, message: unknown, reply: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: Record<string, unknown>) => {
      if (m.type !== reply) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m);
    };
    const onExit = (code: number | null) => reject(new Error(`client process exited (${code})`));
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send(message as object);
  });
}

/** Client processes of the fan-out (raw ws clients, see fanout-clients.ts), so one process's CPU is not the limit. */
const FANOUT_WARMUP = 5;
/** Measured fan-out writes: with 100, p99 is the 99th write, not the single worst of a few. */
const FANOUT_ROUNDS = Number(process.env.BENCH_FANOUT_ROUNDS ?? 100);
const FANOUT_PROCS = Math.max(1, Number(process.env.BENCH_FANOUT_PROCS ?? 2));

async function runFanout(
  target: { wsUrl: string },
  writer: ReturnType<typeof connectLiveClient>,
  into: number[],
  cpuInto: number[],
): Promise<number> {
  const prof = process.env.BENCH_CHILD_CPU_PROF;
  const children = Array.from({ length: FANOUT_PROCS }, () =>
    fork(join(here, 'fanout-clients.ts'), [], {
      execArgv: ['--import', 'tsx', ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [])],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  try {
    await Promise.all(
      children.map((child, i) =>
        request(
          child,
          {
            type: 'start',
            wsUrl: target.wsUrl,
            count: Math.ceil((FANOUT * (i + 1)) / FANOUT_PROCS) - Math.ceil((FANOUT * i) / FANOUT_PROCS),
          },
          'ready',
        ),
      ),
    );
    // The first rounds run cold (JIT; 70-85 ms server sweeps vs ~35 ms after): not measured, like the other parts' warm-up.
    for (let round = 0; round < FANOUT_WARMUP + FANOUT_ROUNDS; round++) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.timeOrigin + performance.now();
      const { frame } = await writer.trpc.orders.setStatus.mutate({
        id: 1 + (round % 50),
        status: status(round),
      });
      // Each child reports when its last client had the event (wall clock, first byte seen).
      const arrived = await Promise.all(
        children.map((child) => request(child, { type: 'expect', frame }, 'arrived')),
      );
      const cpu = process.cpuUsage(cpu0);
      if (round >= FANOUT_WARMUP) {
        into.push(Math.max(...arrived.map((m) => m.last as number)) - t0);
        // CPU time is what the server's own work costs, however loaded the machine is (wall time is not).
        cpuInto.push((cpu.user + cpu.system) / 1000);
      }
    }
    const rss = process.memoryUsage.rss() / 1024 / 1024;
    for (const child of children) child.send({ type: 'stop' });
    return rss;
  } finally {
    await Promise.all(
      children.map((child) =>
        child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : undefined,
      ),
    );
  }
}

/** Runs latency-client.ts in a child process and returns its samples. */
async function runLatencyClient(
  wsUrl: string,
  rounds: number,
  warmup: number,
): Promise<{ samples: number[]; withResponse: number[] }> {
  const child = fork(join(here, 'latency-client.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const done = await request(child, { type: 'run', wsUrl, rounds, warmup }, 'done');
  if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
  return { samples: done.samples as number[], withResponse: done.withResponse as number[] };
}

const results: Record<string, number | string | null> = {};
const server = await startServer({ config: { maxQueriesPerSubscription: 10 } });
let fanoutRss = Number.NaN;
const baseline: number[] = [];
const queryBaseline: number[] = [];
/** Mutation round trip with tRPC's stock client (batching timer before each send). */
const stockBaseline: number[] = [];
const same: number[] = [];
const sameOwnProcess: number[] = [];
/** Until both the event and the writer's mutation response were in (the event usually comes first). */
const sameWithResponse: number[] = [];
const ryw: number[] = [];
const fanout: number[] = [];
const fanoutTrpc: number[] = [];
/** Bench-process CPU per fan-out write (the server's mutation + sweep, and the writer client). */
const fanoutCpu: number[] = [];
const fanoutTrpcCpu: number[] = [];
try {
  // Baseline: a mutation round trip over the same WebSocket, nobody subscribed.
  await using writer = connectLiveClient(server.wsUrl);
  for (let i = 0; i < 300; i++) {
    const t0 = performance.now();
    await writer.trpc.orders.setStatus.mutate({ id: 1 + (i % 50), status: status(i) });
    if (i >= 100) baseline.push(performance.now() - t0);
  }
  for (let i = 0; i < 300; i++) {
    const t0 = performance.now();
    await writer.trpc.orders.byId.query({ id: 1 + (i % 50) });
    if (i >= 100) queryBaseline.push(performance.now() - t0);
  }
  // The same mutation through tRPC's stock WebSocket client, which waits for a batching timer.
  {
    await using stock = connectLiveClient(server.wsUrl, { stockBatching: true });
    for (let i = 0; i < 300; i++) {
      const t0 = performance.now();
      await stock.trpc.orders.setStatus.mutate({ id: 1 + (i % 50), status: status(i) });
      if (i >= 100) stockBaseline.push(performance.now() - t0);
    }
  }

  // Same server: write via tRPC → the subscribed client's invalidation.
  await using reader = connectLiveClient(server.wsUrl);
  reader.subscribe();
  const ack = await reader.events.next();
  await reader.trpc.live.update.mutate({
    subscriptionId: reader.subscriptionId,
    add: [{ key: 'kpis', path: 'dashboard.kpis', input: {}, since: ack.id }],
  });
  for (let i = 0; i < (PARTS.has('same') ? 400 : 0); i++) {
    const t0 = performance.now();
    const { frame } = await writer.trpc.orders.setStatus.mutate({ id: 1 + (i % 50), status: status(i) });
    const event = await reader.events.until((e) => e.id === frame);
    if (i >= 100) same.push((arrivedAt(event) ?? performance.now()) - t0);
  }

  // The same loop with both clients in their own process, as real clients are (the headline figure):
  // in this process the clients' tRPC work shares the server's event loop.
  if (PARTS.has('same')) {
    const { samples, withResponse } = await runLatencyClient(server.wsUrl, 300, 100);
    sameOwnProcess.push(...samples);
    sameWithResponse.push(...withResponse);
  }

  // Read-your-writes: extra wait of a query carrying minFrame vs the same query without it.
  for (let i = 0; i < (PARTS.has('same') ? 200 : 0); i++) {
    const { frame } = await writer.trpc.orders.setStatus.mutate({ id: 1 + (i % 50), status: status(i) });
    const t0 = performance.now();
    await (writer.trpc.orders.byId.query as (input: unknown) => Promise<unknown>)({
      $liveframe: { minFrame: frame },
      input: { id: 1 + (i % 50) },
    });
    ryw.push(performance.now() - t0 - percentile(queryBaseline, 50));
  }

  // Fan-out: N clients (child process) subscribed to the same query; one write; until the last has it.
  if (PARTS.has('fanout')) {
    fanoutRss = await runFanout(server, writer, fanout, fanoutCpu);
    // Same-run baseline: the same fan-out through tRPC's per-subscription path (direct events off).
    await using trpcPath = await startServer({
      config: { maxQueriesPerSubscription: 10, directEvents: false },
    });
    await using trpcWriter = connectLiveClient(trpcPath.wsUrl);
    await runFanout(trpcPath, trpcWriter, fanoutTrpc, fanoutTrpcCpu);
  }
} finally {
  await server.close();
}

// Cross-server (replica mode): two server processes on one sqld, write on A, event on B.
const cross: number[] = [];
const crossRyw: number[] = [];
/** The cross-server figure split: A's mutation round trip (a remote transaction on the primary), then the rest. */
const crossWrite: number[] = [];
const crossAfterWrite: number[] = [];
const syncIntervalMs = Number(process.env.BENCH_SYNC_INTERVAL_MS ?? 10);
if (PARTS.has('cross')) {
  await using sqld = await startSqld();
  const replica = { mode: 'replica', primaryUrl: sqld.url, config: { syncIntervalMs } } as const;
  // B first, so A can be started with B as its peer: A's writes send B a sync hint.
  await using b = await startServerProcess(replica);
  await using a = await startServerProcess({
    ...replica,
    config: { ...replica.config, seed: false, peers: [b.url] },
  });
  await using onA = connectLiveClient(a.wsUrl);
  await using onB = connectLiveClient(b.wsUrl);
  onB.subscribe();
  const ack = await onB.events.next(30_000);
  await onB.trpc.live.update.mutate({
    subscriptionId: onB.subscriptionId,
    add: [{ key: 'kpis', path: 'dashboard.kpis', input: {}, since: ack.id }],
  });
  for (let i = 0; i < 300; i++) {
    const t0 = performance.now();
    const { frame } = await onA.trpc.orders.setStatus.mutate({ id: 1 + (i % 50), status: status(i) });
    const t1 = performance.now();
    const event = await onB.events.until((e) => e.id === frame, 30_000);
    const arrived = arrivedAt(event) ?? performance.now();
    if (i >= 50) {
      cross.push(arrived - t0);
      crossWrite.push(t1 - t0);
      // Negative when B's client had the event before A's client had its response.
      crossAfterWrite.push(arrived - t1);
    }
  }
  const byId = onB.trpc.orders.byId.query as (input: unknown) => Promise<unknown>;
  for (let i = 0; i < 200; i++) {
    const { frame } = await onA.trpc.orders.setStatus.mutate({ id: 1 + (i % 50), status: status(i + 1) });
    const t0 = performance.now();
    await byId({ $liveframe: { minFrame: frame }, input: { id: 1 + (i % 50) } });
    crossRyw.push(performance.now() - t0);
  }
}

const b50 = percentile(baseline, 50);
results.invalidate_same_server_p50_ms = ms(percentile(sameOwnProcess, 50));
results.invalidate_same_server_p95_ms = ms(percentile(sameOwnProcess, 95));
results.invalidate_same_server_incl_writer_response_p50_ms = ms(percentile(sameWithResponse, 50));
results.invalidate_same_server_clients_in_server_process_p50_ms = ms(percentile(same, 50));
results.invalidate_same_server_clients_in_server_process_p95_ms = ms(percentile(same, 95));
results.invalidate_cross_server_p50_ms = ms(percentile(cross, 50));
results.invalidate_cross_server_p95_ms = ms(percentile(cross, 95));
results.ryw_extra_wait_p50_ms = ms(Math.max(0, percentile(ryw, 50)));
results.cross_server_write_roundtrip_p50_ms = ms(percentile(crossWrite, 50));
results.cross_server_event_after_write_p50_ms = ms(percentile(crossAfterWrite, 50));
results.ryw_cross_server_read_p50_ms = ms(percentile(crossRyw, 50));
results.fanout_1000_clients_p50_ms = ms(percentile(fanout, 50));
results.fanout_1000_clients_p99_ms = ms(percentile(fanout, 99));
results.fanout_1000_clients_trpc_path_p50_ms = ms(percentile(fanoutTrpc, 50));
results.fanout_1000_clients_trpc_path_p99_ms = ms(percentile(fanoutTrpc, 99));
results.fanout_1000_clients_bench_process_cpu_p50_ms = ms(percentile(fanoutCpu, 50));
results.fanout_1000_clients_trpc_path_bench_process_cpu_p50_ms = ms(percentile(fanoutTrpcCpu, 50));
results.server_rss_mb_1000_clients = +fanoutRss.toFixed(1);
results.baseline_mutation_roundtrip_p50_ms = ms(b50);
results.baseline_query_roundtrip_p50_ms = ms(percentile(queryBaseline, 50));
results.baseline_mutation_roundtrip_stock_trpc_client_p50_ms = ms(percentile(stockBaseline, 50));
results.replica_sync_interval_ms = syncIntervalMs;
results.note = `same-server and fan-out: local mode, server in the bench process; invalidate_same_server_* has its writer and reader tRPC clients in a child process (the _clients_in_server_process_ keys: in the bench process, sharing the server's event loop); fan-out: ${FANOUT} raw ws clients over ${FANOUT_PROCS} child processes timing their event's arrival, ${FANOUT_WARMUP} warm-up writes not counted, ${FANOUT_ROUNDS} measured (RSS is the server's); cross-server: replica mode, two server processes on one sqld, A hints B after each write (--peers), B also polls every ${syncIntervalMs} ms`;

const row = (metric: string, values: number[], base: number) => ({
  metric,
  p50_ms: percentile(values, 50).toFixed(2),
  p95_ms: percentile(values, 95).toFixed(2),
  p99_ms: percentile(values, 99).toFixed(2),
  'ratio p50 / mutation baseline': (percentile(values, 50) / base).toFixed(2),
});
console.table([
  row('mutation round trip (baseline)', baseline, b50),
  row('query round trip (baseline)', queryBaseline, b50),
  row("mutation round trip, tRPC's stock ws client (batching timer)", stockBaseline, b50),
  row('write → invalidation, same server (clients in own process)', sameOwnProcess, b50),
  row('  same, until the writer also had its response', sameWithResponse, b50),
  row('write → invalidation, same server (clients in server process)', same, b50),
  row('ryw extra wait (same server)', ryw, b50),
  row(`fan-out to ${FANOUT} clients`, fanout, b50),
  row(`fan-out to ${FANOUT} clients, tRPC path (baseline)`, fanoutTrpc, b50),
  row('write on A → invalidation on B', cross, b50),
  row('  of which: mutation round trip on A (replica)', crossWrite, b50),
  row('  event on B after A replied (negative: before)', crossAfterWrite, b50),
  row('minFrame read on B after write on A', crossRyw, b50),
]);
console.log(`server RSS with ${FANOUT} clients: ${fanoutRss.toFixed(1)} MB`);
console.log(
  `fan-out, bench-process CPU per write (server + writer), p50: ${percentile(fanoutCpu, 50).toFixed(1)} ms ` +
    `direct, ${percentile(fanoutTrpcCpu, 50).toFixed(1)} ms tRPC path ` +
    `(ratio ${(percentile(fanoutCpu, 50) / percentile(fanoutTrpcCpu, 50)).toFixed(2)})`,
);
if (FULL) {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote ${out}`);
}
