import type { FramePosition } from './position.ts';

/*
 * The change-capture contract. db-core produces it; reactive states it structurally instead of
 * importing db-core's declarations, so this package has no dependencies at all (browsers load it
 * for the client). test/contract-types.test.ts keeps both statements identical.
 */

export type ChangeOp = 'insert' | 'update' | 'delete';

/** One changed row; `rowid: null` means unknown (matches at table level). */
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

/** What a change stream yields: a change set, a schema change, or lost continuity. */
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
