import { PushedResults, type PushedWireResult, receivedTransformer, WireKeys } from '@liveframe/client';
import { sendRequestsPromptly } from '@liveframe/reactive';
import { signToken } from '@liveframe/server';
import { TEST_AUTH_SECRET } from '@liveframe/server/testing';
import { createTRPCUntypedClient, createWSClient, type TRPCUntypedClient, wsLink } from '@trpc/client';
import type { AnyRouter } from '@trpc/server';
import { WebSocket } from 'ws';
import { windowProfiler } from './window-profiler.ts';

/**
 * Child process of viewers.bench.ts: many simulated dashboard viewers, each a real WebSocket tRPC
 * client (`@trpc/client` wsLink with @liveframe/client's `receivedTransformer`, `sendRequestsPromptly`) with its own user, its own
 * socket and the dashboard's 6 live queries, following PROTOCOL.md: subscribe to `live.events`,
 * register with `live.update` after every first event (`replace`, each query with its `since`),
 * refetch the listed keys on `invalidate` (input in the `$liveframe` envelope, `minFrame` = the
 * event's position), every key on `refetch-all`, the `stale` keys of a registration.
 * `--mode push` subscribes with `delivery: 'push'` and applies `results` events directly
 * (superjson-decoded), refetching only the keys a `results` or `invalidate` event lists.
 *
 * Every message is decoded (tRPC client + superjson); bytes are counted at the socket. A refetch of
 * a key already being fetched is coalesced: one more fetch after the current one, at the newest
 * position (what react-query's invalidation amounts to, without cancelling the request on the wire).
 *
 * Freshness: a viewer holds write `id` once its `orders.list` (newest first) shows an order id
 * >= id (ids grow; a viewer that skipped a write by coalescing holds it too).
 *
 * IPC (parent → child → parent):
 * `{ type: 'start', wsUrl, viewers: { userId, tenantId }[], watchTenant }` → `ready` | `error`;
 * `{ type: 'expect', id, deadlineAt }` → `{ type: 'fresh', id, reached, total, last }` once every
 *   viewer of `watchTenant` here holds the write (or at the deadline, `reached < total`);
 * `{ type: 'mark' }` → `marked` (counters restart); `{ type: 'quiesce', deadlineAt }` →
 *   `{ type: 'quiet', idle, stats }` once no fetch is in flight (or at the deadline);
 * `{ type: 'stop' }` → closes every socket and exits.
 */

type Mode = 'invalidate' | 'push';
const mode: Mode = process.argv.includes('--mode')
  ? (process.argv[process.argv.indexOf('--mode') + 1] as Mode)
  : 'invalidate';
if (mode !== 'invalidate' && mode !== 'push') throw new Error(`unknown --mode ${String(mode)}`);

/** The live queries the dashboard mounts (apps/web/src/dashboard/components), path and input exactly. */
const DASHBOARD_QUERIES: readonly { path: string; input?: unknown }[] = [
  { path: 'dashboard.kpis', input: { windowMinutes: 60 } },
  { path: 'catalog.customers', input: { limit: 100 } },
  { path: 'catalog.products' },
  { path: 'orders.list', input: { sort: 'newest', page: 0, pageSize: 10 } },
  { path: 'events.recent', input: { limit: 8 } },
  { path: 'dashboard.revenueSeries', input: { bucketSeconds: 60, buckets: 60 } },
];

type LiveEvent =
  | { type: 'live'; position: string; subscriptionId: string; registered: number; digest: string }
  | { type: 'invalidate'; position: string; queries: string[]; tables: string[] }
  | { type: 'refetch-all'; position: string; reason: string }
  | {
      type: 'results';
      position: string;
      results: PushedWireResult[];
      invalidate?: string[];
    };

interface Stats {
  bytes: number;
  messages: number;
  events: Record<string, number>;
  /** invalidate / results / refetch-all events received by viewers of another tenant than the watched one. */
  crossTenant: Record<string, number>;
  fetches: number;
  fetchErrors: number;
  pushedResults: number;
  closes: number;
  /** Round trips of the refetches (ms), the first 20,000 since the last `mark`. */
  fetchMs: number[];
}

const freshStats = (): Stats => ({
  bytes: 0,
  messages: 0,
  events: {},
  crossTenant: {},
  fetches: 0,
  fetchErrors: 0,
  pushedResults: 0,
  closes: 0,
  fetchMs: [],
});
let stats = freshStats();
const now = () => performance.timeOrigin + performance.now();
const send = (message: unknown) => process.send?.(message);

/** `ws` that counts every received byte (text frames, tRPC's keep-alive included) before tRPC sees it. */
class CountingWebSocket extends WebSocket {
  constructor(address: string, protocols?: string | string[]) {
    super(address, protocols);
    this.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      stats.messages++;
      stats.bytes += Array.isArray(data)
        ? data.reduce((n, b) => n + b.length, 0)
        : data instanceof ArrayBuffer
          ? data.byteLength
          : data.length;
    });
  }
}

/** The react-query hash of a dashboard query (query-core's hashKey: sorted object keys); it registers under a short wire key. */
function keyOf(path: string, input: unknown): string {
  const sorted = (value: unknown): unknown =>
    value === null || typeof value !== 'object' || Array.isArray(value)
      ? value
      : Object.fromEntries(
          Object.keys(value as object)
            .sort()
            .map((k) => [k, sorted((value as Record<string, unknown>)[k])]),
        );
  return JSON.stringify([
    path.split('.'),
    sorted(input === undefined ? { type: 'query' } : { input, type: 'query' }),
  ]);
}

// --- freshness bookkeeping of the watched tenant's writes -----------------------------------------

/** Per order id: how many viewers here hold it, and when the last of them got it. */
const reached = new Map<number, { count: number; last: number }>();
const waiters = new Map<number, { resolve: () => void }[]>();
let watchTenant = '';
let watchers = 0;

function holds(id: number, at: number): void {
  const entry = reached.get(id) ?? { count: 0, last: 0 };
  entry.count++;
  entry.last = Math.max(entry.last, at);
  reached.set(id, entry);
  if (entry.count >= watchers) for (const w of waiters.get(id) ?? []) w.resolve();
}

let inFlight = 0;
const idleWaiters = new Set<() => void>();
function checkIdle(): void {
  if (inFlight === 0) for (const wake of idleWaiters) wake();
}

interface QueryState {
  readonly key: string;
  readonly path: string;
  readonly input: unknown;
  data: unknown;
  /** The position this data is known to be current at (`since` of the next registration). */
  since: string | null;
  fetching: boolean;
  /** A refetch is owed at this position (minFrame) once the running fetch ends. */
  wanted: string | undefined;
}

class Viewer {
  readonly queries = new Map<string, QueryState>();
  readonly #pushed = new PushedResults();
  /** Short keys on the wire, as @liveframe/client registers them. */
  readonly #wire = new WireKeys();
  readonly subscriptionId = `viewer-${process.pid}-${Math.random().toString(36).slice(2, 12)}`;
  readonly trpc: TRPCUntypedClient<AnyRouter>;
  readonly #ws: ReturnType<typeof createWSClient>;
  #subscription: { unsubscribe(): void } | undefined;
  lastEventId: string | null = null;
  /** Highest order id its `orders.list` showed; undefined before its first data (the baseline). */
  maxOrderId: number | undefined;
  #ready: (() => void) | undefined;
  #failed: ((error: Error) => void) | undefined;
  readonly watched: boolean;

  constructor(
    wsUrl: string,
    readonly tenantId: string,
    userId: string,
  ) {
    this.watched = tenantId === watchTenant;
    const token = signToken({ userId, tenantId, role: 'admin' }, TEST_AUTH_SECRET);
    this.#ws = createWSClient({
      url: wsUrl,
      WebSocket: CountingWebSocket as unknown as typeof globalThis.WebSocket,
      connectionParams: () => ({ token }),
      retryDelayMs: () => 200,
      // As createLiveClient configures it (tRPC re-arms its ping timer on every message received).
      keepAlive: { enabled: true, intervalMs: 5_000, pongTimeoutMs: 2_000 },
      onClose: () => {
        stats.closes++;
      },
    });
    sendRequestsPromptly(this.#ws);
    this.trpc = createTRPCUntypedClient<AnyRouter>({
      links: [wsLink({ client: this.#ws, transformer: receivedTransformer })],
    });
    for (const { path, input } of DASHBOARD_QUERIES) {
      const key = keyOf(path, input);
      this.queries.set(key, {
        key,
        path,
        input,
        data: undefined,
        since: null,
        fetching: false,
        wanted: undefined,
      });
    }
  }

  /** Subscribes; resolves once every query has its first data. */
  start(deadlineMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`viewer not ready within ${deadlineMs} ms`)),
        deadlineMs,
      );
      this.#ready = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#failed = (error) => {
        clearTimeout(timer);
        reject(error);
      };
      this.#subscription = this.trpc.subscription(
        'live.events',
        // Push viewers take patches, as @liveframe/client does.
        {
          subscriptionId: this.subscriptionId,
          ...(mode === 'push' ? { delivery: 'push', patches: true } : {}),
        },
        {
          onData: (value: unknown) => this.#onEvent(value as { id: string; data: LiveEvent }),
          onError: (error: unknown) => {
            stats.fetchErrors++;
            this.#failed?.(error instanceof Error ? error : new Error(String(error)));
          },
        },
      );
    });
  }

  #onEvent({ id, data: event }: { id: string; data: LiveEvent }): void {
    this.lastEventId = id;
    stats.events[event.type] = (stats.events[event.type] ?? 0) + 1;
    if (!this.watched && event.type !== 'live') {
      stats.crossTenant[event.type] = (stats.crossTenant[event.type] ?? 0) + 1;
    }
    switch (event.type) {
      case 'live':
        // Always re-register after a first event (allowed by the protocol instead of the digest check).
        void this.#register(event.position, false);
        return;
      case 'refetch-all':
        // A first event or not: re-registering with `since` = its position is right either way.
        void this.#register(event.position, true);
        return;
      case 'invalidate':
        for (const wire of event.queries) this.#refetch(this.#hashOf(wire), event.position);
        return;
      case 'results': {
        const at = now();
        for (const result of event.results) {
          const query = this.queries.get(this.#hashOf(result.key));
          if (query === undefined) continue;
          stats.pushedResults++;
          // The real client's decoder (whole results and patches against the last one pushed).
          const decoded = this.#pushed.decode(result, event.position);
          if (decoded === undefined) {
            stats.fetchErrors++;
            this.#refetch(query.key, event.position);
            continue;
          }
          this.#apply(query, decoded.value, at);
          query.since = event.position;
        }
        for (const wire of event.invalidate ?? []) this.#refetch(this.#hashOf(wire), event.position);
        return;
      }
    }
  }

  #hashOf(wire: string): string {
    return this.#wire.hashOf(wire) ?? wire;
  }

  async #register(position: string, all: boolean): Promise<void> {
    inFlight++;
    try {
      const answer = (await this.trpc.mutation('live.update', {
        subscriptionId: this.subscriptionId,
        replace: true,
        add: [...this.queries.values()].map((q) => ({
          key: this.#wire.of(q.key),
          path: q.path,
          ...(q.input === undefined ? {} : { input: q.input }),
          since: all ? position : q.since,
        })),
      })) as { position: string; stale: string[] };
      const refetch = all ? [...this.queries.keys()] : answer.stale.map((wire) => this.#hashOf(wire));
      for (const key of refetch) this.#refetch(key, position);
      for (const query of this.queries.values())
        if (query.data === undefined) this.#refetch(query.key, position);
    } catch (error) {
      stats.fetchErrors++;
      this.#failed?.(error instanceof Error ? error : new Error(String(error)));
    } finally {
      inFlight--;
      checkIdle();
    }
  }

  #refetch(key: string, position: string): void {
    const query = this.queries.get(key);
    if (query === undefined) return;
    query.wanted = position;
    if (!query.fetching) void this.#fetchLoop(query);
  }

  async #fetchLoop(query: QueryState): Promise<void> {
    query.fetching = true;
    inFlight++;
    let failures = 0;
    try {
      // Bounded: every turn consumes `wanted`; it is set again only by a newer event, or by a failure (at most 3).
      while (query.wanted !== undefined) {
        const minFrame = query.wanted;
        query.wanted = undefined;
        const since = this.lastEventId;
        stats.fetches++;
        const started = now();
        try {
          const data = await this.trpc.query(query.path, {
            $liveframe: { minFrame },
            ...(query.input === undefined ? {} : { input: query.input }),
          });
          const at = now();
          if (stats.fetchMs.length < 20_000) stats.fetchMs.push(at - started);
          this.#apply(query, data, at);
          query.since = since;
        } catch {
          stats.fetchErrors++;
          if (++failures < 3) query.wanted ??= minFrame;
        }
      }
    } finally {
      query.fetching = false;
      inFlight--;
      this.#checkReady();
      checkIdle();
    }
  }

  #apply(query: QueryState, data: unknown, at: number): void {
    query.data = data;
    if (query.path === 'orders.list') {
      const rows = (data as { rows: { id: number }[] }).rows;
      const max = rows.reduce((m, r) => Math.max(m, r.id), 0);
      if (this.maxOrderId === undefined) this.maxOrderId = max;
      else if (max > this.maxOrderId) {
        if (this.watched) for (let id = this.maxOrderId + 1; id <= max; id++) holds(id, at);
        this.maxOrderId = max;
      }
    }
  }

  #checkReady(): void {
    if (this.#ready !== undefined && [...this.queries.values()].every((q) => q.data !== undefined)) {
      const ready = this.#ready;
      this.#ready = undefined;
      this.#failed = undefined;
      ready();
    }
  }

  close(): void {
    this.#subscription?.unsubscribe();
    void this.#ws.close();
  }
}

const viewers: Viewer[] = [];
/** BENCH_VIEWERS_CLIENT_PROF=<dir>: a V8 CPU profile of this process from `mark` to the next `quiesce`. */
const profiler = windowProfiler(process.env.BENCH_VIEWERS_CLIENT_PROF);

type Message =
  | {
      type: 'start';
      wsUrl: string;
      viewers: { userId: string; tenantId: string }[];
      watchTenant: string;
      deadlineMs: number;
    }
  | { type: 'expect'; id: number; deadlineAt: number }
  | { type: 'mark' }
  | { type: 'quiesce'; deadlineAt: number }
  | { type: 'stop' };

function untilDeadline(deadlineAt: number, register: (wake: () => void) => () => void): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unregister();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), Math.max(0, deadlineAt - Date.now()));
    const unregister = register(() => finish(true));
  });
}

process.on('message', (message: Message) => {
  void (async () => {
    switch (message.type) {
      case 'start': {
        watchTenant = message.watchTenant;
        const started = now();
        // Connect in batches, as browsers opening the dashboard would not all arrive in one tick.
        for (let i = 0; i < message.viewers.length; i += 25) {
          const batch = message.viewers
            .slice(i, i + 25)
            .map((v) => new Viewer(message.wsUrl, v.tenantId, v.userId));
          viewers.push(...batch);
          await Promise.all(batch.map((v) => v.start(message.deadlineMs)));
        }
        watchers = viewers.filter((v) => v.watched).length;
        send({ type: 'ready', viewers: viewers.length, setupMs: now() - started });
        return;
      }
      case 'expect': {
        const { id } = message;
        const entry = () => reached.get(id) ?? { count: 0, last: 0 };
        if (entry().count < watchers) {
          await untilDeadline(message.deadlineAt, (wake) => {
            const list = waiters.get(id) ?? [];
            const waiter = { resolve: wake };
            list.push(waiter);
            waiters.set(id, list);
            return () => {
              const left = (waiters.get(id) ?? []).filter((w) => w !== waiter);
              if (left.length === 0) waiters.delete(id);
              else waiters.set(id, left);
            };
          });
        }
        const { count, last } = entry();
        send({ type: 'fresh', id, reached: count, total: watchers, last });
        return;
      }
      case 'mark':
        stats = freshStats();
        await profiler.start();
        send({ type: 'marked' });
        return;
      case 'quiesce': {
        const idle =
          inFlight === 0 ||
          (await untilDeadline(message.deadlineAt, (wake) => {
            idleWaiters.add(wake);
            return () => idleWaiters.delete(wake);
          }));
        await profiler.stop();
        send({ type: 'quiet', idle, inFlight, stats });
        return;
      }
      case 'stop':
        for (const viewer of viewers) viewer.close();
        process.exit(0);
    }
  })().catch((error: unknown) => {
    send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    console.error(error);
    process.exit(1);
  });
});
