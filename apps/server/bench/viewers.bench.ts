import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signToken } from '@liveframe/server';
import { TEST_AUTH_SECRET } from '@liveframe/server/testing';
import { createTRPCClient, createTRPCUntypedClient, createWSClient, httpLink, wsLink } from '@trpc/client';
import type { AnyRouter } from '@trpc/server';
import superjson from 'superjson';
import { WebSocket } from 'ws';
import { seedDemoData } from '../src/domain/demo-seed.ts';
import type { AppRouter } from '../src/index.ts';
import { startServer, startServerProcess } from '../src/testing/index.ts';
import { percentile } from './percentile.ts';

/**
 * `npm run bench:viewers -w @liveframe/demo-server` (also the tail of `npm run bench`): the
 * shared-live-results issue's `viewers` benchmark. One demo server (local mode) in its own
 * process, a writer creating orders over HTTP at 20 writes/s, and N simulated dashboard viewers
 * (each its own user of one tenant, each with the dashboard's 6 live queries, real WebSocket tRPC
 * clients in 2-4 child processes, viewer-clients.ts) per delivery mode:
 * - fresh_all: the writer's answer → the last viewer's `orders.list` shows the new order;
 * - server CPU per write: the server process's utime+stime (/proc) over the measured window
 *   (first measured write → every write fresh and no viewer fetch in flight) / writes;
 * - query executions per write: `liveframe_live_query_runs_total` (GET /metrics) delta / writes;
 * - bytes per write: bytes every viewer received in the window / writes;
 * - multi-tenant: 100 tenants x 10 viewers, writes in one tenant: events the other 990 received.
 * Push mode runs only when the server accepts `live.events` `delivery: 'push'` (probed once).
 * Keys are merged into bench/results/server.json (other benches' keys are kept). Never part of
 * the test suite.
 */
const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', '..', '..', 'bench', 'results', 'server.json');
const list = (value: string | undefined, fallback: string) => (value ?? fallback).split(',').filter(Boolean);
const SIZES = list(process.env.BENCH_VIEWERS_N, '10,100,1000').map(Number);
const MODES = list(process.env.BENCH_VIEWERS_MODES, 'invalidate,push') as Mode[];
const CROSS = process.env.BENCH_VIEWERS_CROSS !== '0';
const WRITES_PER_SECOND = 20;
/**
 * Measured writes: push 300 (the p99 is then the 297th of 300, not one stall), invalidate 100
 * (at 1,000 viewers each write costs the server ~0.7 s of CPU: 300 would take minutes more).
 */
const writesFor = (mode: Mode) => Number(process.env.BENCH_VIEWERS_WRITES ?? (mode === 'push' ? 300 : 100));
/**
 * Unmeasured writes first. Push: 40 (2 s): right after 1,000 viewers connected the first writes
 * took up to ~240 ms (the server and the viewer processes still compiling the per-viewer paths and
 * collecting the setup's garbage), a transient of a fresh server, not the steady state measured
 * here. Invalidate at 1,000 viewers: 5 (each write costs the server ~0.7 s of CPU).
 */
const warmupFor = (mode: Mode, viewers: number) => (mode === 'push' ? 40 : viewers >= 1000 ? 5 : 20);
/** A write not held by every viewer this long after its answer counts as not fresh (no hang). */
const FRESH_DEADLINE_MS = Number(process.env.BENCH_VIEWERS_FRESH_DEADLINE_MS ?? 30_000);
/** The writer's requests in flight at once (an open loop at 20/s for the bounded write counts, but never an unbounded pile-up); a write due while all are busy goes out late (counted). */
const MAX_WRITES_IN_FLIGHT = 64;
/** The writer gives up waiting for an answer after this; the write may still commit (see `committed`). */
const WRITE_TIMEOUT_MS = 60_000;
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

type Mode = 'invalidate' | 'push';
const now = () => performance.timeOrigin + performance.now();
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

const round = (value: number, digits = 3) => (Number.isFinite(value) ? +value.toFixed(digits) : null);

/** utime and stime of a process, in ms. */
function cpuTimes(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may contain spaces) start at state (field 3): utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: (Number(fields[11]) * 1000) / CLK_TCK, system: (Number(fields[12]) * 1000) / CLK_TCK };
}

/** utime + stime of a process, in ms. */
function cpuMs(pid: number): number {
  const { user, system } = cpuTimes(pid);
  return user + system;
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`/metrics has no ${name}`);
  return Number(line.slice(name.length + 1));
}

/** One viewer-clients.ts process, with deadline-bounded request/answer over IPC. */
class ViewerProcess {
  readonly child: ChildProcess;
  #exited = false;

  constructor(mode: Mode) {
    this.child = fork(join(here, 'viewer-clients.ts'), ['--mode', mode], {
      // BENCH_VIEWERS_CLIENT_PROF=<dir>: V8 CPU profiles of the viewer processes over the measured
      // window (viewer-clients.ts reads it).
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.once('exit', () => {
      this.#exited = true;
    });
  }

  request<T extends Record<string, unknown>>(
    message: object,
    match: (m: Record<string, unknown>) => boolean,
    deadlineMs: number,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => finish(new Error(`no answer to ${JSON.stringify(message)} in ${deadlineMs} ms`)),
        deadlineMs,
      );
      const onMessage = (m: Record<string, unknown>) => {
        if (m.type === 'error') finish(new Error(`viewer process: ${String(m.message)}`));
        else if (match(m)) finish(undefined, m as T);
      };
      const onExit = (code: number | null) => finish(new Error(`viewer process exited (${code})`));
      const finish = (error?: Error, value?: T) => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        if (error === undefined) resolve(value as T);
        else reject(error);
      };
      if (this.#exited) return finish(new Error('viewer process has exited'));
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
      this.child.send(message);
    });
  }

  async stop(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

interface ViewerStats {
  bytes: number;
  messages: number;
  events: Record<string, number>;
  crossTenant: Record<string, number>;
  fetches: number;
  fetchErrors: number;
  pushedResults: number;
  closes: number;
  fetchMs: number[];
}

interface CaseResult {
  mode: Mode;
  label: string;
  viewers: number;
  writes: number;
  writeErrors: number;
  freshP50: number;
  freshP99: number;
  /** The ten slowest writes' fresh_all (ms), slowest first: whether the p99 is one stall or a trend. */
  freshSlowest: number[];
  notFresh: number;
  cpuPerWrite: number;
  viewerCpuPerWrite: number;
  /** Share of the server's and viewers' CPU spent in the kernel. */
  kernelShare: number;
  executionsPerWrite: number;
  bytesPerWrite: number;
  eventsPerWrite: number;
  crossTenantPerWrite: number;
  refetchAll: number;
  closes: number;
  fetchErrors: number;
  fetchesPerWrite: number;
  fetchP50: number;
  fetchP99: number;
  writeP50: number;
  writesLate: number;
  achievedWritesPerSecond: number;
  setupS: number;
  idle: boolean;
}

/** Does the server accept `live.events` `delivery`? An unknown mode must be refused and `push` accepted. */
async function pushAccepted(wsUrl: string): Promise<boolean> {
  const ws = createWSClient({ url: wsUrl, WebSocket: WebSocket as unknown as typeof globalThis.WebSocket });
  const trpc = createTRPCUntypedClient<AnyRouter>({
    links: [wsLink({ client: ws, transformer: superjson })],
  });
  const firstAnswer = (delivery: string) =>
    new Promise<'event' | 'error' | 'timeout'>((resolve) => {
      const subscriptionId = `probe-${delivery.replace(/[^A-Za-z0-9]/g, '')}-${process.pid}`;
      let settled = false;
      const settle = (answer: 'event' | 'error' | 'timeout') => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        queueMicrotask(() => sub.unsubscribe());
        resolve(answer);
      };
      const timer = setTimeout(() => settle('timeout'), 10_000);
      const sub = trpc.subscription(
        'live.events',
        { subscriptionId, delivery },
        { onData: () => settle('event'), onError: () => settle('error') },
      );
    });
  try {
    const unknown = await firstAnswer('no-such-delivery-mode');
    const push = await firstAnswer('push');
    return unknown === 'error' && push === 'event';
  } finally {
    await ws.close();
  }
}

async function runCase(mode: Mode, tenants: number, perTenant: number): Promise<CaseResult> {
  const total = tenants * perTenant;
  const label = tenants === 1 ? `${total}` : `${tenants}x${perTenant}`;
  const writes = writesFor(mode);
  const warmup = warmupFor(mode, total);
  const dir = mkdtempSync(join(tmpdir(), 'liveframe-viewers-'));
  const dbPath = join(dir, 'app.db');
  const tenantIds =
    tenants === 1 ? ['demo'] : Array.from({ length: tenants }, (_, i) => `t${String(i).padStart(3, '0')}`);
  const writerTenant = tenantIds[0]!;
  const procs: ViewerProcess[] = [];
  try {
    if (tenants > 1) {
      // The server seeds only its anonymous tenant: seed the others into the file first.
      await using seeder = await startServer({ dbPath });
      for (const tenantId of tenantIds) {
        await seedDemoData(seeder.services.database.driver, {
          tenantId,
          products: 5,
          customers: 10,
          orders: 30,
        });
      }
    }
    const profile = process.env.BENCH_VIEWERS_CPU_PROF;
    const nodeOptions = process.env.NODE_OPTIONS;
    // Only the server process loads the profiler hook (see profile-on-signal.mjs).
    if (profile !== undefined)
      process.env.NODE_OPTIONS = `${nodeOptions ?? ''} --import ${join(here, 'profile-on-signal.mjs')}`;
    await using server = await startServerProcess({ dbPath });
    if (nodeOptions === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = nodeOptions;
    const pid = server.pid;
    if (pid === undefined) throw new Error('server process has no pid');
    const token = signToken({ userId: 'writer', tenantId: writerTenant, role: 'admin' }, TEST_AUTH_SECRET);
    const writer = createTRPCClient<AppRouter>({
      links: [
        httpLink({
          url: `${server.url}/trpc`,
          transformer: superjson,
          headers: { authorization: `Bearer ${token}` },
        }),
      ],
    });
    const customerId = (await writer.catalog.customers.query({ limit: 1 }))[0]?.id;
    const productId = (await writer.catalog.products.query())[0]?.id;
    if (customerId === undefined || productId === undefined)
      throw new Error(`tenant ${writerTenant} is not seeded`);

    const count = Math.max(2, Math.min(4, Number(process.env.BENCH_VIEWERS_PROCS ?? Math.ceil(total / 250))));
    const viewers = tenantIds.flatMap((tenantId) =>
      Array.from({ length: perTenant }, (_, j) => ({ userId: `viewer-${tenantId}-${j}`, tenantId })),
    );
    const t0 = Date.now();
    for (let i = 0; i < count; i++) procs.push(new ViewerProcess(mode));
    await Promise.all(
      procs.map((p, i) =>
        p.request(
          {
            type: 'start',
            wsUrl: server.wsUrl,
            viewers: viewers.slice(Math.floor((total * i) / count), Math.floor((total * (i + 1)) / count)),
            watchTenant: writerTenant,
            deadlineMs: 300_000,
          },
          (m) => m.type === 'ready',
          310_000,
        ),
      ),
    );
    const setupS = (Date.now() - t0) / 1000;

    /** Writes `n` orders at 20/s; per write: answer time and when the last viewer held it. */
    const writePhase = async (n: number) => {
      const fresh: number[] = [];
      const writeMs: number[] = [];
      let notFresh = 0;
      let late = 0;
      const writeErrors: string[] = [];
      let firstSent = Number.NaN;
      let lastAnswer = Number.NaN;
      const inFlight = new Set<Promise<void>>();
      const freshChecks: Promise<void>[] = [];
      const start = Date.now();
      for (let i = 0; i < n; i++) {
        const wait = start + (i * 1000) / WRITES_PER_SECOND - Date.now();
        // Pacing the writer's schedule (20/s), not waiting for anything to happen.
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        else if (wait < -10) late++;
        while (inFlight.size >= MAX_WRITES_IN_FLIGHT) await Promise.race(inFlight);
        const write = (async () => {
          const sent = now();
          if (Number.isNaN(firstSent)) firstSent = sent;
          let id: number;
          try {
            ({ id } = await writer.orders.create.mutate(
              { customerId, items: [{ productId, quantity: 1 }], status: 'paid' },
              { signal: AbortSignal.timeout(WRITE_TIMEOUT_MS) },
            ));
          } catch (error) {
            // A failed write is no write: counted and reported, not measured.
            writeErrors.push(error instanceof Error ? error.message : String(error));
            return;
          }
          const answered = now();
          lastAnswer = Number.isNaN(lastAnswer) ? answered : Math.max(lastAnswer, answered);
          writeMs.push(answered - sent);
          const check = Promise.all(
            procs.map((p) =>
              p.request<{ reached: number; total: number; last: number }>(
                { type: 'expect', id, deadlineAt: Date.now() + FRESH_DEADLINE_MS },
                (m) => m.type === 'fresh' && m.id === id,
                FRESH_DEADLINE_MS + 30_000,
              ),
            ),
          ).then((answers) => {
            const held = answers.filter((a) => a.total > 0);
            if (held.every((a) => a.reached >= a.total)) {
              fresh.push(Math.max(...held.map((a) => a.last)) - answered);
            } else {
              notFresh++;
              fresh.push(Number.POSITIVE_INFINITY);
            }
          });
          // Awaited after the writes; until then a failure must not count as unhandled.
          check.catch(() => {});
          freshChecks.push(check);
        })();
        inFlight.add(write);
        void write.finally(() => inFlight.delete(write)).catch(() => {});
      }
      await Promise.all(inFlight);
      await Promise.all(freshChecks);
      return {
        writeErrors,
        written: n - writeErrors.length,
        fresh,
        writeMs,
        notFresh,
        late,
        rate: (n - writeErrors.length) / Math.max(0.001, (lastAnswer - firstSent) / 1000),
      };
    };
    const quiesce = async () => {
      const answers = await Promise.all(
        procs.map((p) =>
          p.request<{ idle: boolean; stats: ViewerStats }>(
            { type: 'quiesce', deadlineAt: Date.now() + FRESH_DEADLINE_MS },
            (m) => m.type === 'quiet',
            FRESH_DEADLINE_MS + 30_000,
          ),
        ),
      );
      return { idle: answers.every((a) => a.idle), stats: answers.map((a) => a.stats) };
    };

    // Warm-up (JIT, statement caches, first refetch storms), then the measured window from rest.
    await writePhase(warmup);
    await quiesce();
    await Promise.all(procs.map((p) => p.request({ type: 'mark' }, (m) => m.type === 'marked', 30_000)));
    const newestOrder = async () =>
      (await writer.orders.list.query({ sort: 'newest', page: 0, pageSize: 1 })).rows[0]?.id ?? 0;
    const idBefore = await newestOrder();
    const runs0 = await metric(server.url, 'liveframe_live_query_runs_total');
    if (profile !== undefined) process.kill(pid, 'SIGUSR2');
    const viewersCpu = () =>
      procs.reduce((sum, p) => sum + (p.child.pid === undefined ? 0 : cpuMs(p.child.pid)), 0);
    // Kernel time: on loopback a socket write also runs the receiving side's TCP processing.
    const systemMs = () =>
      cpuTimes(pid).system +
      procs.reduce((sum, p) => sum + (p.child.pid === undefined ? 0 : cpuTimes(p.child.pid).system), 0);
    const cpu0 = cpuMs(pid);
    const viewerCpu0 = viewersCpu();
    const system0 = systemMs();
    const measured = await writePhase(writes);
    const { idle, stats } = await quiesce();
    const cpu1 = cpuMs(pid);
    const viewerCpu1 = viewersCpu();
    const system1 = systemMs();
    if (profile !== undefined) {
      const before = existsSync(profile) ? statSync(profile).mtimeMs : 0;
      process.kill(pid, 'SIGUSR2');
      await waitFor(() => existsSync(profile) && statSync(profile).mtimeMs !== before, 30_000);
    }
    const runs1 = await metric(server.url, 'liveframe_live_query_runs_total');
    // Writes the server committed in the window (the writer is the only one; ids grow), answered or not.
    const committed = (await newestOrder()) - idBefore;

    if (measured.writeErrors.length > 0) {
      console.log(
        `${measured.writeErrors.length} writes got no answer, first: ${measured.writeErrors[0]}; committed ${committed} of ${writes}`,
      );
    }
    const done = Math.max(1, committed);
    const sum = (pick: (s: ViewerStats) => number) => stats.reduce((n, s) => n + pick(s), 0);
    const events = (s: ViewerStats) => (s.events.invalidate ?? 0) + (s.events.results ?? 0);
    const cross = (s: ViewerStats) =>
      mode === 'push'
        ? (s.crossTenant.results ?? 0)
        : (s.crossTenant.invalidate ?? 0) + (s.crossTenant.results ?? 0);
    return {
      mode,
      label,
      viewers: total,
      writes: committed,
      writeErrors: measured.writeErrors.length,
      freshP50: percentile(measured.fresh, 50),
      freshP99: percentile(measured.fresh, 99),
      freshSlowest: [...measured.fresh]
        .sort((a, b) => b - a)
        .slice(0, 10)
        .map((ms) => Math.round(ms)),
      notFresh: measured.notFresh,
      cpuPerWrite: (cpu1 - cpu0) / done,
      // The simulated viewers share the machine: what decoding costs them competes with the server.
      viewerCpuPerWrite: (viewerCpu1 - viewerCpu0) / done,
      kernelShare: (system1 - system0) / (cpu1 - cpu0 + viewerCpu1 - viewerCpu0),
      executionsPerWrite: (runs1 - runs0) / done,
      bytesPerWrite: sum((s) => s.bytes) / done,
      eventsPerWrite: sum(events) / done,
      crossTenantPerWrite: sum(cross) / done,
      refetchAll: sum((s) => s.events['refetch-all'] ?? 0),
      closes: sum((s) => s.closes),
      fetchErrors: sum((s) => s.fetchErrors),
      fetchesPerWrite: sum((s) => s.fetches) / done,
      fetchP50: percentile(
        stats.flatMap((s) => s.fetchMs),
        50,
      ),
      fetchP99: percentile(
        stats.flatMap((s) => s.fetchMs),
        99,
      ),
      writeP50: percentile(measured.writeMs, 50),
      writesLate: measured.late,
      achievedWritesPerSecond: measured.rate,
      setupS,
      idle,
    };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

const loadStart = loadavg();
console.log(
  `viewers bench: load average at start ${loadStart}; sizes ${SIZES.join(', ')}; modes ${MODES.join(', ')}`,
);
let modes = MODES;
if (modes.includes('push')) {
  await using probe = await startServerProcess();
  if (!(await pushAccepted(probe.wsUrl))) {
    console.log(
      "push mode is unavailable: the server does not accept live.events `delivery: 'push'`; skipping its keys",
    );
    modes = modes.filter((m) => m !== 'push');
  }
}

const results: CaseResult[] = [];
for (const mode of modes) {
  for (const size of SIZES) {
    console.log(`${mode}: ${size} viewers ...`);
    results.push(await runCase(mode, 1, size));
    console.log(JSON.stringify(results.at(-1)));
  }
  if (CROSS) {
    console.log(`${mode}: 100 tenants x 10 viewers ...`);
    results.push(await runCase(mode, 100, 10));
    console.log(JSON.stringify(results.at(-1)));
  }
}
const loadEnd = loadavg();

const keys: Record<string, number | string | null> = {};
for (const r of results) {
  if (r.label.includes('x')) {
    const prefix = r.mode === 'push' ? 'viewers' : 'viewers_invalidate';
    keys[
      r.mode === 'push'
        ? 'viewers_cross_tenant_pushes_per_write'
        : 'viewers_invalidate_cross_tenant_events_per_write'
    ] = round(r.crossTenantPerWrite);
    keys[`${prefix}_100x10_fresh_all_p50_ms`] = round(r.freshP50);
    keys[`${prefix}_100x10_fresh_all_p99_ms`] = round(r.freshP99);
    keys[`${prefix}_100x10_server_cpu_ms_per_write`] = round(r.cpuPerWrite);
    continue;
  }
  const prefix = r.mode === 'push' ? `viewers_${r.label}` : `viewers_invalidate_${r.label}`;
  keys[`${prefix}_fresh_all_p50_ms`] = round(r.freshP50);
  // null: some write was not held by every viewer within the deadline (see _writes_not_fresh).
  keys[`${prefix}_fresh_all_p99_ms`] = round(r.freshP99);
  keys[`${prefix}_fresh_all_max_ms`] = round(r.freshSlowest[0] ?? Number.NaN);
  keys[`${prefix}_measured_writes`] = r.writes;
  keys[`${prefix}_server_cpu_ms_per_write`] = round(r.cpuPerWrite);
  keys[`${prefix}_viewer_processes_cpu_ms_per_write`] = round(r.viewerCpuPerWrite);
  keys[`${prefix}_query_executions_per_write`] = round(r.executionsPerWrite);
  keys[`${prefix}_bytes_per_write`] = round(r.bytesPerWrite, 0);
  keys[`${prefix}_writes_not_fresh`] = r.notFresh;
  keys[`${prefix}_writes_unanswered`] = r.writeErrors;
  keys[`${prefix}_refetch_all_events`] = r.refetchAll;
  keys[`${prefix}_achieved_writes_per_s`] = round(r.achievedWritesPerSecond, 1);
}
keys.viewers_note =
  `viewers bench: demo server (local mode) in its own process, writer over HTTP (orders.create) at ${WRITES_PER_SECOND} writes/s ` +
  `(at most ${MAX_WRITES_IN_FLIGHT} in flight), viewers = real ws tRPC clients with the dashboard's 6 live queries in 2-4 child processes; ` +
  `measured writes ${results.map((r) => `${r.mode} ${r.label}: ${r.writes}`).join(', ')}; ` +
  `fresh_all = writer's answer -> last viewer's orders.list shows the order (negative: before the answer), ` +
  `writes counted are those the server committed in the window (answered or not), ` +
  `a write not held within ${FRESH_DEADLINE_MS} ms counts as not fresh (p99 null when it is among the top 1%); ` +
  `CPU = server process utime+stime over the window / writes; load average ${loadStart} at start, ${loadEnd} at end, ` +
  `on ${execFileSync('nproc').toString().trim()} cores`;
const existing = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>) : {};
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ ...existing, ...keys }, null, 2)}\n`);

const baselineOf = (r: CaseResult) => results.find((b) => b.mode === 'invalidate' && b.label === r.label);
const ratio = (value: number, base: number | undefined) =>
  base === undefined || !Number.isFinite(value) || !Number.isFinite(base) || base === 0
    ? '-'
    : (value / base).toFixed(2);
const fmt = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'not fresh');
console.table(
  results.map((r) => {
    const base = baselineOf(r);
    return {
      mode: r.mode,
      viewers: r.label,
      writes: r.writes,
      'fresh_all p50 ms': fmt(r.freshP50),
      'fresh_all p99 ms': fmt(r.freshP99),
      'not fresh': r.notFresh,
      'server CPU ms/write': fmt(r.cpuPerWrite),
      'CPU ms/write/viewer': fmt(r.cpuPerWrite / r.viewers, 3),
      'viewer procs CPU ms/write': fmt(r.viewerCpuPerWrite),
      'kernel share of server + viewers CPU': fmt(r.kernelShare, 2),
      'executions/write': fmt(r.executionsPerWrite),
      'bytes/write': fmt(r.bytesPerWrite, 0),
      'events/write': fmt(r.eventsPerWrite),
      'cross-tenant events/write': r.label.includes('x') ? fmt(r.crossTenantPerWrite) : '-',
      'refetch-all': r.refetchAll,
      'writes/s': fmt(r.achievedWritesPerSecond),
      'ratio CPU / invalidate': ratio(r.cpuPerWrite, base?.cpuPerWrite),
      'ratio p99 / invalidate': ratio(r.freshP99, base?.freshP99),
      'ratio bytes / invalidate': ratio(r.bytesPerWrite, base?.bytesPerWrite),
    };
  }),
);
console.table(
  results.map((r) => ({
    mode: r.mode,
    viewers: r.label,
    'setup s': r.setupS.toFixed(1),
    'write round trip p50 ms': fmt(r.writeP50, 2),
    'writes sent late': r.writesLate,
    'writes unanswered': r.writeErrors,
    'viewer fetches/write': fmt(r.fetchesPerWrite),
    'refetch round trip p50 ms': fmt(r.fetchP50),
    'refetch round trip p99 ms': fmt(r.fetchP99),
    'fetch errors': r.fetchErrors,
    'socket closes': r.closes,
    'quiet at end': r.idle,
  })),
);
console.log(`load average: ${loadStart} at start, ${loadEnd} at end`);
console.log(`merged ${Object.keys(keys).length} keys into ${out}`);

/** Polls `ready` until it holds; throws after `timeoutMs` (a file another process writes). */
async function waitFor(ready: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`not ready within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
