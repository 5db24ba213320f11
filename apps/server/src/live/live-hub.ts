import type { CaptureEvent, ChangeSet, FramePosition, ReadSet } from '../db/database-contract.ts';
import type { HubEvent } from './live-event.ts';

/** Changed rowids per table of one change set; `null` = a change with unknown rowid. */
type ChangeSummary = Map<string, Set<number> | null>;

interface HistoryEntry {
  readonly position: FramePosition;
  readonly summary: ChangeSummary;
}

export interface LiveHubOptions {
  /** Where the stream starts (the driver's position when the hub is created). */
  readonly initialPosition: FramePosition;
  /** Change sets kept for resume and `changedSince` (older ones mean refetch-all). */
  readonly historySize?: number;
}

export interface OpenStreamOptions {
  /** Resume after this position (`lastEventId`); `undefined` starts live now. */
  readonly from?: FramePosition | 'invalid' | undefined;
  /** The visibility filter: tables the subscriber may learn about. */
  readonly canSee: (table: string) => boolean;
}

/**
 * The live-query hub of one server: registrations (subscriber, key) → read-set, matching of
 * every change set, per-subscriber coalesced event streams, and a history ring for resume.
 *
 * This is the server's adapter for `@liveframe/reactive` (registry + subscriptions + resume):
 * until reactive's hub lands it implements the same rules itself (table `all` filters match any
 * change, `rowids` filters only those rowids or unknown ones; one invalidation per query per
 * change set; positions never go backwards; a gap means refetch-all, never silence).
 *
 * @example
 * const hub = new LiveHub({ initialPosition: driver.position() });
 * hub.register('tab-1', 'orders.byId:7', readSet);
 * const stream = hub.open('tab-1', { canSee: () => true });
 * hub.publish(captureEvent);
 */
export class LiveHub {
  readonly #historySize: number;
  readonly #history: HistoryEntry[] = [];
  readonly #registrations = new Map<string, Map<string, ReadSet>>();
  readonly #streams = new Map<string, HubStream>();
  #position: FramePosition;
  /** Oldest position from which the history can replay everything. */
  #floor: FramePosition;
  #published = 0;
  #onMatch: ((subscriberId: string, keys: readonly string[]) => void) | undefined;

  constructor(options: LiveHubOptions) {
    this.#historySize = options.historySize ?? 4096;
    this.#position = options.initialPosition;
    this.#floor = options.initialPosition;
  }

  /** The newest change the hub has processed: what a new subscription is live from. */
  position(): FramePosition {
    return this.#position;
  }

  /** Events published so far (for events/s in /metrics). */
  get publishedCount(): number {
    return this.#published;
  }

  get streamCount(): number {
    return this.#streams.size;
  }

  get registrationCount(): number {
    let n = 0;
    for (const keys of this.#registrations.values()) n += keys.size;
    return n;
  }

  /** Called after every match with the keys it hit (the server re-derives their read-sets). */
  onMatch(listener: (subscriberId: string, keys: readonly string[]) => void): void {
    this.#onMatch = listener;
  }

  register(subscriberId: string, key: string, readSet: ReadSet): void {
    let keys = this.#registrations.get(subscriberId);
    if (keys === undefined) {
      keys = new Map();
      this.#registrations.set(subscriberId, keys);
    }
    keys.set(key, readSet);
  }

  unregister(subscriberId: string, key: string): void {
    const keys = this.#registrations.get(subscriberId);
    keys?.delete(key);
    if (keys?.size === 0) this.#registrations.delete(subscriberId);
  }

  unregisterSubscriber(subscriberId: string): void {
    this.#registrations.delete(subscriberId);
  }

  registeredKeys(subscriberId: string): ReadonlyMap<string, ReadSet> {
    return this.#registrations.get(subscriberId) ?? new Map();
  }

  /**
   * Whether a change after `since` (up to now) may have touched `readSet`; `true` when unknown
   * (no `since`, another generation, older than the history).
   */
  changedSince(since: FramePosition | undefined, readSet: ReadSet): boolean {
    if (since === undefined || since.generation !== this.#position.generation) return true;
    if (since.frame >= this.#position.frame) return false;
    if (since.generation !== this.#floor.generation || since.frame < this.#floor.frame) return true;
    for (const entry of this.#history) {
      if (entry.position.frame > since.frame && touchedTables(entry.summary, readSet).length > 0) return true;
    }
    return false;
  }

  /**
   * Opens the event stream of a subscriber (closing a previous one of the same id). Its first event
   * is `live` at the hub position, or `refetch-all` when `from` cannot be resumed; replayed
   * invalidations follow.
   */
  open(subscriberId: string, options: OpenStreamOptions): HubStream {
    this.#streams.get(subscriberId)?.close();
    const stream = new HubStream(subscriberId, options.canSee, () => {
      if (this.#streams.get(subscriberId) === stream) this.#streams.delete(subscriberId);
    });
    this.#streams.set(subscriberId, stream);
    const from = options.from;
    if (from === undefined) {
      stream.push({ type: 'live', position: this.#position });
    } else if (from === 'invalid') {
      stream.push({ type: 'refetch-all', position: this.#position, reason: 'unreadable lastEventId' });
    } else if (from.generation !== this.#position.generation) {
      stream.push({ type: 'refetch-all', position: this.#position, reason: 'primary generation changed' });
    } else if (from.frame > this.#position.frame) {
      // The client saw a frame this server has not reached yet (it talked to another server):
      // everything up to it is in its data, so it is live from here; nothing after `from` is lost.
      stream.push({ type: 'live', position: this.#position });
    } else if (from.generation !== this.#floor.generation || from.frame < this.#floor.frame) {
      stream.push({
        type: 'refetch-all',
        position: this.#position,
        reason: 'resume point older than history',
      });
    } else {
      stream.push({ type: 'live', position: from });
      const keys = this.#registrations.get(subscriberId);
      for (const entry of this.#history) {
        if (entry.position.frame <= from.frame || keys === undefined) continue;
        const hit = matchKeys(keys, entry.summary, stream.canSee);
        if (hit !== undefined) stream.push({ type: 'invalidate', position: entry.position, ...hit });
      }
    }
    return stream;
  }

  /** Feeds one capture event (from the driver's change stream) to every subscriber. */
  publish(event: CaptureEvent): void {
    this.#published++;
    if (event.type !== 'changes') {
      this.#position = event.position;
      // Continuity is lost for everyone: history before this point cannot be replayed.
      this.#history.length = 0;
      this.#floor = event.position;
      const reason = event.type === 'schema' ? 'schema changed' : event.reason;
      for (const stream of this.#streams.values())
        stream.push({ type: 'refetch-all', position: event.position, reason });
      return;
    }
    const changeSet = event.changeSet;
    const position = { generation: changeSet.generation, frame: changeSet.frame };
    if (position.generation !== this.#position.generation) {
      this.publish({ type: 'refetch-all', position, reason: 'primary generation changed' });
      return;
    }
    this.#position = position;
    const summary = summarize(changeSet);
    this.#history.push({ position, summary });
    if (this.#history.length > this.#historySize) {
      const dropped = this.#history.shift();
      if (dropped !== undefined) this.#floor = dropped.position;
    }
    for (const [subscriberId, keys] of this.#registrations) {
      const stream = this.#streams.get(subscriberId);
      const hit = matchKeys(keys, summary, stream?.canSee ?? (() => true));
      if (hit === undefined) continue;
      stream?.push({ type: 'invalidate', position, ...hit });
      this.#onMatch?.(subscriberId, hit.queries);
    }
  }

  close(): void {
    for (const stream of [...this.#streams.values()]) stream.close();
  }
}

/**
 * The coalescing event queue of one subscriber: consecutive invalidations merge into one (union of
 * queries and tables, newest position); a refetch-all absorbs everything after it.
 */
export class HubStream {
  readonly subscriberId: string;
  readonly canSee: (table: string) => boolean;
  readonly #queue: HubEvent[] = [];
  readonly #onClose: () => void;
  #wake: (() => void) | undefined;
  #closed = false;

  constructor(subscriberId: string, canSee: (table: string) => boolean, onClose: () => void) {
    this.subscriberId = subscriberId;
    this.canSee = canSee;
    this.#onClose = onClose;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get pending(): number {
    return this.#queue.length;
  }

  push(event: HubEvent): void {
    if (this.#closed) return;
    const last = this.#queue.at(-1);
    if (last !== undefined && event.type === 'invalidate') {
      if (last.type === 'invalidate') {
        this.#queue[this.#queue.length - 1] = {
          type: 'invalidate',
          position: event.position,
          queries: union(last.queries, event.queries),
          tables: union(last.tables, event.tables),
        };
        this.#wake?.();
        return;
      }
      if (last.type === 'refetch-all') {
        this.#queue[this.#queue.length - 1] = { ...last, position: event.position };
        this.#wake?.();
        return;
      }
    }
    if (event.type === 'refetch-all') {
      // Anything still queued after the first (ack) event is covered by refetching everything.
      const keepAck = this.#queue[0]?.type === 'live' ? 1 : 0;
      this.#queue.length = Math.min(this.#queue.length, keepAck);
    }
    this.#queue.push(event);
    this.#wake?.();
  }

  /** Replaces everything queued by one refetch-all (backpressure: the client was too slow). */
  collapseToRefetchAll(reason: string): void {
    const last = this.#queue.at(-1);
    if (last === undefined) return;
    this.#queue.length = 0;
    this.#queue.push({ type: 'refetch-all', position: last.position, reason });
  }

  take(): HubEvent | undefined {
    return this.#queue.shift();
  }

  /** Resolves when an event is queued or the stream closes. */
  waitForEvent(signal?: AbortSignal): Promise<void> {
    if (this.#queue.length > 0 || this.#closed || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.#wake = undefined;
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.#wake = done;
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.length = 0;
    this.#wake?.();
    this.#onClose();
  }
}

function summarize(changeSet: ChangeSet): ChangeSummary {
  const summary: ChangeSummary = new Map();
  for (const change of changeSet.changes) {
    const table = change.table.toLowerCase();
    const rowids = summary.get(table);
    if (rowids === null) continue;
    if (change.rowid === null) summary.set(table, null);
    else if (rowids === undefined) summary.set(table, new Set([change.rowid]));
    else rowids.add(change.rowid);
  }
  return summary;
}

function touchedTables(summary: ChangeSummary, readSet: ReadSet): string[] {
  const tables: string[] = [];
  for (const [table, filter] of readSet.tables) {
    const changed = summary.get(table.toLowerCase());
    if (changed === undefined) continue;
    if (filter.kind === 'all' || changed === null) {
      tables.push(table);
      continue;
    }
    for (const rowid of filter.rowids) {
      if (changed.has(rowid)) {
        tables.push(table);
        break;
      }
    }
  }
  return tables;
}

function matchKeys(
  keys: ReadonlyMap<string, ReadSet>,
  summary: ChangeSummary,
  canSee: (table: string) => boolean,
): { queries: string[]; tables: string[] } | undefined {
  const queries: string[] = [];
  const tables = new Set<string>();
  for (const [key, readSet] of keys) {
    const touched = touchedTables(summary, readSet);
    if (touched.length === 0) continue;
    queries.push(key);
    for (const table of touched) if (canSee(table)) tables.add(table);
  }
  return queries.length === 0 ? undefined : { queries, tables: [...tables] };
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}
