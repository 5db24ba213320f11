import type {
  Client,
  InArgs,
  InStatement,
  IntMode,
  Replicated,
  ResultSet,
  Transaction,
  TransactionMode,
} from '@libsql/core/api';
import { LibsqlError } from '@libsql/core/api';
import type { BatchStatement } from '../driver.ts';
import type { FramePosition } from '../position.ts';
import { batchFailureIndex } from '../raw-result.ts';
import type { LibsqlClientSource } from './client-source.ts';
import { LiveframeTransaction } from './client-transaction.ts';
import { toLibsqlBatchError, toLibsqlError } from './libsql-errors.ts';
import { toResultSet } from './result-set.ts';
import { type ClientStatement, normalizeStatement } from './statement-args.ts';

export interface LibsqlClientOptions {
  /** How integers come back, as `@libsql/client`'s `intMode` (default 'number'). */
  readonly intMode?: IntMode;
  /**
   * Interactive transactions still open after this many ms are rolled back and fail with
   * `TRANSACTION_TIMEOUT` (default 10 000): an abandoned one would otherwise hold the writer, and
   * with it every write of the database, forever.
   */
  readonly transactionTimeoutMs?: number;
  /**
   * How long a write waits for this client's own open transaction to end before failing with
   * SQLITE_BUSY, as upstream's `timeout` (busy timeout) option; default 0: fail at once, as
   * upstream does.
   */
  readonly timeout?: number;
  /** Called with the position of every write this client made (execute, batch, commit, executeMultiple). */
  readonly onWrite?: (position: FramePosition) => void;
  /** `close()` also closes the source (when it has a `close`); default false: the database is the caller's. */
  readonly ownsSource?: boolean;
}

/** A source that is still opening (`createClient` opens the database in the background). */
type PendingSource = () => Promise<LibsqlClientSource & { close?(): Promise<void> }>;

const MODES = new Set<TransactionMode>(['write', 'read', 'deferred']);

/**
 * The `@libsql/client` `Client` over a {@link LibsqlClientSource} (db-core's `Database`, or a
 * request-scoped wrapper of it). Reads run synchronously on the local connections through
 * db-core's statement cache; writes go through db-core's writer path (the primary in replica
 * mode) and their positions are kept in {@link lastWritePosition} for read-your-writes.
 *
 * @example
 * const db = await openDatabase({ mode: 'local', path: 'app.db' });
 * const client = createLibsqlClient(db);
 * const rs = await client.execute({ sql: 'SELECT * FROM todo WHERE id = ?', args: [1] });
 * rs.rows[0]?.title;
 */
export class LiveframeLibsqlClient implements Client {
  closed = false;
  readonly protocol = 'file';
  readonly #intMode: IntMode;
  readonly #options: LibsqlClientOptions;
  readonly #opener: PendingSource | undefined;
  #source: (LibsqlClientSource & { close?(): Promise<void> }) | undefined;
  #opening: Promise<LibsqlClientSource> | undefined;
  #closing: Promise<void> = Promise.resolve();
  #lastWrite: FramePosition | null = null;
  /** This client's open transactions that hold the writer (see `timeout`). */
  readonly #holders = new Set<Promise<void>>();
  /** Every open transaction of this client: `close()` rolls them back, as upstream's closing pool does. */
  readonly #open = new Set<LiveframeTransaction>();

  /** @internal Use `createLibsqlClient` or `createClient`. */
  constructor(source: LibsqlClientSource | PendingSource, options: LibsqlClientOptions = {}) {
    const intMode = options.intMode ?? 'number';
    if (intMode !== 'number' && intMode !== 'bigint' && intMode !== 'string') {
      throw new TypeError(
        `Invalid value for intMode, expected "number", "bigint" or "string", got ${JSON.stringify(intMode)}`,
      );
    }
    this.#intMode = intMode;
    this.#options = options;
    if (typeof source === 'function') this.#opener = source;
    else this.#source = source;
  }

  /** The position of the newest write this client made (null before the first): read with it as `minFrame`. */
  get lastWritePosition(): FramePosition | null {
    return this.#lastWrite;
  }

  execute(stmt: InStatement): Promise<ResultSet>;
  execute(sql: string, args?: InArgs): Promise<ResultSet>;
  async execute(stmtOrSql: InStatement, args?: InArgs): Promise<ResultSet> {
    this.#assertOpen();
    const { sql, params } = normalizeStatement(stmtOrSql, args);
    const source = this.#source ?? (await this.#ready());
    try {
      if (source.statementKind(sql) === 'read') return toResultSet(source.query(sql, params), this.#intMode);
      await this.#writerFree();
      const result = await source.execute(sql, params);
      this.#noteWrite(result.position);
      return toResultSet(result, this.#intMode);
    } catch (error) {
      throw toLibsqlError(error);
    }
  }

  /**
   * Atomic, as upstream. A batch of reads only (or mode 'read') runs in one read transaction on a
   * local connection; anything else goes to the writer path in one unit ('deferred' and 'write'
   * behave the same there: writes are serialized, so there is no upgrade to fail).
   */
  async batch(
    stmts: Array<InStatement | [string, InArgs?]>,
    mode: TransactionMode = 'deferred',
  ): Promise<Array<ResultSet>> {
    this.#assertOpen();
    if (!MODES.has(mode)) {
      throw new RangeError('Unknown transaction mode, supported values are "write", "read" and "deferred"');
    }
    const statements: ClientStatement[] = [];
    for (let i = 0; i < stmts.length; i++) {
      try {
        statements.push(normalizeStatement(stmts[i]!));
      } catch (error) {
        throw toLibsqlBatchError(error, i);
      }
    }
    const source = this.#source ?? (await this.#ready());
    const batch: BatchStatement[] = statements.map((s) => ({ sql: s.sql, params: s.params }));
    try {
      const readOnly = mode === 'read' || statements.every((s) => source.statementKind(s.sql) === 'read');
      if (!readOnly) await this.#writerFree();
      const { results, position } = await source.batchRaw(batch, { readOnly });
      if (!readOnly) this.#noteWrite(position);
      return results.map((r) => toResultSet(r, this.#intMode));
    } catch (error) {
      throw toLibsqlBatchError(error, batchFailureIndex(error) ?? 0);
    }
  }

  /**
   * As upstream: the statements in one deferred transaction with foreign-key enforcement off
   * around it (db-core's `foreignKeys: false`; SQLite ignores the PRAGMA inside a transaction),
   * all or nothing, the first failure thrown as a LibsqlBatchError with its index.
   */
  async migrate(stmts: Array<InStatement>): Promise<Array<ResultSet>> {
    this.#assertOpen();
    const statements: ClientStatement[] = [];
    for (let i = 0; i < stmts.length; i++) {
      try {
        statements.push(normalizeStatement(stmts[i]!));
      } catch (error) {
        throw toLibsqlBatchError(error, i);
      }
    }
    const source = this.#source ?? (await this.#ready());
    await this.#writerFree();
    try {
      const { value, position } = await source.transaction(
        async (tx) => {
          const results: ResultSet[] = [];
          for (let i = 0; i < statements.length; i++) {
            const { sql, params } = statements[i]!;
            try {
              results.push(toResultSet(await tx.query(sql, params), this.#intMode));
            } catch (error) {
              throw toLibsqlBatchError(error, i);
            }
          }
          return results;
        },
        { behavior: 'deferred', foreignKeys: false },
      );
      this.#noteWrite(position);
      return value;
    } catch (error) {
      throw error instanceof LibsqlError ? error : toLibsqlBatchError(error, 0);
    }
  }

  transaction(mode?: TransactionMode): Promise<Transaction>;
  async transaction(mode: TransactionMode = 'write'): Promise<Transaction> {
    this.#assertOpen();
    const source = this.#source ?? (await this.#ready());
    // A local read transaction has a connection of its own; everything else holds the writer.
    const holdsWriter = mode !== 'read' || source.mode === 'replica';
    if (holdsWriter) await this.#writerFree();
    let settle!: () => void;
    const held = new Promise<void>((resolve) => {
      settle = resolve;
    });
    if (holdsWriter) this.#holders.add(held);
    let tx: LiveframeTransaction | undefined;
    try {
      tx = await LiveframeTransaction.begin(source, mode, {
        intMode: this.#intMode,
        timeoutMs: this.#options.transactionTimeoutMs ?? 10_000,
        onCommit: (position) => this.#noteWrite(position),
        onSettled: () => {
          this.#holders.delete(held);
          if (tx !== undefined) this.#open.delete(tx);
          settle();
        },
      });
      if (tx.closed) return tx;
      this.#open.add(tx);
      if (this.closed) tx.close();
      return tx;
    } catch (error) {
      this.#holders.delete(held);
      settle();
      throw error;
    }
  }

  /** A script on the writer path; upstream's rule holds: statements before a failing one stay applied. */
  async executeMultiple(sql: string): Promise<void> {
    this.#assertOpen();
    const source = this.#source ?? (await this.#ready());
    try {
      await this.#writerFree();
      this.#noteWrite(await source.exec(sql));
    } catch (error) {
      throw toLibsqlError(error);
    }
  }

  /** Replica mode: `{ frame_no, frames_synced }`. Local mode has nothing to sync: SYNC_NOT_SUPPORTED, as upstream's file client. */
  async sync(): Promise<Replicated> {
    this.#assertOpen();
    const source = this.#source ?? (await this.#ready());
    if (source.mode !== 'replica') {
      throw new LibsqlError('sync() needs an embedded replica (a syncUrl)', 'SYNC_NOT_SUPPORTED');
    }
    try {
      const { position, framesSynced } = await source.sync();
      return { frame_no: position.frame, frames_synced: framesSynced };
    } catch (error) {
      throw toLibsqlError(error);
    }
  }

  /**
   * Marks the client closed at once (synchronous, as upstream); an owned database closes in the
   * background: await `closeAsync()` (or `await using`) to know it is closed.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const tx of [...this.#open]) tx.close();
    if (this.#options.ownsSource !== true) return;
    const source = this.#source;
    const opening = this.#opening;
    this.#source = undefined;
    this.#opening = undefined;
    const previous = this.#closing;
    this.#closing = (async () => {
      await previous;
      const owned = source ?? (opening === undefined ? undefined : await opening.catch(() => undefined));
      await (owned as { close?(): Promise<void> } | undefined)?.close?.();
    })();
  }

  /** `close()`, resolved once an owned database is closed. */
  async closeAsync(): Promise<void> {
    this.close();
    await this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.closeAsync();
  }

  /**
   * Reopens after `close()`. A client that opened its own database (`createClient`) opens it
   * again; one over a caller's database just becomes usable again (the database must be open).
   */
  reconnect(): void {
    this.closed = false;
  }

  #ready(): Promise<LibsqlClientSource> {
    if (this.#source !== undefined) return Promise.resolve(this.#source);
    const open = this.#opener;
    if (open === undefined) return Promise.reject(new LibsqlError('The client is closed', 'CLIENT_CLOSED'));
    this.#opening ??= (async () => {
      // A reconnect after close waits for the old database to be closed first (same file).
      await this.#closing;
      try {
        const source = await open();
        if (this.closed) {
          await source.close?.();
          throw new LibsqlError('The client is closed', 'CLIENT_CLOSED');
        }
        this.#source = source;
        return source;
      } catch (error) {
        this.#opening = undefined;
        throw toLibsqlError(error);
      }
    })();
    return this.#opening;
  }

  /** Waits (up to `timeout`) for this client's open transactions that hold the writer, as a busy timeout would. */
  async #writerFree(): Promise<void> {
    if (this.#holders.size === 0) return;
    const timeout = this.#options.timeout ?? 0;
    const deadline = Date.now() + timeout;
    while (this.#holders.size > 0) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new LibsqlError('database is locked', 'SQLITE_BUSY', 'SQLITE_BUSY', 5);
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([...this.#holders]),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, remaining);
        }),
      ]);
      clearTimeout(timer);
    }
  }

  #noteWrite(position: FramePosition): void {
    this.#lastWrite = position;
    this.#options.onWrite?.(position);
  }

  #assertOpen(): void {
    if (this.closed) throw new LibsqlError('The client is closed', 'CLIENT_CLOSED');
  }
}

/**
 * A `@libsql/client`-compatible `Client` over an open db-core `Database` (or any
 * {@link LibsqlClientSource}). It does not close the database unless `ownsSource` is set.
 *
 * @example
 * import { drizzle } from 'drizzle-orm/libsql';
 * const orm = drizzle(createLibsqlClient(db));
 */
export function createLibsqlClient(
  source: LibsqlClientSource,
  options: LibsqlClientOptions = {},
): LiveframeLibsqlClient {
  return new LiveframeLibsqlClient(source, options);
}
