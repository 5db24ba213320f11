import type { ChangeHistoryLimits, HistoryCoverage } from './change-history.ts';
import { ChangeHistory } from './change-history.ts';
import type { CaptureEvent } from './change-set.ts';
import { eventPosition } from './change-set.ts';
import {
  DEFAULT_MAX_ROWIDS_PER_TABLE,
  summarizeChanges,
  tableLevelSummary,
  tablesTouched,
} from './change-summary.ts';
import type { RegisteredQuery, SubscriberMatch } from './live-query-registry.ts';
import { LiveQueryRegistry } from './live-query-registry.ts';
import type { LiveSubscription, SubscriptionEndReason } from './live-subscription.ts';
import { HubSubscription } from './live-subscription.ts';
import type { FramePosition } from './position.ts';
import { comparePositions, tryParsePosition } from './position.ts';
import { ReactiveError } from './reactive-error.ts';
import type { ReadSet } from './read-set.ts';
import { normalizeReadSet } from './read-set.ts';
import type { SubscriptionEvent } from './subscription-event.ts';

export interface LiveQueryHubOptions {
  /** Where the change stream starts: db-core's current position when the hub is created. */
  readonly position: FramePosition;
  /** Bounds of the resume history (count and approximate bytes). */
  readonly history?: ChangeHistoryLimits;
  /** Bulk changes with more rowids in one table are matched table-level; default 4096. */
  readonly maxRowidsPerTable?: number;
  /** Default bounded-buffer size per subscription; default 256 events. */
  readonly bufferSize?: number;
  /** Default per-subscriber throttle window; default 0 (no throttle). */
  readonly throttleMs?: number;
}

export interface SubscribeOptions {
  readonly subscriberId: string;
  /** The client's last event (tRPC `lastEventId`), as a position or its `formatPosition` id. */
  readonly after?: FramePosition | string | undefined;
  readonly bufferSize?: number | undefined;
  readonly throttleMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Tables this subscriber may learn about; others are dropped from its invalidations. */
  readonly canSee?: ((table: string) => boolean) | undefined;
}

export interface RegisterQueryOptions {
  readonly subscriberId: string;
  readonly key: string;
  /** Derived by db-core from the engine, never hand-written. */
  readonly readSet: ReadSet;
  /** The position the query's data was read at: changes after it (before registering) invalidate it. */
  readonly since?: FramePosition | undefined;
}

export interface RegisterQueryResult {
  /** True when a change after `since` may already have changed the result; an invalidation was queued. */
  readonly stale: boolean;
  /** The hub's position at registration: later changes are matched live. */
  readonly position: FramePosition;
}

/** A registered query, identified. */
export interface QueryRef {
  readonly subscriberId: string;
  readonly key: string;
}

export interface PublishResult {
  readonly position: FramePosition;
  /** Whether every subscriber was told to refetch all. */
  readonly refetchAll: boolean;
  /** Invalidated (subscriber, query) pairs, including those of subscribers not connected right now. */
  readonly invalidatedQueries: number;
  /** Queries whose read-sets must be derived again (schema events). */
  readonly rederive: readonly QueryRef[];
  /** Per subscriber, the invalidated queries and the tables that hit them (empty on refetch-all). */
  readonly matches: ReadonlyMap<string, SubscriberMatch>;
}

export interface HubStats {
  readonly position: FramePosition;
  readonly historyFloor: FramePosition;
  readonly historyEntries: number;
  readonly historyBytes: number;
  readonly queries: number;
  readonly subscriptions: number;
  readonly overflows: number;
  /** Capture events published so far. */
  readonly published: number;
}

const REASONS = {
  'generation-changed': 'primary generation changed',
  'position-ahead': 'resume position is ahead of this server',
  'position-behind-history': 'resume position is older than the retained history',
} as const satisfies Record<Exclude<HistoryCoverage, { covered: true }>['reason'], string>;

/**
 * Ties the live-query registry, resume history and subscriptions together. The server library feeds it every
 * CaptureEvent from db-core, registers each client's live queries, and forwards each subscription's
 * events over the WebSocket with `formatPosition(event.position)` as tracked() id.
 *
 * All methods are synchronous, so no change can fall between a subscription's replay and its live
 * events.
 *
 * @example
 * const hub = new LiveQueryHub({ position: driver.position() });
 * (async () => { for await (const event of driver.changes()) hub.publish(event); })();
 * hub.registerQuery({ subscriberId, key: 'user:7', readSet, since: readPosition });
 * for await (const event of hub.subscribe({ subscriberId, after: lastEventId, signal })) yield tracked(formatPosition(event.position), event);
 */
export class LiveQueryHub implements Disposable {
  readonly #registry = new LiveQueryRegistry();
  readonly #subscriptions = new Map<string, HubSubscription>();
  /** Queries found stale at registration while their subscriber had no subscription: told on subscribe. */
  readonly #staleWhileAway = new Map<string, Map<string, readonly string[]>>();
  readonly #history: ChangeHistory;
  readonly #maxRowidsPerTable: number;
  readonly #bufferSize: number;
  readonly #throttleMs: number;
  #closed = false;
  #endedOverflows = 0;
  #published = 0;

  constructor(options: LiveQueryHubOptions) {
    this.#history = new ChangeHistory(options.position, options.history);
    this.#maxRowidsPerTable = options.maxRowidsPerTable ?? DEFAULT_MAX_ROWIDS_PER_TABLE;
    this.#bufferSize = validBufferSize(options.bufferSize ?? 256);
    this.#throttleMs = options.throttleMs ?? 0;
  }

  /** The newest position published (or the start position). */
  get position(): FramePosition {
    return this.#history.head;
  }

  /**
   * Feeds one capture event: records it for resume, matches it against every live query and queues
   * one coalesced invalidation per affected subscriber. A generation change, a frame going backwards,
   * a `refetch-all` event or a schema change with unknown tables makes every subscriber refetch all.
   *
   * @example for await (const event of driver.changes({ signal })) hub.publish(event);
   */
  publish(event: CaptureEvent): PublishResult {
    this.#assertOpen();
    this.#published++;
    const position = eventPosition(event);
    const order = comparePositions(position, this.#history.head);
    if (event.type === 'refetch-all') {
      const at = order !== null && order < 0 ? this.#history.head : position;
      return this.#refetchAll(at, event.reason, []);
    }
    if (order === null) return this.#refetchAll(position, REASONS['generation-changed'], []);
    if (order < 0) return this.#refetchAll(position, 'frame went backwards within a generation', []);
    if (event.type === 'schema' && event.tables === undefined) {
      return this.#refetchAll(position, 'schema changed', [...this.#registry.queries()].map(toRef));
    }
    const summary =
      event.type === 'changes'
        ? summarizeChanges(event.changeSet, this.#maxRowidsPerTable)
        : tableLevelSummary(event.tables ?? []);
    this.#history.append(position, summary);
    const matches = this.#registry.match(summary);
    let invalidatedQueries = 0;
    const rederive: QueryRef[] = [];
    for (const [subscriberId, match] of matches) {
      invalidatedQueries += match.queries.length;
      if (event.type === 'schema') for (const key of match.queries) rederive.push({ subscriberId, key });
      this.#subscriptions
        .get(subscriberId)
        ?.offer({ type: 'invalidate', position, queries: match.queries, tables: match.tables });
    }
    return { position, refetchAll: false, invalidatedQueries, rederive, matches };
  }

  /**
   * Registers (or re-registers with a new read-set) a live query of a subscriber. With `since`, the
   * position its data was read at, changes published in between invalidate it right away (or, when
   * the history no longer reaches back that far, it is invalidated to be safe).
   *
   * @example hub.registerQuery({ subscriberId: 'client-1', key: 'user:7', readSet, since: result.position });
   */
  registerQuery(options: RegisterQueryOptions): RegisterQueryResult {
    this.#assertOpen();
    const { subscriberId, key } = options;
    this.#registry.register(subscriberId, key, options.readSet);
    const position = this.#history.head;
    if (options.since === undefined) return { stale: false, position };
    const readSet = this.#registry.get(subscriberId, key)!.readSet;
    const touched = this.#touchedSince(options.since, readSet);
    if (touched.length === 0) return { stale: false, position };
    const tables = touched === 'unknown' ? [...readSet.tables.keys()] : touched;
    const subscription = this.#subscriptions.get(subscriberId);
    if (subscription !== undefined) {
      subscription.offer({ type: 'invalidate', position, queries: [key], tables });
    } else {
      let stale = this.#staleWhileAway.get(subscriberId);
      if (stale === undefined) {
        stale = new Map();
        this.#staleWhileAway.set(subscriberId, stale);
      }
      stale.set(key, tables);
    }
    return { stale: true, position };
  }

  /**
   * Whether a change published after `since` may have changed a query reading `readSet`. True when
   * the history cannot tell (older than the history, other generation, from the future).
   *
   * @example if (hub.changedSince(result.position, readSet)) refetch();
   */
  changedSince(since: FramePosition, readSet: ReadSet): boolean {
    const touched = this.#touchedSince(since, normalizeReadSet(readSet));
    return touched === 'unknown' || touched.length > 0;
  }

  /**
   * Stops matching one query; returns whether it was registered.
   *
   * @example hub.unregisterQuery('client-1', 'user:7');
   */
  unregisterQuery(subscriberId: string, key: string): boolean {
    this.#staleWhileAway.get(subscriberId)?.delete(key);
    return this.#registry.unregister(subscriberId, key);
  }

  /**
   * Offers an event the caller made (push delivery's results) to the subscriber's open
   * subscription, in order with the hub's own events; false when it has none.
   *
   * @example hub.offer('client-1', { type: 'results', position, results, invalidate: [] });
   */
  offer(subscriberId: string, event: SubscriptionEvent): boolean {
    const subscription = this.#subscriptions.get(subscriberId);
    if (subscription === undefined || subscription.closed) return false;
    subscription.offer(event);
    return true;
  }

  /**
   * Forgets a subscriber entirely: ends its subscription and unregisters its queries.
   *
   * @example socket.on('close', () => hub.releaseSubscriber(clientId));
   */
  releaseSubscriber(subscriberId: string): void {
    this.#subscriptions.get(subscriberId)?.end('closed');
    this.#staleWhileAway.delete(subscriberId);
    this.#registry.unregisterSubscriber(subscriberId);
  }

  /**
   * The subscriber's registered queries.
   *
   * @example [...hub.queriesOf('client-1')].map((q) => q.key)
   */
  queriesOf(subscriberId: string): Iterable<RegisteredQuery> {
    return this.#registry.queriesOf(subscriberId);
  }

  /**
   * Opens a subscriber's invalidation stream. The first event is the ack: `live` (position = `after`
   * when resuming, else the hub position), followed on resume by one invalidation merging everything
   * the history says the subscriber's current queries missed; or, when the gap cannot be proven
   * complete (generation change, `after` ahead of this server or older than the history, unparsable
   * id), a `refetch-all` at the hub position instead. A subscriber has at most one subscription: a new
   * one ends the previous and keeps its queries. Any other end unregisters them.
   *
   * @example
   * for await (const event of hub.subscribe({ subscriberId, after: lastEventId, signal, throttleMs: 50 })) {
   *   yield tracked(formatPosition(event.position), event);
   * }
   */
  subscribe(options: SubscribeOptions): LiveSubscription {
    this.#assertOpen();
    const { subscriberId } = options;
    this.#subscriptions.get(subscriberId)?.end('replaced');
    const head = this.#history.head;
    const first = this.#resumeStart(options.after);
    const subscription = new HubSubscription({
      subscriberId,
      liveFrom: first.position,
      bufferSize: validBufferSize(options.bufferSize ?? this.#bufferSize),
      throttleMs: options.throttleMs ?? this.#throttleMs,
      canSee: options.canSee,
      signal: options.signal,
      onEnd: (ended, reason) => this.#onEnd(ended, reason),
    });
    this.#subscriptions.set(subscriberId, subscription);
    if (options.signal?.aborted === true) {
      subscription.end('aborted');
      return subscription;
    }
    subscription.offer(first);
    const staleWhileAway = this.#staleWhileAway.get(subscriberId);
    this.#staleWhileAway.delete(subscriberId);
    if (first.type === 'live') {
      const missed =
        options.after === undefined
          ? { queries: [], tables: [] }
          : this.#missed(subscriberId, first.position);
      for (const [key, tables] of staleWhileAway ?? []) {
        if (!missed.queries.includes(key)) missed.queries.push(key);
        for (const table of tables) if (!missed.tables.includes(table)) missed.tables.push(table);
      }
      if (missed.queries.length > 0) subscription.offer({ type: 'invalidate', position: head, ...missed });
    }
    return subscription;
  }

  /**
   * Counters for health/metrics endpoints.
   *
   * @example metrics.gauge('live_queries', hub.stats().queries)
   */
  stats(): HubStats {
    let overflows = this.#endedOverflows;
    for (const subscription of this.#subscriptions.values()) overflows += subscription.overflows;
    return {
      position: this.#history.head,
      historyFloor: this.#history.floor,
      historyEntries: this.#history.length,
      historyBytes: this.#history.bytes,
      queries: this.#registry.size,
      subscriptions: this.#subscriptions.size,
      overflows,
      published: this.#published,
    };
  }

  /**
   * Ends every subscription; further calls throw `ReactiveError('HUB_CLOSED')`.
   *
   * @example using hub = new LiveQueryHub({ position });
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const subscription of [...this.#subscriptions.values()]) subscription.end('hub-closed');
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #resumeStart(after: FramePosition | string | undefined): SubscriptionEvent {
    const head = this.#history.head;
    if (after === undefined) return { type: 'live', position: head };
    const position = typeof after === 'string' ? tryParsePosition(after) : after;
    if (position === null)
      return { type: 'refetch-all', position: head, reason: 'unparsable resume position' };
    const coverage = this.#history.coverage(position);
    if (coverage.covered) return { type: 'live', position };
    return { type: 'refetch-all', position: head, reason: REASONS[coverage.reason] };
  }

  /** Tables through which changes after `since` touch `readSet`; 'unknown' if the history cannot tell. */
  #touchedSince(since: FramePosition, readSet: ReadSet): string[] | 'unknown' {
    if (!this.#history.coverage(since).covered) return 'unknown';
    const touched = new Set<string>();
    for (const record of this.#history.since(since)) {
      for (const table of tablesTouched(readSet, record.summary)) touched.add(table);
    }
    return [...touched];
  }

  #missed(subscriberId: string, after: FramePosition): { queries: string[]; tables: string[] } {
    const queries: string[] = [];
    const tables = new Set<string>();
    const records = [...this.#history.since(after)];
    if (records.length === 0) return { queries, tables: [] };
    for (const query of this.#registry.queriesOf(subscriberId)) {
      let hit = false;
      for (const record of records) {
        for (const table of tablesTouched(query.readSet, record.summary)) {
          tables.add(table);
          hit = true;
        }
      }
      if (hit) queries.push(query.key);
    }
    return { queries, tables: [...tables] };
  }

  #refetchAll(position: FramePosition, reason: string, rederive: QueryRef[]): PublishResult {
    this.#history.reset(position);
    for (const subscription of this.#subscriptions.values()) {
      subscription.offer({ type: 'refetch-all', position, reason });
    }
    return {
      position,
      refetchAll: true,
      invalidatedQueries: this.#registry.size,
      rederive,
      matches: new Map(),
    };
  }

  #onEnd(subscription: HubSubscription, reason: SubscriptionEndReason): void {
    this.#endedOverflows += subscription.overflows;
    if (this.#subscriptions.get(subscription.subscriberId) !== subscription) return;
    this.#subscriptions.delete(subscription.subscriberId);
    if (reason !== 'replaced') {
      this.#staleWhileAway.delete(subscription.subscriberId);
      this.#registry.unregisterSubscriber(subscription.subscriberId);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new ReactiveError('HUB_CLOSED', 'the live-query hub is closed');
  }
}

function toRef(query: RegisteredQuery): QueryRef {
  return { subscriberId: query.subscriberId, key: query.key };
}

function validBufferSize(size: number): number {
  if (!Number.isSafeInteger(size) || size < 1) {
    throw new ReactiveError('INVALID_OPTION', `bufferSize must be a positive integer, got ${size}`);
  }
  return size;
}
