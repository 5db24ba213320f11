import type { Transaction } from './driver.ts';
import type { FramePosition } from './position.ts';
import type { BindParams, SqlValue } from './values.ts';

/**
 * A statement's result as the engine produced it, for callers that need more than row objects:
 * value arrays keep duplicate column names and an empty result keeps its columns, and integers
 * stay exact bigints so a caller can tell INTEGER from REAL (the libSQL-compatible client maps
 * them per `intMode`; row objects cannot, since `all()` turns safe integers into numbers).
 *
 * @example
 * const r = db.query('SELECT 1 AS x, 2 AS x');
 * r.columns; // ['x', 'x']
 * r.rows;    // [[1n, 2n]]
 */
export interface RawResult {
  readonly columns: readonly string[];
  /** Declared types of the columns (`INTEGER`, `TEXT`...), '' for expressions. */
  readonly columnTypes: readonly string[];
  /** Rows as values in column order: every integer a bigint, blobs as Uint8Array. */
  readonly rows: readonly (readonly SqlValue[])[];
  /**
   * Rows changed, for statements that return no rows; 0 for statements that return rows (RETURNING
   * included), the same in both modes (the local engine reports nothing else for those).
   */
  readonly changes: number;
  /** The connection's last insert rowid after a statement that returns no rows; null otherwise. */
  readonly lastInsertRowid: bigint | null;
}

export interface RawWriteResult extends RawResult {
  /** The frame the write reached (read with it as `minFrame` to see it). */
  readonly position: FramePosition;
}

export interface RawBatchResult {
  readonly results: readonly RawResult[];
  /** The frame the batch's commit reached (what local reads see now for a read-only batch). */
  readonly position: FramePosition;
}

/**
 * Where a statement runs: `read` statements only read the database and leave the connection as it
 * was, so they can run on the local read connections; everything else (writes, DDL, transaction
 * control, PRAGMAs that change state, ATTACH) is a `write` for the writer path.
 */
export type StatementKind = 'read' | 'write';

/** A transaction whose statements can also answer raw results and run scripts. */
export interface RawTransaction extends Transaction {
  /** Any statement inside the transaction (reads see its own writes), raw. */
  query(sql: string, params?: BindParams): Promise<RawResult>;
  /** A script of statements without parameters, inside the transaction. */
  exec(sql: string): Promise<void>;
}

/**
 * Which statement of a batch failed. Batches throw their first failure as the DbError it is (one
 * error type per layer); the index rides alongside it here, for callers that report it (the
 * libSQL client's `LibsqlBatchError.statementIndex`). Statement texts can repeat in a batch, so
 * the SQL on the error cannot tell.
 */
const batchFailures = new WeakMap<object, number>();

/** @internal Records that `error` came from statement `index` of a batch. */
export function noteBatchFailure(error: unknown, index: number): void {
  if (typeof error === 'object' && error !== null && !batchFailures.has(error))
    batchFailures.set(error, index);
}

/** The 0-based index of the batch statement `error` came from, when a batch threw it. */
export function batchFailureIndex(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null ? batchFailures.get(error) : undefined;
}
