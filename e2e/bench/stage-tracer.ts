import type { Page } from 'playwright-core';

/**
 * Records, inside the page, when each step of the live path happened, without touching the
 * client library: every WebSocket frame in and out (tRPC message ids, methods, paths, event
 * positions), every react-query cache update, and main-thread long tasks. Installed before the
 * page loads (`addInitScript`), so it wraps the WebSocket the client opens. The cost is one
 * JSON.parse of each frame, which the client parses anyway: microseconds, not milliseconds.
 * Passed as a string: bundler helpers in compiled bench code do not exist inside the page.
 */
const INSTALL = `(() => {
  const now = () => performance.timeOrigin + performance.now();
  const trace = { ws: [], cache: [], handled: [], longTasks: [] };
  window.__liveframeTrace = trace;
  const describe = (dir, raw) => {
    if (typeof raw !== 'string' || raw === 'PING' || raw === 'PONG') return;
    let parsed;
    try { parsed = JSON.parse(raw); } catch { return; }
    for (const m of Array.isArray(parsed) ? parsed : [parsed]) {
      const data = m?.result?.data?.json?.data;
      trace.ws.push({
        t: now(), dir, id: m?.id ?? null, method: m?.method ?? null,
        path: m?.params?.path ?? null,
        event: data?.type ?? null,
        position: typeof data?.position === 'string' ? data.position : null,
        queries: Array.isArray(data?.queries) ? data.queries.length : 0,
      });
    }
  };
  const Native = window.WebSocket;
  window.WebSocket = class TracedWebSocket extends Native {
    constructor(...args) {
      super(...args);
      // Added before the client's own listener, so it sees each frame first.
      this.addEventListener('message', (e) => describe('in', e.data));
    }
    send(data) {
      describe('out', data);
      super.send(data);
    }
  };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) trace.longTasks.push({ t: performance.timeOrigin + e.startTime, ms: e.duration });
  }).observe({ type: 'longtask', buffered: true });
  const watchCache = () => {
    const client = window.__liveframe?.queryClient;
    if (client === undefined) { setTimeout(watchCache, 10); return; }
    // The invalidation log gets a record when the registry has matched an event to its queries,
    // right before it asks react-query to refetch them.
    const log = window.__liveframe.log;
    let newest = log.getSnapshot()[0]?.id ?? 0;
    log.subscribe(() => {
      const record = log.getSnapshot()[0];
      if (record === undefined || record.id === newest) return;
      newest = record.id;
      trace.handled.push({ t: now(), frame: record.position?.frame ?? -1 });
    });
    client.getQueryCache().subscribe((e) => {
      if (e.type === 'updated' && e.action.type === 'success') {
        trace.cache.push({ t: now(), path: e.query.queryKey[0].join('.') });
      }
    });
  };
  watchCache();
})()`;

/** Call before `page.goto`. */
export async function installStageTracer(page: Page): Promise<void> {
  await page.addInitScript(INSTALL);
}

interface WsRecord {
  readonly t: number;
  readonly dir: 'in' | 'out';
  readonly id: number | string | null;
  readonly method: string | null;
  readonly path: string | null;
  readonly event: string | null;
  readonly position: string | null;
  readonly queries: number;
}

interface Trace {
  readonly ws: WsRecord[];
  readonly cache: { t: number; path: string }[];
  readonly handled: { t: number; frame: number }[];
  readonly longTasks: { t: number; ms: number }[];
}

/** Wall-clock times (ms since the epoch) of each step of one sample; null when it did not happen. */
export interface SampleStages {
  readonly writeSent: number;
  readonly writeAcked: number;
  /** The invalidate frame carrying the write's frame reached the page's WebSocket. */
  readonly eventReceived: number | null;
  /** The registry matched the event to its live queries (its invalidation log record). */
  readonly handled: number | null;
  /** The first refetch request of that event left the page. */
  readonly firstRefetchSent: number | null;
  /** The refetch of the query that shows the row (orders.list) left the page. */
  readonly rowQuerySent: number | null;
  /** Its response reached the page's WebSocket. */
  readonly rowQueryAnswered: number | null;
  /** react-query stored its data. */
  readonly rowQueryCached: number | null;
  /** The watcher saw the row in the DOM. */
  readonly shown: number;
  /** Refetches sent for the event, and the long tasks (> 50 ms) between write and DOM. */
  readonly refetchesSent: number;
  readonly longTaskMs: number;
}

const ROW_QUERY = 'orders.list';

/**
 * Reads the trace and picks out one sample's steps: the first invalidate at or past `frame`, the
 * refetches sent after it, and the row query's answer and cache update.
 */
export async function sampleStages(
  page: Page,
  frame: number,
  times: { writeSent: number; writeAcked: number; shown: number },
): Promise<SampleStages> {
  const trace = (await page.evaluate('window.__liveframeTrace')) as Trace;
  const frameOf = (position: string | null) =>
    position === null ? -1 : Number(position.slice(position.lastIndexOf(':') + 1));
  const event = trace.ws.find(
    (r) =>
      r.dir === 'in' && r.event === 'invalidate' && r.t >= times.writeSent && frameOf(r.position) >= frame,
  );
  const after = event?.t ?? times.writeSent;
  const handled = trace.handled.find((r) => r.t >= after && r.frame >= frame);
  const sent = trace.ws.filter(
    (r) => r.dir === 'out' && r.method === 'query' && r.t >= after && r.t <= times.shown,
  );
  const rowSent = sent.find((r) => r.path === ROW_QUERY);
  const rowAnswer =
    rowSent === undefined
      ? undefined
      : trace.ws.find((r) => r.dir === 'in' && r.id === rowSent.id && r.t >= rowSent.t);
  const cached = trace.cache.find((r) => r.path === ROW_QUERY && r.t >= (rowAnswer?.t ?? after));
  const longTaskMs = trace.longTasks
    .filter((l) => l.t + l.ms >= times.writeSent && l.t <= times.shown)
    .reduce((sum, l) => sum + l.ms, 0);
  return {
    ...times,
    eventReceived: event?.t ?? null,
    handled: handled?.t ?? null,
    firstRefetchSent: sent[0]?.t ?? null,
    rowQuerySent: rowSent?.t ?? null,
    rowQueryAnswered: rowAnswer?.t ?? null,
    rowQueryCached: cached?.t ?? null,
    refetchesSent: sent.length,
    longTaskMs,
  };
}

/** Empties the trace between samples, so each read stays small. */
export async function clearStageTrace(page: Page): Promise<void> {
  await page.evaluate('for (const list of Object.values(window.__liveframeTrace)) list.length = 0');
}

/** The steps of one update, in order, as (key, label, from, to) over {@link SampleStages}. */
export const STAGES = [
  ['write_ack', 'write sent → acknowledged (bench)', 'writeSent', 'writeAcked'],
  ['write_to_event', 'write sent → event frame in page', 'writeSent', 'eventReceived'],
  ['event_to_handled', 'event frame → matched to queries', 'eventReceived', 'handled'],
  ['handled_to_refetch_sent', 'matched → first refetch sent', 'handled', 'firstRefetchSent'],
  ['row_query_roundtrip', 'orders.list refetch sent → answer', 'rowQuerySent', 'rowQueryAnswered'],
  ['answer_to_cache', 'answer → react-query cache', 'rowQueryAnswered', 'rowQueryCached'],
  ['cache_to_dom', 'cache → row in the DOM', 'rowQueryCached', 'shown'],
] as const;

export type StageKey = (typeof STAGES)[number][0];

/** Each stage's duration in ms for one sample; null where a step was not observed. */
export function stageDurations(sample: SampleStages): Record<StageKey, number | null> {
  const durations = {} as Record<StageKey, number | null>;
  for (const [key, , from, to] of STAGES) {
    const start = sample[from];
    const end = sample[to];
    durations[key] = start === null || end === null ? null : end - start;
  }
  return durations;
}
