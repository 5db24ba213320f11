import { randomUUID } from 'node:crypto';
import { AsyncMutex } from './async-mutex.ts';
import {
  type CommitCapture,
  type CommitCaptureFactory,
  nativeCommitCapture,
} from './capture/commit-capture.ts';
import type { CaptureEvent } from './change-set.ts';
import { ChangeBroadcaster } from './change-stream.ts';
import { Connection } from './connection.ts';
import type {
  BatchResult,
  BatchStatement,
  ChangeStreamOptions,
  Driver,
  SyncResult,
  TransactionBehavior,
  WaitForFrameResult,
  WriteResult,
} from './driver.ts';
import { DbError } from './errors.ts';
import { runLocalBatch, runLocalBatchRaw } from './local-batch.ts';
import type { FramePosition } from './position.ts';
import type { RawBatchResult, RawResult, RawTransaction, RawWriteResult } from './raw-result.ts';
import { ReadConnectionPool } from './read-connection-pool.ts';
import { runTransaction } from './transaction.ts';
import type { BindParams, Row } from './values.ts';

export interface LocalDriverOptions {
  readonly path: string;
  readonly busyTimeoutMs?: number;
  readonly statementCacheSize?: number;
  /** How often to look for commits by other processes (`PRAGMA data_version`); 0 disables polling. */
  readonly externalChangePollMs?: number;
  /**
   * Change capture for the writer: native row-level capture by default; `false` turns it off,
   * and every commit then yields `refetch-all`.
   */
  readonly capture?: CommitCaptureFactory | false;
  /** Transaction behavior when none is given. IMMEDIATE avoids read-to-write upgrade deadlocks (SQLITE_BUSY). */
  readonly defaultBehavior?: TransactionBehavior;
  /** Generation id of this driver's frames; default a random UUID made at open. */
  readonly generation?: string;
  /**
   * @internal Publish events into this broadcaster instead of one of its own: a frozen replica
   * keeps its subscribers' streams across the switch to local mode.
   */
  readonly broadcaster?: ChangeBroadcaster;
}

/**
 * Local mode: one write connection (WAL, owns transactions and change capture) behind an async
 * mutex, and query-only connections for reads, cursors and read-only transactions, so a reader
 * never sees another caller's uncommitted transaction.
 *
 * Frames: the generation is a random id made at open, and the frame is a counter of commits
 * made through this driver (one per captured transaction). It is not the WAL frame count:
 * checkpoints reset the WAL, and a counter orders events without gaps. Commits by other
 * processes on the same file are not ours to number: they are detected through
 * `PRAGMA data_version` and reported as `refetch-all`.
 */
export class LocalDriver implements Driver {
  readonly mode = 'local' as const;
  readonly generation: string;
  readonly connections: ReadConnectionPool;
  readonly #writer: Connection;
  readonly #mutex = new AsyncMutex();
  readonly #events: ChangeBroadcaster;
  readonly #capture: CommitCapture | undefined;
  readonly #frameWaiters = new Set<() => void>();
  readonly #defaultBehavior: TransactionBehavior;
  #frame = 0;
  #dataVersion: number;
  #schemaVersion: number;
  #poll: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(writer: Connection, pool: ReadConnectionPool, options: LocalDriverOptions) {
    this.#writer = writer;
    this.connections = pool;
    this.generation = options.generation ?? randomUUID();
    this.#events = options.broadcaster ?? new ChangeBroadcaster(() => this.position());
    this.#defaultBehavior = options.defaultBehavior ?? 'immediate';
    this.#dataVersion = this.#pragma('data_version');
    this.#schemaVersion = this.#pragma('schema_version');
    this.#capture = options.capture === false ? undefined : (options.capture ?? nativeCommitCapture)(writer);
    const pollMs = options.externalChangePollMs ?? 250;
    if (pollMs > 0) {
      this.#poll = setInterval(() => this.#checkExternalChanges(), pollMs);
      this.#poll.unref();
    }
  }

  /**
   * @example
   * await using driver = LocalDriver.open({ path: '/data/app.db' });
   * await driver.run('INSERT INTO t(name) VALUES (?)', ['a']);
   */
  static open(options: LocalDriverOptions): LocalDriver {
    const connectionOptions = {
      extension: true,
      ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }),
      ...(options.statementCacheSize === undefined ? {} : { statementCacheSize: options.statementCacheSize }),
    };
    const writer = Connection.open(options.path, connectionOptions);
    try {
      writer.exec('PRAGMA journal_mode = WAL');
      const pool = new ReadConnectionPool(options.path, connectionOptions);
      pool.adopt(writer, 'writer');
      return new LocalDriver(writer, pool, options);
    } catch (error) {
      writer.close();
      throw error;
    }
  }

  /** The write connection, for features that only make sense where writes happen (capture, hooks). */
  get writer(): Connection {
    return this.#writer;
  }

  all<T extends Row = Row>(sql: string, params?: BindParams): T[] {
    this.#assertOpen(sql);
    return this.connections.reader.all<T>(sql, params);
  }

  get<T extends Row = Row>(sql: string, params?: BindParams): T | undefined {
    this.#assertOpen(sql);
    return this.connections.reader.get<T>(sql, params);
  }

  run(sql: string, params?: BindParams): Promise<WriteResult> {
    return this.#write(sql, () => {
      const result = this.#writer.run(sql, params);
      return { ...result, position: this.#afterWrite() };
    });
  }

  query(sql: string, params?: BindParams): RawResult {
    this.#assertOpen(sql);
    return this.connections.reader.query(sql, params);
  }

  execute(sql: string, params?: BindParams): Promise<RawWriteResult> {
    return this.#write(sql, () => {
      let result: RawResult;
      try {
        result = this.#writer.query(sql, params);
      } catch (error) {
        // A failing statement may still have ended a transaction or committed nothing; numbering stays exact.
        if (!this.#writer.inTransaction) this.#afterWrite();
        throw error;
      }
      if (this.#writer.inTransaction) {
        // BEGIN through execute would hold the writer beyond this call; transactions go through transaction().
        this.#writer.exec('ROLLBACK');
        throw new DbError(
          'TRANSACTION_STATE',
          'execute() must not leave a transaction open; use transaction()',
          {
            sql,
          },
        );
      }
      return { ...result, position: this.#afterWrite() };
    });
  }

  batchRaw(statements: readonly BatchStatement[]): Promise<RawBatchResult> {
    return this.#write(undefined, async () => {
      try {
        const results = await runLocalBatchRaw(this.#writer, statements);
        return { results, position: this.#afterWrite() };
      } catch (error) {
        this.#afterWrite();
        throw error;
      }
    });
  }

  exec(sql: string): Promise<FramePosition> {
    return this.#write(sql, () => {
      try {
        this.#writer.exec(sql);
      } finally {
        // A failing script may have committed its first statements.
        if (!this.#writer.inTransaction) this.#afterWrite();
      }
      if (this.#writer.inTransaction) {
        this.#writer.exec('ROLLBACK');
        throw new DbError('TRANSACTION_STATE', 'exec() scripts must not leave a transaction open', { sql });
      }
      return this.position();
    });
  }

  batch(statements: readonly BatchStatement[]): Promise<BatchResult> {
    return this.#write(undefined, async () => {
      try {
        const results = await runLocalBatch(this.#writer, statements);
        return { results, position: this.#afterWrite() };
      } catch (error) {
        this.#afterWrite();
        throw error;
      }
    });
  }

  async transaction<T>(
    fn: (tx: RawTransaction) => Promise<T>,
    options: { behavior?: TransactionBehavior; timeoutMs?: number; foreignKeys?: boolean } = {},
  ): Promise<{ value: T; position: FramePosition }> {
    const behavior = options.behavior ?? this.#defaultBehavior;
    if (behavior === 'read-only') {
      this.#assertOpen();
      const conn = this.connections.acquire();
      try {
        const value = await runTransaction(conn, withDeadline(conn, fn, options.timeoutMs), 'read-only');
        return { value, position: this.position() };
      } finally {
        this.connections.release(conn);
      }
    }
    return this.#write(undefined, async () => {
      // SQLite ignores PRAGMA foreign_keys inside a transaction: switched around it, on the writer.
      const restore = options.foreignKeys === false ? this.#foreignKeysOff() : undefined;
      try {
        const value = await runTransaction(
          this.#writer,
          withDeadline(this.#writer, fn, options.timeoutMs),
          behavior,
        );
        return { value, position: this.#afterWrite() };
      } catch (error) {
        this.#afterWrite();
        throw error;
      } finally {
        restore?.();
      }
    });
  }

  position(): FramePosition {
    return { generation: this.generation, frame: this.#frame };
  }

  async sync(): Promise<SyncResult> {
    this.#assertOpen();
    this.#checkExternalChanges();
    return { position: this.position(), framesSynced: 0 };
  }

  waitForFrame(target: FramePosition, options: { timeoutMs: number }): Promise<WaitForFrameResult> {
    const check = (): WaitForFrameResult | undefined => {
      const position = this.position();
      if (target.generation !== this.generation) return { status: 'generation-changed', position };
      if (target.frame <= position.frame) return { status: 'reached', position };
      if (this.#closed) return { status: 'timeout', position };
      return undefined;
    };
    const now = check();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve) => {
      const onFrame = () => {
        const result = check();
        if (result === undefined) return;
        clearTimeout(timer);
        this.#frameWaiters.delete(onFrame);
        resolve(result);
      };
      const timer = setTimeout(() => {
        this.#frameWaiters.delete(onFrame);
        resolve({ status: 'timeout', position: this.position() });
      }, options.timeoutMs);
      this.#frameWaiters.add(onFrame);
    });
  }

  changes(options?: ChangeStreamOptions): AsyncIterable<CaptureEvent> {
    return this.#events.subscribe(options);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#poll !== undefined) clearInterval(this.#poll);
    // Let a running transaction finish before the handle goes away.
    await this.#mutex.runExclusive(() => undefined);
    for (const waiter of [...this.#frameWaiters]) waiter();
    this.#events.close();
    this.#capture?.close();
    this.connections.close();
    this.#writer.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #write<T>(sql: string | undefined, fn: () => T | Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new DbError('CLOSED', 'the database is closed', { sql }));
    return this.#mutex.runExclusive(() => {
      this.#assertOpen(sql);
      return fn();
    });
  }

  /**
   * Turns whatever the writer committed into events, right after the statement: change sets from
   * native capture, a schema event after DDL, and the new position.
   */
  #afterWrite(): FramePosition {
    if (this.#closed) return this.position();
    this.#checkExternalChanges(true);
    if (this.#capture !== undefined) {
      for (const committed of this.#capture.drain()) {
        // Every commit is a frame; one that changed no row (DDL only, empty) publishes nothing.
        this.#frame++;
        if (committed.changes.length === 0) continue;
        this.#events.publish({
          type: 'changes',
          changeSet: { generation: this.generation, frame: this.#frame, changes: committed.changes },
        });
      }
    } else if (!this.#writer.inTransaction) {
      this.#frame++;
      this.#events.publish({
        type: 'refetch-all',
        position: this.position(),
        reason: 'change capture unavailable',
      });
    }
    const schemaVersion = this.#pragma('schema_version');
    if (schemaVersion !== this.#schemaVersion) {
      this.#schemaVersion = schemaVersion;
      this.connections.invalidateStatements();
      this.#capture?.schemaChanged();
      this.#events.publish({ type: 'schema', position: this.position() });
    }
    for (const waiter of [...this.#frameWaiters]) waiter();
    return this.position();
  }

  /** data_version moves only for commits of other connections, i.e. other processes here. */
  #checkExternalChanges(holdingWriter = false): void {
    if (this.#closed || (!holdingWriter && this.#mutex.locked)) return;
    const dataVersion = this.#pragma('data_version');
    if (dataVersion === this.#dataVersion) return;
    this.#dataVersion = dataVersion;
    const schemaVersion = this.#pragma('schema_version');
    if (schemaVersion !== this.#schemaVersion) {
      this.#schemaVersion = schemaVersion;
      this.connections.invalidateStatements();
      this.#capture?.schemaChanged();
      this.#events.publish({ type: 'schema', position: this.position() });
    }
    this.#events.publish({
      type: 'refetch-all',
      position: this.position(),
      reason: 'another process committed to the database file',
    });
  }

  /** Turns foreign-key enforcement off on the writer; returns what puts it back as it was. */
  #foreignKeysOff(): () => void {
    const was = Number(this.#writer.get('PRAGMA foreign_keys')?.foreign_keys ?? 0);
    this.#writer.exec('PRAGMA foreign_keys = OFF');
    return () => {
      if (was === 1 && !this.#writer.closed) this.#writer.exec('PRAGMA foreign_keys = ON');
    };
  }

  #pragma(name: 'data_version' | 'schema_version'): number {
    const row = this.#writer.get(`PRAGMA ${name}`);
    return Number(row?.[name] ?? 0);
  }

  #assertOpen(sql?: string): void {
    if (this.#closed) throw new DbError('CLOSED', 'the database is closed', { sql });
  }
}

/**
 * A transaction body bounded by a deadline: statements still running when it passes are
 * interrupted by the extension, and a body that ends late fails too, so the transaction rolls
 * back. The deadline is cleared before COMMIT/ROLLBACK, which must always be able to run.
 */
function withDeadline<T>(
  conn: Connection,
  fn: (tx: RawTransaction) => Promise<T>,
  timeoutMs: number | undefined,
): (tx: RawTransaction) => Promise<T> {
  if (timeoutMs === undefined) return fn;
  return async (tx) => {
    const end = performance.now() + timeoutMs;
    conn.setDeadline(timeoutMs);
    try {
      const value = await fn(tx);
      if (performance.now() > end) {
        throw new DbError(
          'DEADLINE_EXCEEDED',
          `the transaction ran longer than its ${timeoutMs} ms deadline`,
        );
      }
      return value;
    } finally {
      conn.setDeadline(null);
    }
  };
}
