import type { FramePosition } from './position.ts';

/**
 * Some of the subscriber's live queries may have changed: refetch them (the refetch re-runs
 * authorization, so no row data is carried). `position` is the newest change covered; a query whose
 * data is at or past it need not refetch. `tables` only lists tables the subscriber may see.
 */
export interface InvalidateEvent {
  readonly type: 'invalidate';
  readonly position: FramePosition;
  readonly queries: readonly string[];
  readonly tables: readonly string[];
}

/**
 * Continuity was lost (generation change, buffer overflow, resume gap, unknown schema change):
 * refetch every live query. Also an ack: everything after `position` will be delivered.
 */
export interface RefetchAllEvent {
  readonly type: 'refetch-all';
  readonly position: FramePosition;
  readonly reason: string;
}

/**
 * The ack a subscription starts with: every change after `position` will be delivered (replayed
 * ones follow immediately). A client whose snapshot is at or past `position` has missed nothing.
 */
export interface LiveEvent {
  readonly type: 'live';
  readonly position: FramePosition;
}

/**
 * What a subscription yields. Positions never go backwards within one subscription, so the server
 * can use `formatPosition(event.position)` as tRPC's tracked() id and resume from `lastEventId`.
 */
export type SubscriptionEvent = LiveEvent | InvalidateEvent | RefetchAllEvent;

/**
 * Merges two invalidations into one that covers both (union of queries and tables, newest position).
 *
 * @example mergeInvalidations(a, b).queries // a.queries ∪ b.queries
 */
export function mergeInvalidations(older: InvalidateEvent, newer: InvalidateEvent): InvalidateEvent {
  return {
    type: 'invalidate',
    position: newer.position,
    queries: union(older.queries, newer.queries),
    tables: union(older.tables, newer.tables),
  };
}

function union(a: readonly string[], b: readonly string[]): string[] {
  if (a.length === 0) return [...b];
  const seen = new Set(a);
  const merged = [...a];
  for (const value of b) {
    if (!seen.has(value)) {
      seen.add(value);
      merged.push(value);
    }
  }
  return merged;
}
