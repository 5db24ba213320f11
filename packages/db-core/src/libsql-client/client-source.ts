import type { BatchStatement, ConnectionMode, SyncResult, TransactionBehavior } from '../driver.ts';
import type { FramePosition } from '../position.ts';
import type {
  RawBatchResult,
  RawResult,
  RawTransaction,
  RawWriteResult,
  StatementKind,
} from '../raw-result.ts';
import type { BindParams } from '../values.ts';

/**
 * Everything the libSQL-compatible client needs from the database underneath, and nothing more.
 * db-core's `Database` satisfies it as is. It is kept this narrow so that a wrapper can stand in
 * for the database: the server builds the same client over a request-scoped source that checks
 * each statement's table permissions and records it into the live query's read-set before
 * delegating. Every SQL text (with its parameters) the client runs passes through exactly one of
 * `query`, `execute`, `batchRaw`, `exec` or a transaction handle's methods, so checking those
 * covers everything; `statementKind` only classifies and runs nothing.
 *
 * Parameters arrive already converted to db-core values (the client maps `@libsql/client`
 * argument types and pads missing arguments with NULL first).
 *
 * @example
 * const guarded: LibsqlClientSource = {
 *   mode: db.mode,
 *   statementKind: (sql) => db.statementKind(sql),
 *   query: (sql, params) => (check(sql, params), db.query(sql, params)),
 *   execute: async (sql, params) => (check(sql, params), db.execute(sql, params)),
 *   batchRaw: async (stmts, options) => (stmts.forEach((s) => check(s.sql, s.params)), db.batchRaw(stmts, options)),
 *   transaction: (fn, options) => db.transaction((tx) => fn(guardRawTransaction(tx)), options),
 *   exec: async (sql) => (check(sql), db.exec(sql)),
 *   sync: () => db.sync(),
 * };
 * const client = createLibsqlClient(guarded);
 */
export interface LibsqlClientSource {
  readonly mode: ConnectionMode;
  /**
   * `read`: the statement runs on the local connections through `query`; `write`: through
   * `execute`. Decided by the engine (db-core: `Database.statementKind`), never by the text.
   */
  statementKind(sql: string): StatementKind;
  /** A read on the local connections, synchronously. */
  query(sql: string, params?: BindParams): RawResult;
  /** One statement on the write path (the primary in replica mode); resolves with the position it reached. */
  execute(sql: string, params?: BindParams): Promise<RawWriteResult>;
  /**
   * Statements as one atomic unit. `readOnly`: in one read transaction on a local connection
   * (writes refused); otherwise on the write path.
   */
  batchRaw(statements: readonly BatchStatement[], options?: { readOnly?: boolean }): Promise<RawBatchResult>;
  /**
   * An interactive transaction: `fn` gets the handle, the transaction commits when its promise
   * resolves and rolls back when it rejects. The client keeps `fn` pending until the caller
   * commits or rolls back, bounded by its transaction deadline. `foreignKeys: false` (used by
   * `migrate`) turns foreign-key enforcement off around the transaction.
   */
  transaction<T>(
    fn: (tx: RawTransaction) => Promise<T>,
    options?: { behavior?: TransactionBehavior; foreignKeys?: boolean },
  ): Promise<{ value: T; position: FramePosition }>;
  /** A script of statements without parameters (`executeMultiple`), on the write path. */
  exec(sql: string): Promise<FramePosition>;
  /** Replica mode: pulls the primary's new frames. */
  sync(): Promise<SyncResult>;
}
