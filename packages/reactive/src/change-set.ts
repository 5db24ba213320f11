import type { FramePosition } from './position.ts';

export type ChangeOp = 'insert' | 'update' | 'delete';

/**
 * One changed row as db-core's change capture reports it. `rowid: null` means the row is unknown
 * (WITHOUT ROWID tables, truncate optimisation, ...) and matches at table level.
 *
 * Contract for producers: an UPDATE that moves a row to a new rowid must be reported under both the
 * old and the new rowid (or as `null`), and rows removed by a REPLACE conflict must be reported as
 * deletes (or the table as `null`); otherwise a point lookup on the vanished rowid is missed.
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
 * What db-core's change stream yields and what {@link LiveQueryHub.publish} consumes.
 * - `changes`: one committed change set.
 * - `schema`: the schema changed; queries reading `tables` (all queries if omitted) must be
 *   refetched and have their read-sets derived again.
 * - `refetch-all`: continuity is lost (primary generation change, change log compacted past a cursor).
 */
export type CaptureEvent =
  | { readonly type: 'changes'; readonly changeSet: ChangeSet }
  | { readonly type: 'schema'; readonly position: FramePosition; readonly tables?: readonly string[] }
  | { readonly type: 'refetch-all'; readonly position: FramePosition; readonly reason: string };

/**
 * SQLite table names are case-insensitive; both read-sets and change sets go through this so that
 * `Users` and `users` meet in the same index slot.
 *
 * @example normalizeTableName('Users') // 'users'
 */
export function normalizeTableName(table: string): string {
  return table.toLowerCase();
}

/**
 * The position a capture event happened at.
 *
 * @example eventPosition({ type: 'changes', changeSet }) // { generation, frame }
 */
export function eventPosition(event: CaptureEvent): FramePosition {
  return event.type === 'changes'
    ? { generation: event.changeSet.generation, frame: event.changeSet.frame }
    : event.position;
}
