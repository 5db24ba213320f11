import type { CaptureEvent } from './change-set.ts';
import type { FramePosition } from './position.ts';
import type { RawBatchResult, RawResult, RawTransaction, RawWriteResult } from './raw-result.ts';
import type { LocalConnections } from './read-connection-pool.ts';
import type { BindParams, Row } from './values.ts';

/**
 * The one interface both connection modes implement (house rule 5); the contract test suite
 * runs against every implementation. Reads run on local connections and are synchronous;
 * writes are asynchronous because in replica mode they go to the primary over the network
 * (house rule 3: nothing blocks the event loop on the network).
 */
export type ConnectionMode = 'local' | 'replica';

export type TransactionBehavior = 'deferred' | 'immediate' | 'exclusive' | 'read-only';

export interface WriteResult {
  readonly changes: number;
  readonly lastInsertRowid: bigint;
  /** The frame this write reached: a read carrying it as `minFrame` is guaranteed to see the write. */
  readonly position: FramePosition;
}

/** One statement of a `batch()`. */
export interface BatchStatement {
  readonly sql: string;
  readonly params?: BindParams;
}

/** Per statement of a batch: its row counts, and its rows when it returns any (SELECT, RETURNING). */
export interface BatchStatementResult extends Omit<WriteResult, 'position'> {
  readonly rows: Row[];
}

export interface BatchResult {
  readonly results: readonly BatchStatementResult[];
  /** The frame the batch's commit reached. */
  readonly position: FramePosition;
}

/** Statements inside a transaction; reads see the transaction's own writes. */
export interface Transaction {
  run(sql: string, params?: BindParams): Promise<Omit<WriteResult, 'position'>>;
  all<T extends Row = Row>(sql: string, params?: BindParams): Promise<T[]>;
  get<T extends Row = Row>(sql: string, params?: BindParams): Promise<T | undefined>;
  /** Runs fn inside a nested savepoint: a throw rolls back to it and rethrows, the outer transaction stays usable. */
  savepoint<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
}

export type WaitForFrameResult =
  | { readonly status: 'reached'; readonly position: FramePosition }
  | { readonly status: 'generation-changed'; readonly position: FramePosition }
  | { readonly status: 'timeout'; readonly position: FramePosition };

export interface SyncResult {
  readonly position: FramePosition;
  readonly framesSynced: number;
}

export interface ChangeStreamOptions {
  readonly signal?: AbortSignal;
  /** Bounded buffer; a consumer that falls further behind gets one refetch-all event. */
  readonly bufferSize?: number;
}

export interface Driver extends AsyncDisposable {
  readonly mode: ConnectionMode;

  all<T extends Row = Row>(sql: string, params?: BindParams): T[];
  get<T extends Row = Row>(sql: string, params?: BindParams): T | undefined;

  run(sql: string, params?: BindParams): Promise<WriteResult>;

  /** A read on the local connections with its raw result (duplicate column names, declared types, exact integers). */
  query(sql: string, params?: BindParams): RawResult;
  /** Any one statement on the write path (the primary in replica mode) with its raw result and position. */
  execute(sql: string, params?: BindParams): Promise<RawWriteResult>;
  /** `batch` with raw per-statement results. */
  batchRaw(statements: readonly BatchStatement[]): Promise<RawBatchResult>;

  /** Runs a multi-statement script (migrations). */
  exec(sql: string): Promise<FramePosition>;
  /** `foreignKeys: false`: foreign-key enforcement off for this transaction (set before BEGIN, restored after). */
  transaction<T>(
    fn: (tx: RawTransaction) => Promise<T>,
    options?: { behavior?: TransactionBehavior; timeoutMs?: number; foreignKeys?: boolean },
  ): Promise<{ value: T; position: FramePosition }>;
  /**
   * Statements as one atomic unit (all or nothing; the first failure is thrown). In replica
   * mode this is one request to the primary, the cheapest write there is.
   */
  batch(statements: readonly BatchStatement[]): Promise<BatchResult>;

  /** What the local read connections see now. */
  position(): FramePosition;
  sync(): Promise<SyncResult>;
  waitForFrame(target: FramePosition, options: { timeoutMs: number }): Promise<WaitForFrameResult>;

  /**
   * The driver's plain local connections on the database file, when it has them (both modes
   * do). The Database facade builds cursors, introspection, read-sets and native
   * per-connection features (functions, limits, authorizer, deadlines) on them.
   */
  readonly connections?: LocalConnections;

  /** Committed changes as one ordered, cancellable stream. */
  changes(options?: ChangeStreamOptions): AsyncIterable<CaptureEvent>;

  close(): Promise<void>;
}
