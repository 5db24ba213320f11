/**
 * The slice of the libsql-js (`libsql@0.5.29`) API that liveframe uses, typed by us: the package's
 * own declarations are copied from better-sqlite3 and promise things libsql-js does not do.
 *
 * Differences from better-sqlite3 worth knowing (see FACTS.md):
 * - Row objects returned by `get()` (and `all()`/`iterate()` in object mode) carry an extra
 *   `_metadata` property (`{ duration }` in seconds). Use `raw()` rows, or drop the key, before
 *   comparing rows structurally.
 * - `pluck()` only affects `all()`; `get()` still returns a row object.
 * - `function()`/`aggregate()` throw "not implemented": use `NativeConnection.defineFunction`.
 * - `authorizer(rules)` takes static rules and replaces our extension's authorizer.
 * - `readonly: true` is ignored; use `PRAGMA query_only=1`.
 */

/** A value SQLite can store, as libsql-js returns it. */
export type SqlValue = null | number | bigint | string | Uint8Array;

/** Bind parameters: positional values or one object of named values. */
export type BindParameters = readonly unknown[] | [Record<string, unknown>];

/** Extra per-row information libsql-js attaches to object rows. */
export interface RowMetadata {
  readonly duration: number;
}

/** An object row as returned by `get()`/`all()`: columns by name, plus libsql's `_metadata`. */
export type LibsqlRow = Record<string, unknown> & { readonly _metadata?: RowMetadata };

export interface RunResult {
  readonly changes: number;
  readonly lastInsertRowid: number | bigint;
}

export interface ColumnInfo {
  readonly name: string;
  readonly column: string | null;
  readonly table: string | null;
  readonly database: string | null;
  readonly type: string | null;
}

export interface LibsqlStatement {
  readonly reader: boolean;
  run(...params: unknown[]): RunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
  raw(enabled?: boolean): this;
  pluck(enabled?: boolean): this;
  safeIntegers(enabled?: boolean): this;
  columns(): ColumnInfo[];
  interrupt(): void;
}

/** What `sync()` reports (replica connections only). */
export interface SyncResult {
  readonly frames_synced: number;
  readonly frame_no: number;
}

export interface LibsqlTransaction<A extends unknown[], R> {
  (...args: A): R;
  deferred(...args: A): R;
  immediate(...args: A): R;
  exclusive(...args: A): R;
}

export interface LibsqlDatabase {
  readonly memory: boolean;
  readonly open: boolean;
  readonly inTransaction: boolean;
  prepare(sql: string): LibsqlStatement;
  exec(sql: string): void;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): LibsqlTransaction<A, R>;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  loadExtension(path: string, entryPoint?: string): void;
  /** Replica only; blocks the calling thread on the network. */
  sync(): SyncResult;
  /** Replica only; blocks until the replica reached `index` (no deadline: see FACTS.md). */
  syncUntil(index: number): SyncResult;
  maxWriteReplicationIndex(): number | undefined;
  interrupt(): void;
  close(): void;
  defaultSafeIntegers(enabled?: boolean): this;
}

export interface LibsqlOpenOptions {
  /** Embedded replica: URL of the primary (sqld's HTTP port). Writes are delegated to it. */
  syncUrl?: string;
  authToken?: string;
  readYourWrites?: boolean;
  /** Seconds between background syncs; 0 disables them. */
  syncPeriod?: number;
  encryptionKey?: string;
  /** Busy timeout in seconds (local connections). */
  timeout?: number;
}

export type LibsqlDatabaseConstructor = new (path: string, options?: LibsqlOpenOptions) => LibsqlDatabase;
