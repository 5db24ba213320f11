/**
 * The slice of `@liveframe/db-core` the server consumes, mirrored structurally until db-core's
 * `index.ts` lands (it has the same shapes: `Driver`, `FramePosition`, `CaptureEvent`, read-sets).
 * When it does, this file becomes `export type { ... } from '@liveframe/db-core'` and nothing
 * else in the server changes.
 */

export type SqlValue = null | number | bigint | string | Uint8Array;
export type BindParams = readonly SqlValue[] | Readonly<Record<string, SqlValue>>;
export type Row = Record<string, SqlValue>;

export interface FramePosition {
  readonly generation: string;
  readonly frame: number;
}

export interface TableChange {
  readonly table: string;
  readonly op: 'insert' | 'update' | 'delete';
  readonly rowid: number | null;
}

export interface ChangeSet {
  readonly generation: string;
  readonly frame: number;
  readonly changes: readonly TableChange[];
}

export type CaptureEvent =
  | { readonly type: 'changes'; readonly changeSet: ChangeSet }
  | { readonly type: 'schema'; readonly position: FramePosition; readonly tables?: readonly string[] }
  | { readonly type: 'refetch-all'; readonly position: FramePosition; readonly reason: string };

export interface WriteResult {
  readonly changes: number;
  readonly lastInsertRowid: bigint;
  readonly position: FramePosition;
}

export interface Transaction {
  run(sql: string, params?: BindParams): Promise<Omit<WriteResult, 'position'>>;
  all<T extends Row = Row>(sql: string, params?: BindParams): Promise<T[]>;
  get<T extends Row = Row>(sql: string, params?: BindParams): Promise<T | undefined>;
  savepoint<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
}

export type WaitForFrameResult =
  | { readonly status: 'reached'; readonly position: FramePosition }
  | { readonly status: 'generation-changed'; readonly position: FramePosition }
  | { readonly status: 'timeout'; readonly position: FramePosition };

/** Which rows of one table a statement can read (reactive's `RowFilter`). */
export type RowFilter =
  | { readonly kind: 'all' }
  | { readonly kind: 'rowids'; readonly rowids: ReadonlySet<number> };

/** Everything a statement reads, derived from the engine (db-core's `readSet`). */
export interface ReadSet {
  readonly tables: ReadonlyMap<string, RowFilter>;
}

export interface Driver extends AsyncDisposable {
  readonly mode: 'local' | 'replica';
  all<T extends Row = Row>(sql: string, params?: BindParams): T[];
  get<T extends Row = Row>(sql: string, params?: BindParams): T | undefined;
  run(sql: string, params?: BindParams): Promise<WriteResult>;
  exec(sql: string): Promise<FramePosition>;
  transaction<T>(
    fn: (tx: Transaction) => Promise<T>,
    options?: { behavior?: 'deferred' | 'immediate' | 'exclusive' | 'read-only' },
  ): Promise<{ value: T; position: FramePosition }>;
  position(): FramePosition;
  sync(): Promise<{ position: FramePosition; framesSynced: number }>;
  waitForFrame(target: FramePosition, options: { timeoutMs: number }): Promise<WaitForFrameResult>;
  changes(options?: { signal?: AbortSignal; bufferSize?: number }): AsyncIterable<CaptureEvent>;
  close(): Promise<void>;
}

/**
 * A driver plus the engine-derived read-set of a statement: everything the server needs from
 * the database layer.
 */
export interface LiveDatabase {
  readonly driver: Driver;
  /** The tables (and rowids where provable) `sql` reads, computed by the engine (EXPLAIN). */
  readSet(sql: string, params?: BindParams): ReadSet;
  /** Latest position of the primary, when known (replica lag in /metrics). */
  primaryPosition?(): FramePosition | undefined;
}
