/**
 * The slice of `@liveframe/db-core` the server consumes: db-core's own types, re-exported so the
 * rest of the server imports them from one place.
 */
import type {
  Database,
  BindParams as DbBindParams,
  ReadSet as DbReadSet,
  FramePosition,
} from '@liveframe/db-core';

export type {
  BatchResult,
  BatchStatement,
  BindParams,
  CaptureEvent,
  ChangeSet,
  Database,
  Driver,
  FramePosition,
  ReadSet,
  Row,
  RowFilter,
  SqlValue,
  TableChange,
  Transaction,
  WaitForFrameResult,
  WriteResult,
} from '@liveframe/db-core';

/**
 * db-core's database plus what the server adds around it: everything the server needs from the
 * database layer.
 */
export interface LiveDatabase {
  /** db-core's Database (local file or embedded replica). */
  readonly driver: Database;
  /** The tables (and rowids where provable) `sql` reads, computed by the engine (EXPLAIN). */
  readSet(sql: string, params?: DbBindParams): DbReadSet;
  /**
   * Newest position of the primary this server has heard of, in its replica's generation
   * (replica lag in /metrics and /health); undefined in local mode.
   */
  primaryPosition?(): FramePosition | undefined;
}
