import type { FramePosition } from './position.ts';

export type ChangeOp = 'insert' | 'update' | 'delete';

/**
 * One changed row. `rowid` is null when the row is unknown: WITHOUT ROWID tables, rows deleted by
 * a REPLACE conflict (local mode), and rowids beyond 2^53 (not exactly representable as a number,
 * in both modes). A null rowid is a table-level change: it matches every query on the table.
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
 */
export type CaptureEvent =
  | { readonly type: 'changes'; readonly changeSet: ChangeSet }
  | { readonly type: 'schema'; readonly position: FramePosition; readonly tables?: readonly string[] }
  | { readonly type: 'refetch-all'; readonly position: FramePosition; readonly reason: string };
