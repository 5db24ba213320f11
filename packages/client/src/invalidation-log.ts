import type { FramePosition } from './frame-position.ts';

/** One change set as this client experienced it: what changed and what it cost. */
export interface InvalidationRecord {
  /** Monotonic id within this client, for React keys. */
  readonly id: number;
  /** `Date.now()` when the first event of the change set arrived. */
  readonly receivedAt: number;
  /** The change set's position; null for a refetch-all without one. */
  readonly position: FramePosition | null;
  /** Tables the change set touched (union over the queries it reached). */
  readonly tables: readonly string[];
  /** tRPC paths of queries that were refetched. */
  readonly refetched: readonly string[];
  /** tRPC paths of queries skipped because their data was already at or past the frame. */
  readonly skipped: readonly string[];
  /** Push delivery: queries whose new result arrived with the event (no refetch). */
  readonly pushed?: readonly string[];
  /** From the first event until every refetch settled; null while refetches are in flight. */
  readonly durationMs: number | null;
  /** Why queries were refetched without a matching change: a refetch-all or a late registration. */
  readonly reason?: string;
}

/**
 * A bounded, observable list of recent invalidations, newest first; shaped for React's
 * `useSyncExternalStore` (stable snapshots, `subscribe` returns an unsubscribe).
 *
 * @example
 * const log = new InvalidationLog(50);
 * const stop = log.subscribe(() => console.log(log.getSnapshot()[0]));
 */
export class InvalidationLog {
  readonly #capacity: number;
  #records: readonly InvalidationRecord[] = [];
  #nextId = 1;
  readonly #listeners = new Set<() => void>();
  /** Totals since the client started, for metrics such as refetches per write. */
  #totals = { changeSets: 0, refetches: 0, skipped: 0, fetches: 0 };

  constructor(capacity = 50) {
    this.#capacity = capacity;
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  readonly getSnapshot = (): readonly InvalidationRecord[] => this.#records;

  /**
   * `refetches`/`skipped`: queries the change sets named, refetched or not. `fetches`: refetches
   * actually sent; fewer than `refetches` when several change sets were served by one fetch.
   */
  get totals(): Readonly<{ changeSets: number; refetches: number; skipped: number; fetches: number }> {
    return this.#totals;
  }

  /** Counts one refetch actually sent because of live events. */
  countFetch(): void {
    this.#totals = { ...this.#totals, fetches: this.#totals.fetches + 1 };
  }

  /** Adds a record and returns its id, for {@link update} when its refetches settle. */
  add(record: Omit<InvalidationRecord, 'id'>): number {
    const id = this.#nextId++;
    this.#records = [{ ...record, id }, ...this.#records].slice(0, this.#capacity);
    this.#totals = {
      ...this.#totals,
      changeSets: this.#totals.changeSets + 1,
      refetches: this.#totals.refetches + record.refetched.length,
      skipped: this.#totals.skipped + record.skipped.length,
    };
    this.#emit();
    return id;
  }

  update(id: number, patch: Partial<Omit<InvalidationRecord, 'id'>>): void {
    if (!this.#records.some((r) => r.id === id)) return;
    this.#records = this.#records.map((r) => (r.id === id ? { ...r, ...patch } : r));
    this.#emit();
  }

  #emit(): void {
    for (const listener of this.#listeners) listener();
  }
}
