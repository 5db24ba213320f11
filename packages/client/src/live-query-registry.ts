import { registrationDigest } from '@liveframe/reactive';
import { hashKey, type QueryClient, type QueryKey } from '@tanstack/query-core';
import type { FrameClock } from './frame-clock.ts';
import { type FramePosition, formatFramePosition, isAtOrPast, parseFramePosition } from './frame-position.ts';
import type { InvalidationLog } from './invalidation-log.ts';
import type { LiveChannel, LiveDelivery, LiveEventData, LiveRegistration } from './live-channel.ts';
import { liveframeCodeOf } from './min-frame-link.ts';
import { PushedResults } from './pushed-results.ts';
import { newSubscriptionId } from './subscription-id.ts';
import { WireKeys } from './wire-keys.ts';

/** A live query as the registry knows it: its react-query key plus the tRPC call behind it. */
export interface LiveQueryRegistration {
  readonly queryKey: QueryKey;
  readonly path: string;
  readonly input: unknown;
}

export interface LiveQueryRegistryOptions {
  readonly queryClient: QueryClient;
  readonly channel: LiveChannel;
  readonly log: InvalidationLog;
  /** The read-your-writes clock; a fetch that carried its `minFrame` is at least that fresh. */
  readonly clock?: FrameClock;
  /** Stable per tab and kept across reconnects; generated when omitted. */
  readonly subscriptionId?: string;
  /** How long a first fetch waits for the live acknowledgement before going ahead anyway. */
  readonly readyTimeoutMs?: number;
  /** The server acknowledged the subscription: the connection is live from `position`. */
  readonly onAcknowledged?: (position: FramePosition) => void;
  /**
   * `push` (default): the server sends the new results of changed queries, put straight into
   * the cache; `invalidate`: it names them and they are refetched (PROTOCOL.md).
   */
  readonly delivery?: LiveDelivery;
  /**
   * Decodes a pushed result for a router whose transformer is not superjson; then results are
   * pushed whole (patches are computed on superjson's form). Default: superjson, with patches.
   */
  readonly decode?: (data: string) => unknown;
  readonly onError?: (error: unknown) => void;
}

/** Snapshot for the dashboard's connection panel. */
export interface LiveRegistryStatus {
  /** The newest position the subscription delivered (the client's `lastEventId`). */
  readonly position: string | null;
  /** Distinct live queries currently mounted. */
  readonly liveQueries: number;
  readonly subscriptionId: string;
}

interface Entry {
  readonly registration: LiveQueryRegistration;
  refs: number;
  /**
   * An event arrived while a fetch that may predate it was in flight: refetch once that fetch
   * settles. Cancelling it instead would starve the query while writes arrive faster than a
   * fetch takes; this way there is at most one fetch in flight and one owed per query.
   */
  owed: (() => void)[] | null;
}

/** Lower bounds of the frames data was read at, by query hash: of the cached data and of a fetch in flight. */
interface Floors {
  done?: FramePosition | null;
  /** Set while a fetch runs (null until it is known, e.g. while it waits for the ack). */
  inflight?: FramePosition | null;
  /** The newest fetch; a cancelled older one settling late must not touch the state. */
  ticket: number;
}

/** What {@link LiveQueryRegistry.beginFetch} hands out and `completeFetch` takes back. */
export interface LiveFetch {
  readonly ticket: number;
  /** The lowest frame the fetched data can be at; null when unknown. */
  readonly floor: FramePosition | null;
}

/** Errors that reject a registration for good (PROTOCOL.md): retrying the same query cannot help. */
const REJECTIONS: ReadonlySet<string> = new Set(['UNKNOWN_PROCEDURE', 'FORBIDDEN_TABLE']);

/** Pause before subscribing again after the server ended the subscription with an error. */
const RESUBSCRIBE_DELAY_MS = 1_000;

/** Floors of queries fetched but never registered are forgotten beyond this many. */
const MAX_FLOORS = 2_000;

interface Batch {
  readonly receivedAt: number;
  readonly position: FramePosition | null;
  readonly tables: Set<string>;
  readonly keys: Set<string>;
  reason?: string;
}

/**
 * The client half of live queries (apps/server/PROTOCOL.md): one `live.events` subscription per
 * tab, registrations via `live.update` (batched, reference counted across components), and exact
 * react-query refetches by query key. A query whose data is already at or past an event's frame
 * is not refetched; every change set lands in the invalidation log with what it cost.
 *
 * @example
 * const registry = new LiveQueryRegistry({ queryClient, channel, log });
 * registry.start();
 * const unregister = registry.register({ queryKey, path: 'orders.list', input: { page: 1 } });
 */
export class LiveQueryRegistry {
  readonly subscriptionId: string;
  readonly #options: LiveQueryRegistryOptions;
  readonly #entries = new Map<string, Entry>();
  /** Keys go by react-query hash here and by short wire keys in `live.update` and events. */
  readonly #wire = new WireKeys();
  /** The last result pushed per wire key (patches are based on it). */
  readonly #pushed = new PushedResults();
  readonly #floors = new Map<string, Floors>();
  /** Fetches held until the acknowledgement; they start after it, so their floor is the ack. */
  readonly #waiting = new Set<string>();
  #tickets = 0;
  /** Keys the server refused to register (not a live query, or forbidden): kept out of updates. */
  readonly #rejected = new Set<string>();
  readonly #listeners = new Set<() => void>();
  #status: LiveRegistryStatus;
  #position: FramePosition | null = null;
  #acknowledged = false;
  #ready = deferred();
  /** Registrations changed while the server could not hear about them: resync on next ack. */
  #dirty = false;
  #pendingAdd = new Set<string>();
  #pendingRemove = new Set<string>();
  #updateScheduled = false;
  #batches = new Map<string, Batch>();
  #flushScheduled = false;
  #stop: (() => void) | null = null;
  #closed = false;
  #restartTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: LiveQueryRegistryOptions) {
    this.#options = options;
    this.subscriptionId = options.subscriptionId ?? newSubscriptionId();
    this.#status = { position: null, liveQueries: 0, subscriptionId: this.subscriptionId };
  }

  /** Opens the one live subscription; idempotent. */
  start(): void {
    if (this.#stop !== null || this.#closed) return;
    this.#stop = this.#options.channel.subscribe(
      this.subscriptionId,
      {
        onEvent: (_id, data) => this.#onEvent(data),
        onError: (error) => {
          // The server ended the subscription with an error (a socket loss does not end it: wsLink
          // resubscribes by itself). Subscribe again after a pause; the ack resyncs everything.
          this.#options.onError?.(error);
          this.#stop = null;
          this.connectionLost();
          this.#dirty = true;
          this.#restartTimer = setTimeout(() => this.start(), RESUBSCRIBE_DELAY_MS);
        },
      },
      // Patches need the tree form of the transformer's output: superjson's (the default decode).
      { delivery: this.#options.delivery ?? 'push', patches: this.#options.decode === undefined },
    );
  }

  /**
   * The socket went away: nothing is live until the next acknowledgement, and registrations
   * made meanwhile must be sent again.
   */
  connectionLost(): void {
    if (!this.#acknowledged) return;
    this.#acknowledged = false;
    this.#ready = deferred();
  }

  /** Starts (or shares) the registration of a query; the returned function releases it. */
  register(registration: LiveQueryRegistration): () => void {
    const key = hashKey(registration.queryKey);
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = { registration, refs: 0, owed: null };
      this.#entries.set(key, entry);
      this.#wire.of(key);
      this.#pendingRemove.delete(key);
      this.#pendingAdd.add(key);
      this.#scheduleUpdate();
      this.#publish();
    }
    entry.refs++;
    const current = entry;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      current.refs--;
      if (current.refs > 0 || this.#entries.get(key) !== current) return;
      // The floor stays: the cached data outlives the component, and a remount can reuse it.
      this.#entries.delete(key);
      const wire = this.#wire.peek(key);
      if (wire !== undefined) this.#pushed.forget(wire);
      // Never sent: the server does not know its wire key. Otherwise it goes with the removal.
      if (this.#pendingAdd.delete(key)) this.#wire.drop(key);
      else this.#pendingRemove.add(key);
      this.#scheduleUpdate();
      this.#publish();
    };
  }

  /**
   * Call when a live query's fetch starts: the lowest frame its data can be at. Answers at once
   * (no promise) once the subscription is acknowledged, so the fetch leaves in the same task; the
   * first fetches wait (bounded) for the acknowledgement, so they need no refetch afterwards.
   * Works before the query is registered too (Suspense fetches before effects run).
   */
  beginFetch(queryKey: QueryKey): LiveFetch | Promise<LiveFetch> {
    const key = hashKey(queryKey);
    const ticket = ++this.#tickets;
    const floors = this.#floorsOf(key);
    floors.inflight = null;
    floors.ticket = ticket;
    if (!this.#acknowledged && this.#stop !== null)
      return this.#beginAfterAcknowledgement(key, floors, ticket);
    return this.#fetchStarted(floors, ticket);
  }

  async #beginAfterAcknowledgement(key: string, floors: Floors, ticket: number): Promise<LiveFetch> {
    this.#waiting.add(key);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#options.readyTimeoutMs ?? 1_500);
    });
    await Promise.race([this.#ready.promise, timeout]);
    clearTimeout(timer);
    this.#waiting.delete(key);
    return this.#fetchStarted(floors, ticket);
  }

  #fetchStarted(floors: Floors, ticket: number): LiveFetch {
    const floor = this.#floorNow();
    if (floors.ticket === ticket) floors.inflight = floor;
    return { ticket, floor };
  }

  /**
   * Call when a live query's fetch settled, with what {@link beginFetch} returned. A refetch
   * owed to an event that arrived meanwhile starts now.
   */
  completeFetch(queryKey: QueryKey, fetch: LiveFetch, succeeded: boolean): void {
    const key = hashKey(queryKey);
    const floors = this.#floorsOf(key);
    if (floors.ticket !== fetch.ticket) return;
    if (succeeded) floors.done = fetch.floor;
    delete floors.inflight;
    const entry = this.#entries.get(key);
    const owed = entry?.owed;
    if (entry === undefined || owed === null || owed === undefined) return;
    entry.owed = null;
    // After the settling fetch has handed its data to react-query, not inside its query function.
    setTimeout(() => {
      this.#options.log.countFetch();
      void this.#options.queryClient
        .invalidateQueries({ queryKey: entry.registration.queryKey, exact: true }, { cancelRefetch: false })
        .finally(() => {
          for (const done of owed) done();
        });
    }, 0);
  }

  #floorsOf(key: string): Floors {
    let floors = this.#floors.get(key);
    if (floors === undefined) {
      if (this.#floors.size >= MAX_FLOORS) {
        for (const old of this.#floors.keys()) if (!this.#entries.has(old)) this.#floors.delete(old);
      }
      floors = { ticket: 0 };
      this.#floors.set(key, floors);
    }
    return floors;
  }

  /** What the cached data (or, without data, the fetch in flight) is known to reflect. */
  #dataFloor(key: string): FramePosition | null {
    const floors = this.#floors.get(key);
    if (floors === undefined) return null;
    if (floors.done !== undefined) return floors.done;
    return floors.inflight ?? null;
  }

  /** `undefined` when no fetch runs; otherwise what it will reflect (null: not known yet). */
  #inflightFloor(key: string): FramePosition | null | undefined {
    return this.#floors.get(key)?.inflight;
  }

  /** The key a mounted live query goes by in `live.update` and in events (PROTOCOL.md `key`). */
  wireKeyOf(queryKey: QueryKey): string | undefined {
    const key = hashKey(queryKey);
    return this.#entries.has(key) ? this.#wire.peek(key) : undefined;
  }

  /** Refetches every mounted live query, e.g. after the server reported a generation change. */
  refetchAll(reason: string): void {
    for (const key of this.#entries.keys()) this.#enqueue(key, null, [], reason);
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  readonly getStatus = (): LiveRegistryStatus => this.#status;

  close(): void {
    this.#closed = true;
    clearTimeout(this.#restartTimer);
    this.#stop?.();
    this.#stop = null;
    this.#entries.clear();
  }

  #floorNow(): FramePosition | null {
    const seen = this.#acknowledged ? this.#position : null;
    const written = this.#options.clock?.position ?? null;
    if (seen === null) return written;
    if (written === null || written.generation !== seen.generation) return seen;
    return written.frame > seen.frame ? written : seen;
  }

  #onEvent(data: LiveEventData): void {
    const position = parseFramePosition(data.position);
    if (position !== null) this.#position = position;
    switch (data.type) {
      case 'live':
        this.#acknowledge(position);
        // Equal counts are not equal sets: the server's digest must match our mounted keys too.
        if (this.#dirty || !this.#serverHoldsOurs(data.registered, data.digest)) this.#resync(null);
        break;
      case 'refetch-all':
        // Also an acknowledgement; what the server holds for us is unknown, so send it all again.
        this.#acknowledge(position);
        for (const key of this.#entries.keys())
          this.#enqueue(key, position, [], `refetch all: ${data.reason}`);
        this.#resync(data.position);
        break;
      case 'invalidate':
        for (const wire of data.queries) this.#enqueueWire(wire, position, data.tables, undefined);
        break;
      case 'results':
        this.#applyResults(data, position);
        break;
    }
    this.#publish();
  }

  /**
   * Pushed results go straight into the cache, unless the cached data (or a fetch) is already at
   * or past them; a fetch still in flight is cancelled, since it may have read older data.
   */
  #applyResults(data: Extract<LiveEventData, { type: 'results' }>, position: FramePosition | null): void {
    const { queryClient, log } = this.#options;
    const { decode } = this.#options;
    const pushed: string[] = [];
    const skipped: string[] = [];
    const lostBase: LiveRegistration[] = [];
    for (const result of data.results) {
      const key = this.#wire.hashOf(result.key);
      const entry = key === undefined ? undefined : this.#entries.get(key);
      const at = parseFramePosition(result.at ?? data.position);
      if (key === undefined || entry === undefined || at === null) continue;
      // Decoded even when the cache keeps newer data: the next patch is based on this result.
      const decoded =
        decode !== undefined && 'data' in result
          ? { value: decode(result.data) }
          : this.#pushed.decode(result, data.position);
      if (decoded === undefined) {
        // A patch on a result this client does not hold (lost with a socket): fetch it, and
        // register the key again so that the server sends it whole from now on.
        this.#enqueue(key, position, [], 'pushed patch on an unknown base');
        lostBase.push(this.#registrationOf(key, entry));
        continue;
      }
      const floors = this.#floorsOf(key);
      const done = floors.done;
      if (done !== null && done !== undefined && isAtOrPast(done, at) && !isAtOrPast(at, done)) {
        skipped.push(entry.registration.path);
        continue;
      }
      const inflight = floors.inflight;
      if (
        inflight !== undefined &&
        inflight !== null &&
        isAtOrPast(inflight, at) &&
        !isAtOrPast(at, inflight)
      ) {
        // A fetch already reading past this result (e.g. one that carried a newer minFrame) wins.
        skipped.push(entry.registration.path);
        continue;
      }
      if (inflight !== undefined) {
        // The fetch's own result must not overwrite this newer one when it lands.
        floors.ticket = ++this.#tickets;
        delete floors.inflight;
        void queryClient.cancelQueries({ queryKey: entry.registration.queryKey, exact: true });
      }
      floors.done = at;
      queryClient.setQueryData(entry.registration.queryKey, decoded.value);
      pushed.push(entry.registration.path);
    }
    for (const wire of data.invalidate) this.#enqueueWire(wire, position, [], undefined);
    if (lostBase.length > 0) void this.#send({ add: lostBase });
    if (pushed.length > 0 || skipped.length > 0) {
      log.add({
        receivedAt: Date.now(),
        position,
        tables: [],
        refetched: [],
        skipped,
        pushed,
        durationMs: 0,
      });
    }
  }

  /** Whether the server's ack describes exactly the mounted queries it should hold (rejected ones never are). */
  #serverHoldsOurs(registered: number, digest: string | undefined): boolean {
    const keys: string[] = [];
    for (const key of this.#entries.keys()) if (!this.#rejected.has(key)) keys.push(this.#wire.of(key));
    if (registered !== keys.length) return false;
    return digest === undefined || digest === registrationDigest(keys);
  }

  #acknowledge(position: FramePosition | null): void {
    const wasAcknowledged = this.#acknowledged;
    this.#acknowledged = true;
    // Set before the resync that follows reads them, so held fetches register as fresh.
    for (const key of this.#waiting) this.#floorsOf(key).inflight = this.#floorNow();
    this.#ready.resolve();
    if (!wasAcknowledged && position !== null) this.#options.onAcknowledged?.(position);
  }

  /** Replaces the server's set with everything mounted, each with the floor of its data. */
  #resync(afterRefetchAll: string | null): void {
    this.#dirty = false;
    this.#pendingAdd.clear();
    this.#pendingRemove.clear();
    // `replace` drops whatever else the server held for us: those wire keys are free to forget.
    this.#wire.retain((key) => this.#entries.has(key));
    const add: LiveRegistration[] = [];
    // After a refetch-all every query is being refetched from now on: `since` is the ack itself.
    for (const [key, entry] of this.#entries) add.push(this.#registrationOf(key, entry, afterRefetchAll));
    void this.#send({ replace: true, add });
  }

  /** `since` is what the data reflects; unknown means null, which the server answers with "stale". */
  #registrationOf(key: string, entry: Entry, override: string | null = null): LiveRegistration {
    const { path, input } = entry.registration;
    const floor = this.#dataFloor(key);
    const since = override ?? (floor === null ? null : formatFramePosition(floor));
    const wire = this.#wire.of(key);
    return input === undefined ? { key: wire, path, since } : { key: wire, path, input, since };
  }

  #scheduleUpdate(): void {
    if (!this.#acknowledged) {
      this.#dirty = true;
      return;
    }
    if (this.#updateScheduled) return;
    this.#updateScheduled = true;
    // One live.update per render pass: mounting a page registers all its queries at once.
    queueMicrotask(() => {
      this.#updateScheduled = false;
      if (!this.#acknowledged) {
        this.#dirty = true;
        return;
      }
      const add: LiveRegistration[] = [];
      for (const key of this.#pendingAdd) {
        const entry = this.#entries.get(key);
        if (entry !== undefined) add.push(this.#registrationOf(key, entry));
      }
      const remove: string[] = [];
      for (const key of this.#pendingRemove) {
        const wire = this.#wire.peek(key);
        if (wire !== undefined) remove.push(wire);
        this.#wire.drop(key);
      }
      this.#pendingAdd.clear();
      this.#pendingRemove.clear();
      if (add.length > 0 || remove.length > 0) void this.#send({ add, remove });
    });
  }

  async #send(change: { add: LiveRegistration[]; remove?: string[]; replace?: boolean }): Promise<void> {
    const { remove, replace } = change;
    const add = change.add.filter((registration) => !this.#rejected.has(this.#hashOf(registration)));
    try {
      const result = await this.#options.channel.update({
        subscriptionId: this.subscriptionId,
        add,
        ...(remove === undefined || remove.length === 0 ? {} : { remove }),
        ...(replace === undefined ? {} : { replace }),
      });
      const position = parseFramePosition(result.position);
      for (const wire of result.stale) this.#enqueueWire(wire, position, [], 'registered after a change');
    } catch (error) {
      this.#options.onError?.(error);
      if (REJECTIONS.has(liveframeCodeOf(error) ?? '') && add.length > 0) {
        // The server refuses a whole call for one bad query (not a live query, or forbidden):
        // register one by one, so the others stay live, and never send the rejected one again.
        await this.#registerOneByOne(add, remove);
        return;
      }
      // The next acknowledgement (after the reconnect that usually follows) sends everything again.
      this.#dirty = true;
    }
  }

  async #registerOneByOne(add: LiveRegistration[], remove: string[] | undefined): Promise<void> {
    if (remove !== undefined && remove.length > 0) await this.#send({ add: [], remove });
    for (const registration of add) {
      try {
        const result = await this.#options.channel.update({
          subscriptionId: this.subscriptionId,
          add: [registration],
        });
        const position = parseFramePosition(result.position);
        for (const wire of result.stale) this.#enqueueWire(wire, position, [], 'registered after a change');
      } catch (error) {
        if (REJECTIONS.has(liveframeCodeOf(error) ?? '')) this.#rejected.add(this.#hashOf(registration));
        else this.#dirty = true;
      }
    }
  }

  /** The hash of a registration this registry made (its wire key was given out by #wire). */
  #hashOf(registration: LiveRegistration): string {
    return this.#wire.hashOf(registration.key) ?? registration.key;
  }

  /** {@link #enqueue} for a key as the server sent it; keys this registry does not know are ignored. */
  #enqueueWire(
    wire: string,
    position: FramePosition | null,
    tables: readonly string[],
    reason: string | undefined,
  ): void {
    const key = this.#wire.hashOf(wire);
    if (key !== undefined) this.#enqueue(key, position, tables, reason);
  }

  // Keys of one change set may arrive in several events; batching them per position in a
  // microtask gives one log record and one round of refetches.
  #enqueue(
    key: string,
    position: FramePosition | null,
    tables: readonly string[],
    reason: string | undefined,
  ) {
    const batchKey = `${position === null ? '?' : formatFramePosition(position)}|${reason ?? ''}`;
    let batch = this.#batches.get(batchKey);
    if (batch === undefined) {
      batch = { receivedAt: Date.now(), position, tables: new Set(), keys: new Set() };
      if (reason !== undefined) batch.reason = reason;
      this.#batches.set(batchKey, batch);
    }
    for (const table of tables) batch.tables.add(table);
    batch.keys.add(key);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      const batches = [...this.#batches.values()];
      this.#batches.clear();
      for (const b of batches) this.#apply(b);
    });
  }

  #apply(batch: Batch): void {
    const { queryClient, log } = this.#options;
    const refetch: Entry[] = [];
    const owe: Entry[] = [];
    const skipped: Entry[] = [];
    const isChange = batch.reason === undefined && batch.position !== null;
    for (const key of batch.keys) {
      const entry = this.#entries.get(key);
      if (entry === undefined) continue;
      const covers = (floor: FramePosition | null | undefined) =>
        isChange &&
        floor !== null &&
        floor !== undefined &&
        isAtOrPast(floor, batch.position as FramePosition);
      const inflight = this.#inflightFloor(key);
      if (covers(this.#floors.get(key)?.done) || covers(inflight)) skipped.push(entry);
      else if (inflight !== undefined) owe.push(entry);
      else refetch.push(entry);
    }
    const refetched = [...refetch, ...owe];
    if (refetched.length === 0 && skipped.length === 0) return;
    const id = log.add({
      receivedAt: batch.receivedAt,
      position: batch.position,
      tables: [...batch.tables].sort(),
      refetched: refetched.map((e) => e.registration.path),
      skipped: skipped.map((e) => e.registration.path),
      durationMs: refetched.length === 0 ? 0 : null,
      ...(batch.reason === undefined ? {} : { reason: batch.reason }),
    });
    if (refetched.length === 0) return;
    const started = performance.now();
    const settled: Promise<void>[] = refetch.map((entry) => {
      log.countFetch();
      return queryClient.invalidateQueries(
        { queryKey: entry.registration.queryKey, exact: true },
        { cancelRefetch: false },
      );
    });
    for (const entry of owe) {
      settled.push(
        new Promise<void>((resolve) => {
          entry.owed = [...(entry.owed ?? []), resolve];
        }),
      );
    }
    void Promise.allSettled(settled).then(() => {
      log.update(id, { durationMs: Math.round((performance.now() - started) * 10) / 10 });
    });
  }

  #publish(): void {
    const position = this.#position === null ? null : formatFramePosition(this.#position);
    const liveQueries = this.#entries.size;
    if (position === this.#status.position && liveQueries === this.#status.liveQueries) return;
    this.#status = { position, liveQueries, subscriptionId: this.subscriptionId };
    for (const listener of this.#listeners) listener();
  }
}

// Promise.withResolvers needs Node 22; the unit tests run on Node 20.
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
