import type { ChangeSummary, TableDelta } from './change-summary.ts';
import type { ReadSet } from './read-set.ts';
import { normalizeReadSet } from './read-set.ts';

/** One live query of one subscriber, as the registry holds it. */
export interface RegisteredQuery {
  readonly subscriberId: string;
  readonly key: string;
  readonly readSet: ReadSet;
}

/** The queries of one subscriber that a change invalidated, and the tables through which it did. */
export interface SubscriberMatch {
  readonly queries: readonly string[];
  readonly tables: readonly string[];
}

interface SubscriberSlot {
  readonly id: string;
  readonly entries: Map<string, Entry>;
  epoch: number;
  queries: string[];
  /** A change set touches few tables: an array beats a Set here. */
  tables: string[];
}

interface Entry extends RegisteredQuery {
  readonly subscriber: SubscriberSlot;
  epoch: number;
}

interface TableIndex {
  /** Entries reading any row of the table. */
  readonly all: Set<Entry>;
  /** Entries reading only some rowids, by rowid. */
  readonly byRowid: Map<number, Set<Entry>>;
  /** Every entry that appears in byRowid, for table-level changes. */
  readonly rowidEntries: Set<Entry>;
}

/**
 * Live queries by subscriber, indexed by table and by (table, rowid) so that matching a change set
 * costs O(changed rows + matched queries), independent of how many queries are registered.
 *
 * Matching rules (see also `tablesTouched`, which implements the same rules for one query):
 * - a query with filter `all` on a table is hit by any change to that table;
 * - a query with a `rowids` filter is hit only by changes to those rowids, or a change with an
 *   unknown (`null`) rowid. This holds for inserts too: an insert of rowid r can change the result of
 *   `WHERE id = r` (empty → one row), and it carries r, so it is matched through the rowid index;
 *   an insert of any other rowid cannot change that result.
 * - each query is reported at most once per match (coalescing), grouped by subscriber.
 *
 * @example
 * const registry = new LiveQueryRegistry();
 * registry.register('client-1', 'user:7', readSetOf({ users: [7] }));
 * registry.match(summarizeChanges(changeSet)).get('client-1')?.queries; // ['user:7'] if row 7 changed
 */
export class LiveQueryRegistry {
  readonly #subscribers = new Map<string, SubscriberSlot>();
  readonly #tables = new Map<string, TableIndex>();
  #epoch = 0;
  #size = 0;

  /** Number of registered (subscriber, key) pairs. */
  get size(): number {
    return this.#size;
  }

  /** Number of subscribers with at least one registered query. */
  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /**
   * Registers a query, or replaces the read-set of an already registered (subscriber, key).
   *
   * @example registry.register('client-1', 'posts.list', readSetOf({ posts: 'all', users: 'all' }));
   */
  register(subscriberId: string, key: string, readSet: ReadSet): void {
    let subscriber = this.#subscribers.get(subscriberId);
    if (subscriber === undefined) {
      subscriber = { id: subscriberId, entries: new Map(), epoch: 0, queries: [], tables: [] };
      this.#subscribers.set(subscriberId, subscriber);
    }
    const previous = subscriber.entries.get(key);
    if (previous !== undefined) this.#unindex(previous);
    else this.#size++;
    const entry: Entry = { subscriberId, key, readSet: normalizeReadSet(readSet), subscriber, epoch: 0 };
    subscriber.entries.set(key, entry);
    this.#index(entry);
  }

  /**
   * Removes one query; returns whether it was registered.
   *
   * @example registry.unregister('client-1', 'posts.list');
   */
  unregister(subscriberId: string, key: string): boolean {
    const subscriber = this.#subscribers.get(subscriberId);
    const entry = subscriber?.entries.get(key);
    if (subscriber === undefined || entry === undefined) return false;
    this.#unindex(entry);
    subscriber.entries.delete(key);
    this.#size--;
    if (subscriber.entries.size === 0) this.#subscribers.delete(subscriberId);
    return true;
  }

  /**
   * Removes every query of a subscriber; returns how many there were.
   *
   * @example registry.unregisterSubscriber('client-1');
   */
  unregisterSubscriber(subscriberId: string): number {
    const subscriber = this.#subscribers.get(subscriberId);
    if (subscriber === undefined) return 0;
    for (const entry of subscriber.entries.values()) this.#unindex(entry);
    const removed = subscriber.entries.size;
    this.#size -= removed;
    this.#subscribers.delete(subscriberId);
    return removed;
  }

  /**
   * The registered query (normalised read-set) of a subscriber, if any.
   *
   * @example registry.get('client-1', 'user:7')?.readSet
   */
  get(subscriberId: string, key: string): RegisteredQuery | undefined {
    return this.#subscribers.get(subscriberId)?.entries.get(key);
  }

  /**
   * All queries of one subscriber (empty when none).
   *
   * @example [...registry.queriesOf('client-1')].map((q) => q.key)
   */
  queriesOf(subscriberId: string): Iterable<RegisteredQuery> {
    return this.#subscribers.get(subscriberId)?.entries.values() ?? [];
  }

  /** Every registered query. */
  *queries(): Iterable<RegisteredQuery> {
    for (const subscriber of this.#subscribers.values()) yield* subscriber.entries.values();
  }

  /**
   * Matches one change summary against every registered query: subscriber id → invalidated query
   * keys (each once) and the changed tables that hit them. Subscribers with no hit are absent.
   *
   * @example registry.match(summarizeChanges(changeSet))
   */
  match(summary: ChangeSummary): Map<string, SubscriberMatch> {
    const epoch = ++this.#epoch;
    const hit: SubscriberSlot[] = [];
    const visit = (entry: Entry, table: string): void => {
      const subscriber = entry.subscriber;
      if (subscriber.epoch !== epoch) {
        subscriber.epoch = epoch;
        subscriber.queries = [];
        subscriber.tables = [];
        hit.push(subscriber);
      }
      if (!subscriber.tables.includes(table)) subscriber.tables.push(table);
      if (entry.epoch !== epoch) {
        entry.epoch = epoch;
        subscriber.queries.push(entry.key);
      }
    };
    for (const [table, delta] of summary) {
      const index = this.#tables.get(table);
      if (index !== undefined) matchTable(index, table, delta, visit);
    }
    const result = new Map<string, SubscriberMatch>();
    for (const subscriber of hit) {
      result.set(subscriber.id, { queries: subscriber.queries, tables: subscriber.tables });
      subscriber.queries = [];
      subscriber.tables = [];
    }
    return result;
  }

  #index(entry: Entry): void {
    for (const [table, filter] of entry.readSet.tables) {
      let index = this.#tables.get(table);
      if (index === undefined) {
        index = { all: new Set(), byRowid: new Map(), rowidEntries: new Set() };
        this.#tables.set(table, index);
      }
      if (filter.kind === 'all') {
        index.all.add(entry);
        continue;
      }
      index.rowidEntries.add(entry);
      for (const rowid of filter.rowids) {
        let entries = index.byRowid.get(rowid);
        if (entries === undefined) {
          entries = new Set();
          index.byRowid.set(rowid, entries);
        }
        entries.add(entry);
      }
    }
  }

  #unindex(entry: Entry): void {
    for (const [table, filter] of entry.readSet.tables) {
      const index = this.#tables.get(table);
      if (index === undefined) continue;
      if (filter.kind === 'all') {
        index.all.delete(entry);
      } else {
        index.rowidEntries.delete(entry);
        for (const rowid of filter.rowids) {
          const entries = index.byRowid.get(rowid);
          entries?.delete(entry);
          if (entries?.size === 0) index.byRowid.delete(rowid);
        }
      }
      if (index.all.size === 0 && index.rowidEntries.size === 0) this.#tables.delete(table);
    }
  }
}

function matchTable(
  index: TableIndex,
  table: string,
  delta: TableDelta,
  visit: (entry: Entry, table: string) => void,
): void {
  for (const entry of index.all) visit(entry, table);
  if (delta.anyRow) {
    for (const entry of index.rowidEntries) visit(entry, table);
    return;
  }
  // Walk whichever side is smaller: a bulk change against few point queries, or the reverse.
  if (delta.rowids.size <= index.byRowid.size) {
    for (const rowid of delta.rowids) {
      const entries = index.byRowid.get(rowid);
      if (entries !== undefined) for (const entry of entries) visit(entry, table);
    }
  } else {
    for (const [rowid, entries] of index.byRowid) {
      if (delta.rowids.has(rowid)) for (const entry of entries) visit(entry, table);
    }
  }
}
