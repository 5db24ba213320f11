import type { Connection } from './connection.ts';
import type { Transaction, TransactionBehavior } from './driver.ts';
import { DbError, toDbError } from './errors.ts';
import type { RawResult, RawTransaction } from './raw-result.ts';
import type { BindParams, Row } from './values.ts';

const BEGIN: Record<TransactionBehavior, string> = {
  deferred: 'BEGIN DEFERRED',
  immediate: 'BEGIN IMMEDIATE',
  exclusive: 'BEGIN EXCLUSIVE',
  'read-only': 'BEGIN DEFERRED',
};

/**
 * Runs `fn` in a transaction on `conn`. The caller guarantees nobody else uses the connection
 * meanwhile (the local driver holds its write mutex; read-only transactions get a connection of
 * their own). A throw rolls back and rethrows; savepoints nest to any depth.
 */
export async function runTransaction<T>(
  conn: Connection,
  fn: (tx: RawTransaction) => Promise<T>,
  behavior: TransactionBehavior,
): Promise<T> {
  if (conn.inTransaction) {
    throw new DbError(
      'TRANSACTION_STATE',
      'a transaction is already open on this connection; use tx.savepoint()',
    );
  }
  conn.exec(BEGIN[behavior]);
  const scope = new TransactionScope(conn, 0);
  try {
    const value = await fn(scope);
    scope.assertIdle();
    scope.end();
    conn.exec('COMMIT');
    return value;
  } catch (error) {
    scope.end();
    // SQLite may already have rolled back on its own (e.g. SQLITE_FULL, a failed COMMIT).
    if (conn.inTransaction) {
      try {
        conn.exec('ROLLBACK');
      } catch {
        // The original error is the one that matters.
      }
    }
    throw error;
  }
}

/** One transaction or savepoint level. Using an outer level while an inner savepoint runs is refused. */
class TransactionScope implements RawTransaction {
  readonly #conn: Connection;
  readonly #depth: number;
  #ended = false;
  #childActive = false;

  constructor(conn: Connection, depth: number) {
    this.#conn = conn;
    this.#depth = depth;
  }

  async run(sql: string, params?: BindParams) {
    this.#assertUsable(sql);
    return this.#conn.run(sql, params);
  }

  async all<T extends Row = Row>(sql: string, params?: BindParams): Promise<T[]> {
    this.#assertUsable(sql);
    return this.#conn.all<T>(sql, params);
  }

  async get<T extends Row = Row>(sql: string, params?: BindParams): Promise<T | undefined> {
    this.#assertUsable(sql);
    return this.#conn.get<T>(sql, params);
  }

  async query(sql: string, params?: BindParams): Promise<RawResult> {
    this.#assertUsable(sql);
    return this.#conn.query(sql, params);
  }

  async exec(sql: string): Promise<void> {
    this.#assertUsable(sql);
    this.#conn.exec(sql);
  }

  async savepoint<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    this.#assertUsable();
    const name = `lf_sp_${this.#depth + 1}`;
    this.#conn.exec(`SAVEPOINT ${name}`);
    const child = new TransactionScope(this.#conn, this.#depth + 1);
    this.#childActive = true;
    try {
      const value = await fn(child);
      child.assertIdle();
      child.end();
      this.#conn.exec(`RELEASE ${name}`);
      return value;
    } catch (error) {
      child.end();
      if (this.#conn.inTransaction) {
        try {
          // ROLLBACK TO keeps the savepoint open; RELEASE closes it so the outer level continues.
          this.#conn.exec(`ROLLBACK TO ${name}; RELEASE ${name}`);
        } catch (rollbackError) {
          throw toDbError(rollbackError);
        }
      }
      throw error;
    } finally {
      this.#childActive = false;
    }
  }

  assertIdle(): void {
    if (this.#childActive) {
      throw new DbError('TRANSACTION_STATE', 'a savepoint is still running; await it before finishing');
    }
  }

  end(): void {
    this.#ended = true;
  }

  #assertUsable(sql?: string): void {
    if (this.#ended) {
      throw new DbError('TRANSACTION_STATE', 'this transaction or savepoint has already finished', { sql });
    }
    if (this.#childActive) {
      throw new DbError('TRANSACTION_STATE', 'use the savepoint handle while the savepoint runs', { sql });
    }
  }
}
