import type { FramePosition } from '../position.ts';

/**
 * The typed message protocol between a ReplicaDriver (main thread) and the worker thread that
 * owns the libsql-js replica connection (syncs, scripts, change-log upkeep; statements and
 * transactions go to the primary over HTTP from the main thread, see primary-http.ts). Requests carry ids; every request gets exactly one
 * reply; events (unsolicited) report what the worker's syncs brought in.
 */

export interface WorkerOptions {
  readonly file: string;
  readonly syncUrl: string;
  readonly authToken?: string;
  /** Periodic sync in the worker; 0 or absent disables it. */
  readonly syncIntervalMs?: number;
  /** Re-run the change-log installer on the primary when a sync shows tables without triggers. */
  readonly autoRefreshTriggers: boolean;
}

export type Request =
  | { readonly type: 'sync' }
  | { readonly type: 'wait-for-frame'; readonly target: FramePosition; readonly deadline: number }
  | { readonly type: 'exec'; readonly sql: string }
  | { readonly type: 'install-change-log' }
  | { readonly type: 'compact-change-log'; readonly maxAgeMs: number | null; readonly maxRows: number | null }
  | { readonly type: 'snapshot'; readonly path: string }
  | { readonly type: 'close' }
  /** Test hook: the worker exits abruptly, as if it had crashed. */
  | { readonly type: 'debug-exit' };

export interface InstallReport {
  /** User tables that carry change-log triggers after the install. */
  readonly tables: readonly string[];
  readonly createdTriggers: number;
  readonly droppedTriggers: number;
  readonly position: FramePosition;
}

export interface CompactReport {
  readonly deleted: number;
  /** Smallest seq left in the log. */
  readonly minSeq: number;
  readonly position: FramePosition;
}

export type WaitReply =
  | { readonly status: 'reached'; readonly position: FramePosition }
  | { readonly status: 'generation-changed'; readonly position: FramePosition }
  | { readonly status: 'timeout'; readonly position: FramePosition };

export interface ReplyMap {
  sync: { position: FramePosition; framesSynced: number };
  'wait-for-frame': WaitReply;
  exec: { position: FramePosition };
  'install-change-log': InstallReport;
  'compact-change-log': CompactReport;
  snapshot: { position: FramePosition };
  close: null;
  'debug-exit': null;
}

/** Errors cross the thread boundary as plain objects and are rebuilt as DbError on the main thread. */
export interface SerializedError {
  readonly code: string;
  readonly message: string;
  readonly sql: string | undefined;
  readonly sqliteCode: string | undefined;
  readonly cause: string | undefined;
}

/**
 * Changes travel column-wise: one table-name dictionary plus parallel arrays, so a 100k-row
 * change set costs the main thread one cheap structured clone instead of 100k object clones.
 */
export interface ColumnarChanges {
  /** Change-log seq of the first change; the others follow without gaps. */
  readonly firstSeq: number;
  readonly tables: readonly string[];
  /** Index into `tables` per change. */
  readonly tableIndex: Uint32Array;
  /** 1 insert, 2 update, 3 delete. */
  readonly ops: Uint8Array;
  /** Row ids; NaN where unknown. */
  readonly rowids: Float64Array;
}

/** What one frame-advancing sync (or delegated write) brought in, in emission order. */
export interface AdvanceEvent {
  readonly type: 'advance';
  readonly position: FramePosition;
  readonly previous: FramePosition;
  /** Set when the primary started a new generation since the previous position. */
  readonly generationChanged: boolean;
  /** Tables whose schema changed (created, dropped or altered) when PRAGMA schema_version moved. */
  readonly schemaTables: readonly string[] | null;
  readonly changes: ColumnarChanges | null;
  /** Set when the log cannot tell what changed (rows compacted away, log not installed). */
  readonly refetchAll: string | null;
  /** Seq of the last change-log row the replica has read; null while there is no log. */
  readonly logCursor: number | null;
}

export type WorkerMessage =
  | { readonly type: 'ready'; readonly position: FramePosition; readonly logCursor: number | null }
  | { readonly type: 'open-failed'; readonly error: SerializedError }
  | { readonly type: 'reply'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly type: 'reply'; readonly id: number; readonly ok: false; readonly error: SerializedError }
  | AdvanceEvent
  | { readonly type: 'sync-error'; readonly error: SerializedError };

export type RequestEnvelope = { readonly id: number; readonly request: Request };
