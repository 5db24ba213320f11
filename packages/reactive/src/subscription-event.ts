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

/** One pushed live-query result: the client's key, the new result, the position it was read at. */
export type PushedResult = PushedData | PushedPatch;

/** The whole result. */
export interface PushedData {
  readonly key: string;
  /** The procedure's output as the server encoded it (superjson text): encoded once, shared. */
  readonly data: string;
  /** The position the data was read at (at or past every change it reflects). */
  readonly at: FramePosition;
}

/**
 * The result as a change to the one last pushed to this subscription for `key` (its `at` is
 * `base`): a jsondiffpatch delta of the parsed superjson text. Only for subscriptions that asked
 * for patches; computed once per run and base, shared.
 */
export interface PushedPatch {
  readonly key: string;
  readonly patch: unknown;
  readonly base: FramePosition;
  readonly at: FramePosition;
}

/**
 * Push delivery: the current results of live queries whose result changed, computed once per
 * distinct query on the server. `invalidate` names queries whose result is too large to push:
 * refetch them. `position` keeps the subscription's order (never below an event already sent);
 * each result's own `at` is the position its data is current at.
 */
export interface ResultsEvent {
  readonly type: 'results';
  readonly position: FramePosition;
  readonly results: readonly PushedResult[];
  readonly invalidate: readonly string[];
}

/**
 * What a subscription yields. Positions never go backwards within one subscription, so the server
 * can use `formatPosition(event.position)` as tRPC's tracked() id and resume from `lastEventId`.
 */
export type SubscriptionEvent = LiveEvent | InvalidateEvent | RefetchAllEvent | ResultsEvent;

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
