import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LiveQueryHub, registrationDigest, type SubscriptionEvent } from '@liveframe/reactive';
import { type WebSocket, WebSocketServer } from 'ws';
import { ServerMetrics } from '../src/http/server-metrics.ts';
import { deliverDirectly, EventEncodingCache } from '../src/live/live-delivery.ts';
import { SEND_OPTIONS, sendMessage } from '../src/live/preframed-send.ts';

const NONE_HELD = { count: 0, digest: registrationDigest([]) };

/**
 * `node --import tsx bench/fanout-sweep.bench.ts`: the server's per-socket send step of a fan-out
 * in isolation (no tRPC, no database): one event to N open sockets, as `ws.send` of the shared
 * payload (baseline) and as one write of the shared pre-built frame. Modes alternate round by
 * round, so machine load hits both alike; each round waits until every client (child process,
 * sweep-clients.ts) has the message. Then the whole delivery path: a real hub publish reaching
 * N subscriptions, each delivered by `deliverDirectly` (the server's code), timed from before the
 * publish until the sweep's microtasks have run. CPU time (user + system, this process) is the
 * figure that load distorts least. Also times the encoding-cache lookup per socket. Never part
 * of the tests.
 */
const here = dirname(fileURLToPath(import.meta.url));
const SOCKETS = Number(process.env.BENCH_FANOUT_CLIENTS ?? 1000);
const ROUNDS = Number(process.env.BENCH_SWEEP_ROUNDS ?? 200);
const WARMUP = 20;

const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
await new Promise<void>((resolve) => wss.once('listening', resolve));
const sockets: WebSocket[] = [];
wss.on('connection', (socket) => sockets.push(socket));
const { port } = wss.address() as { port: number };
const child = fork(join(here, 'sweep-clients.ts'), [], { execArgv: ['--import', 'tsx'] });
const fromChild = () => new Promise<unknown>((resolve) => child.once('message', resolve));
const ready = fromChild();
child.send({ url: `ws://127.0.0.1:${port}`, count: SOCKETS });
await ready;
while (sockets.length < SOCKETS) await new Promise((resolve) => setTimeout(resolve, 5));

const request = { idJson: '1', jsonrpc: false, lastEventId: null, stopped: false };
/** What the hub hands each subscription: its own event object, one shared position per publish. */
function eventsAt(frame: number): SubscriptionEvent[] {
  const position = { generation: 'bench-generation', frame };
  return sockets.map(() => ({ type: 'invalidate', position, queries: ['kpis'], tables: ['orders'] }));
}

const modes = {
  'ws.send of the shared payload (baseline)': (socket: WebSocket, event: SubscriptionEvent) =>
    socket.send(cache.message(event, request, 's', NONE_HELD).payload, SEND_OPTIONS),
  'one write of the shared pre-built frame': (socket: WebSocket, event: SubscriptionEvent) =>
    sendMessage(socket, cache.message(event, request, 's', NONE_HELD)),
};
type Mode = keyof typeof modes;
const cache = new EventEncodingCache();
const samples = new Map<Mode, { wall: number[]; user: number[]; system: number[] }>();
for (const mode of Object.keys(modes) as Mode[]) samples.set(mode, { wall: [], user: [], system: [] });

for (let round = 0; round < WARMUP + ROUNDS; round++) {
  const mode = (Object.keys(modes) as Mode[])[round % 2]!;
  const send = modes[mode];
  const events = eventsAt(round + 1);
  const arrived = fromChild();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < sockets.length; i++) send(sockets[i]!, events[i]!);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await arrived;
  if (round < WARMUP) continue;
  const into = samples.get(mode)!;
  into.wall.push(wall);
  into.user.push(cpu.user / 1000);
  into.system.push(cpu.system / 1000);
}

// The whole path: hub.publish → N subscriptions' next() → deliverDirectly's write, as in the server.
const hub = new LiveQueryHub({ position: { generation: 'bench-generation', frame: 0 }, bufferSize: 256 });
const readSet = { tables: new Map([['orders', { kind: 'all' as const }]]) };
/** One per subscription, as tRPC gives each subscription its own signal. */
const deliveries: AbortController[] = [];
const metrics = new ServerMetrics();
for (const [i, socket] of sockets.entries()) {
  const subscriberId = `subscriber-${i}`;
  hub.registerQuery({ subscriberId, key: 'kpis', readSet });
  const subscription = hub.subscribe({ subscriberId });
  await subscription.next(); // the ack, which tRPC sends in the server
  const delivery = new AbortController();
  deliveries.push(delivery);
  void deliverDirectly({
    socket,
    request,
    subscription,
    subscriptionId: subscriberId,
    held: { count: 1, digest: registrationDigest(['kpis']) },
    cache,
    metrics,
    signal: delivery.signal,
    maxBufferedBytes: 1 << 20,
    slowClientGraceMs: 10_000,
  });
}
const whole = { wall: [] as number[], user: [] as number[], system: [] as number[] };
for (let round = 0; round < WARMUP + ROUNDS / 2; round++) {
  const arrived = fromChild();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  hub.publish({
    type: 'changes',
    changeSet: {
      generation: 'bench-generation',
      frame: 2_000_000 + round,
      changes: [{ table: 'orders', op: 'update', rowid: 1 }],
    },
  });
  // setImmediate runs after the microtask checkpoint in which every subscription wrote.
  await new Promise((resolve) => setImmediate(resolve));
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await arrived;
  if (round < WARMUP) continue;
  whole.wall.push(wall);
  whole.user.push(cpu.user / 1000);
  whole.system.push(cpu.system / 1000);
}
for (const delivery of deliveries) delivery.abort();
samples.set('whole path: hub.publish + deliverDirectly' as Mode, whole);

/** Per-socket cost of finding the encoded message: the full keyed lookup vs the last-hit check. */
function lookupNs(lookup: (event: SubscriptionEvent) => unknown): number {
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 30; run++) {
    const events = eventsAt(1_000_000 + run);
    const t0 = performance.now();
    for (const event of events) lookup(event);
    best = Math.min(best, ((performance.now() - t0) * 1e6) / events.length);
  }
  return best;
}
const keyedNs = lookupNs((event) => cache.body(event, 's', NONE_HELD));
const memoNs = lookupNs((event) => cache.message(event, request, 's', NONE_HELD));

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const base = samples.get('ws.send of the shared payload (baseline)')!;
const baseCpu = mean(base.user) + mean(base.system);
console.table(
  [...samples].map(([mode, s]) => ({
    mode,
    'sweep wall p50 ms': median(s.wall).toFixed(2),
    'cpu user ms': mean(s.user).toFixed(2),
    'cpu system ms': mean(s.system).toFixed(2),
    'cpu / baseline': ((mean(s.user) + mean(s.system)) / baseCpu).toFixed(2),
  })),
);
console.log(
  `${SOCKETS} sockets, ${ROUNDS} rounds (${ROUNDS / 2} per mode, alternating). Encoded-message lookup per ` +
    `socket: ${keyedNs.toFixed(0)} ns keyed (position id + content key + maps), ${memoNs.toFixed(0)} ns ` +
    'with the last-hit check.',
);
child.kill();
for (const socket of sockets) socket.terminate();
wss.close();
