import type { FramePosition } from './position.ts';

export type ChangeOp = 'insert' | 'update' | 'delete';

/**
 * One changed row. `rowid: null` means the row is unknown (WITHOUT ROWID tables, REPLACE
 * conflicts, rowids beyond 2^53) and matches at table level.
 *
 * Contract for producers (both capture paths keep it): an UPDATE that moves a row to a new rowid
 * is reported under both the old and the new rowid, and rows removed by a REPLACE conflict are
 * reported as deletes (or the table with `null`); otherwise a point lookup on the vanished rowid
 * would be missed.
 */
export interface TableChange {
  readonly table: string;
  readonly op: ChangeOp;
  readonly rowid: number | null;
}

/** Everything one committed transaction (local) or one frame-advancing sync (replica) changed. */
export interface ChangeSet {
  readonly generation: string;
  readonly frame: number;
  readonly changes: readonly TableChange[];
}

/**
 * What a change stream yields. Both connection modes produce exactly these events, so the
 * reactive layer never knows which mode it runs on.
 * - `changes`: one committed change set.
 * - `schema`: the schema changed; queries reading `tables` (all queries if omitted) must be
 *   refetched and have their read-sets derived again.
 * - `refetch-all`: continuity is lost (primary generation change, change log compacted past a cursor).
 */
export type CaptureEvent =
  | { readonly type: 'changes'; readonly changeSet: ChangeSet }
  | { readonly type: 'schema'; readonly position: FramePosition; readonly tables?: readonly string[] }
  | { readonly type: 'refetch-all'; readonly position: FramePosition; readonly reason: string };
