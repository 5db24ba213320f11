import type { Authorizer } from '@liveframe/native';
import { checkBindParams } from './bind-params.ts';
import { DbError, toDbError } from './errors.ts';
import {
  attachNativeExtension,
  type NativeColumn,
  type NativeConnection,
  type NativeExtension,
  type NativeStatement,
  openNativeConnection,
} from './libsql-binding.ts';
import type { RawResult } from './raw-result.ts';
import { exactIntegers } from './safe-integers.ts';
import { analyzeSql, type ParameterInfo, splitStatements } from './sql-text.ts';
import { StatementCache } from './statement-cache.ts';
import type { BindParams, Row, SqlValue } from './values.ts';

export interface ConnectionOptions {
  /** `PRAGMA query_only=1`: libsql-js ignores `{ readonly: true }`, so this is how reads are fenced. */
  readonly readOnly?: boolean;
  /** How long a statement waits for another connection's lock before failing with BUSY. */
  readonly busyTimeoutMs?: number;
  /** Prepared statements kept per connection (LRU). */
  readonly statementCacheSize?: number;
  /**
   * Load our native extension (change capture, JS functions, limits, authorizer, deadlines).
   * Drivers ask for it on every local connection they own; a failure to load is an error
   * (NATIVE_UNAVAILABLE), never a silent downgrade.
   */
  readonly extension?: boolean;
}

/**
 * Wraps the execution of one statement on a connection (the writer's change capture uses it to
 * add markers for changes SQLite's update hook does not report). `direct` runs SQL unwrapped.
 */
export type WriteInterceptor = <T>(sql: string, execute: () => T, direct: (sql: string) => void) => T;

/** A table a statement may write, as the authorizer reported it while preparing. */
export interface WriteTarget {
  readonly action: 'INSERT' | 'UPDATE' | 'DELETE';
  readonly table: string;
  /** The trigger whose body performs the write; null for the statement itself. */
  readonly trigger: string | null;
}

export interface RunResult {
  readonly changes: number;
  readonly lastInsertRowid: bigint;
}

/** One column of a result, as SQLite describes it. Origin fields are null for expressions. */
export interface ColumnInfo {
  readonly name: string;
  readonly declaredType: string | null;
  readonly originTable: string | null;
  readonly originColumn: string | null;
  readonly database: string | null;
}

/** A statement owned by one cursor, never shared with the cache (see `Connection.openIterator`). */
export interface StatementIterator {
  readonly columns: readonly string[];
  /** Up to `max` rows as raw value arrays; fewer means the result is exhausted. */
  nextBatch(max: number): SqlValue[][];
  /** Ends the statement early so it no longer holds the connection's read snapshot. */
  release(): void;
}

type AccessMode = 'get' | 'all' | 'run';

interface CachedStatement {
  readonly stmt: NativeStatement;
  readonly params: ParameterInfo;
  columns: string[];
  /** Declared column types ('' for expressions), read with the names. */
  types: string[];
  /**
   * Column names read at prepare time can predate another connection's DDL (SQLite only notices
   * at execution and re-prepares), so they are read again once after the first execution.
   */
  columnsConfirmed: boolean;
}

const DEFAULT_CACHE_SIZE = 128;

/**
 * Owns one libsql-js local connection (house rule 1): the handle stays private, every error
 * leaving it is a DbError with the SQL text, and it refuses use after close (libsql-js
 * statements keep working on a closed connection otherwise).
 *
 * Prepared statements are cached by (access mode, SQL text). Keeping get, all and run on
 * separate statement objects is what makes this immune to the libsql-js bug where `get()`
 * right after `all()`/`iterate()` on the same statement reuses the previous bind values.
 *
 * @example
 * using conn = Connection.open('/tmp/app.db');
 * conn.run('CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)');
 * conn.run('INSERT INTO t(name) VALUES (?)', ['a']);
 * conn.get<{ name: string }>('SELECT name FROM t WHERE id = ?', [1]); // { name: 'a' }
 */
export class Connection implements Disposable {
  readonly path: string;
  readonly readOnly: boolean;
  readonly #native: NativeConnection;
  readonly #cache: StatementCache<CachedStatement>;
  readonly #openIterators = new Set<StatementIterator>();
  #extension: NativeExtension | undefined;
  #interceptor: WriteInterceptor | undefined;
  #authorizer: Authorizer | null = null;
  #closed = false;
  #onClose: (() => void)[] = [];

  private constructor(path: string, native: NativeConnection, options: ConnectionOptions) {
    this.path = path;
    this.readOnly = options.readOnly ?? false;
    this.#native = native;
    this.#cache = new StatementCache(options.statementCacheSize ?? DEFAULT_CACHE_SIZE);
  }

  static open(path: string, options: ConnectionOptions = {}): Connection {
    let native: NativeConnection;
    try {
      native = openNativeConnection(path);
    } catch (error) {
      throw toDbError(error);
    }
    const connection = new Connection(path, native, options);
    try {
      connection.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
      if (options.readOnly) connection.exec('PRAGMA query_only = 1');
      if (options.extension === true) connection.#attachExtension();
    } catch (error) {
      connection.close();
      throw error;
    }
    return connection;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get inTransaction(): boolean {
    this.#assertOpen();
    return this.#native.inTransaction;
  }

  /** All rows as objects keyed by column name (a later duplicate name wins, as in SQLite bindings). */
  all<T extends Row = Row>(sql: string, params?: BindParams): T[] {
    const entry = this.#statement('all', sql);
    const args = checkBindParams(params, entry.params, sql);
    let rows: unknown[];
    try {
      rows =
        this.#interceptor === undefined
          ? entry.stmt.all(args)
          : this.#intercept(sql, () => entry.stmt.all(args));
    } catch (error) {
      throw this.#fail(error, sql);
    }
    const out: T[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = this.#toObject(entry, rows[i] as SqlValue[], sql) as T;
    return out;
  }

  /** The first row, or undefined. */
  get<T extends Row = Row>(sql: string, params?: BindParams): T | undefined {
    const entry = this.#statement('get', sql);
    const args = checkBindParams(params, entry.params, sql);
    let row: unknown;
    try {
      row =
        this.#interceptor === undefined
          ? entry.stmt.get(args)
          : this.#intercept(sql, () => entry.stmt.get(args));
    } catch (error) {
      throw this.#fail(error, sql);
    }
    return row === undefined ? undefined : (this.#toObject(entry, row as SqlValue[], sql) as T);
  }

  /** All rows as value arrays in column order (cheaper than objects; duplicate names survive). */
  values(sql: string, params?: BindParams): SqlValue[][] {
    const entry = this.#statement('all', sql);
    const args = checkBindParams(params, entry.params, sql);
    let rows: SqlValue[][];
    try {
      rows = (
        this.#interceptor === undefined
          ? entry.stmt.all(args)
          : this.#intercept(sql, () => entry.stmt.all(args))
      ) as SqlValue[][];
    } catch (error) {
      throw this.#fail(error, sql);
    }
    for (const row of rows) exactIntegers(row);
    return rows;
  }

  /**
   * Any one statement with its raw result (see RawResult): value arrays with exact bigint
   * integers, column names and declared types (kept for empty results too). Statements without
   * result columns run as `run` does and report changes and the last insert rowid.
   */
  query(sql: string, params?: BindParams): RawResult {
    const entry = this.#statement('all', sql);
    if (!entry.stmt.reader) {
      const { changes, lastInsertRowid } = this.run(sql, params);
      return { columns: [], columnTypes: [], rows: [], changes, lastInsertRowid };
    }
    const args = checkBindParams(params, entry.params, sql);
    let rows: SqlValue[][];
    try {
      rows = (
        this.#interceptor === undefined
          ? entry.stmt.all(args)
          : this.#intercept(sql, () => entry.stmt.all(args))
      ) as SqlValue[][];
    } catch (error) {
      throw this.#fail(error, sql);
    }
    if (!entry.columnsConfirmed || (rows.length > 0 && rows[0]!.length !== entry.columns.length)) {
      // First execution, or another connection's DDL made SQLite re-prepare it (see #toObject).
      describeInto(entry);
      entry.columnsConfirmed = true;
    }
    return { columns: entry.columns, columnTypes: entry.types, rows, changes: 0, lastInsertRowid: null };
  }

  run(sql: string, params?: BindParams): RunResult {
    const entry = this.#statement('run', sql);
    const args = checkBindParams(params, entry.params, sql);
    let result: { changes: number; lastInsertRowid: number | bigint };
    try {
      result =
        this.#interceptor === undefined
          ? entry.stmt.run(args)
          : this.#intercept(sql, () => entry.stmt.run(args));
    } catch (error) {
      throw this.#fail(error, sql);
    }
    if (analyzeSqlCached(sql).changesSchema) this.invalidateStatements();
    return { changes: result.changes, lastInsertRowid: BigInt(result.lastInsertRowid) };
  }

  /** Runs a script of any number of statements without parameters (migrations, PRAGMAs). */
  exec(sql: string): void {
    this.#assertOpen();
    try {
      if (this.#interceptor === undefined) this.#native.exec(sql);
      else this.#interceptExec(sql);
    } catch (error) {
      throw this.#fail(error, sql);
    } finally {
      if (analyzeSqlCached(sql).changesSchema) this.invalidateStatements();
    }
  }

  columns(sql: string): ColumnInfo[] {
    return this.#statement('all', sql).stmt.columns().map(toColumnInfo);
  }

  parameters(sql: string): ParameterInfo {
    return this.#statement('all', sql).params;
  }

  /**
   * A dedicated, uncached statement for streaming. Rows come in batches from libsql-js's
   * iterator; `release()` interrupts the connection when the result is not exhausted, because
   * an unfinished statement pins the read snapshot (later writes then fail with BUSY_SNAPSHOT)
   * and libsql-js has no reset/finalize. Interrupting is connection-wide, so callers give each
   * open iterator its own connection.
   */
  openIterator(sql: string, params?: BindParams): StatementIterator {
    const { stmt, params: info } = this.#prepare(sql);
    const args = checkBindParams(params, info, sql);
    if (stmt.reader) stmt.raw(true).safeIntegers(true);
    let columns: string[];
    let iterator: Iterator<unknown>;
    try {
      columns = stmt.columns().map((c) => c.name);
      iterator = stmt.iterate(args);
    } catch (error) {
      throw this.#fail(error, sql);
    }
    let done = false;
    const handle: StatementIterator = {
      columns,
      nextBatch: (max) => {
        const batch: SqlValue[][] = [];
        if (done) return batch;
        this.#assertOpen(sql);
        try {
          while (batch.length < max) {
            const next = iterator.next();
            if (next.done) {
              done = true;
              this.#openIterators.delete(handle);
              break;
            }
            batch.push(exactIntegers(next.value as SqlValue[]));
          }
        } catch (error) {
          done = true;
          this.#openIterators.delete(handle);
          throw this.#fail(error, sql);
        }
        return batch;
      },
      release: () => {
        if (done) return;
        done = true;
        this.#openIterators.delete(handle);
        if (this.#closed) return;
        this.#native.interrupt();
        try {
          // Stepping after the interrupt ends the statement; libsql-js buffers 100 rows, so drain them.
          for (let i = 0; i < 101; i++) if (iterator.next().done) break;
        } catch {
          // SQLITE_INTERRUPT is the expected way out.
        }
      },
    };
    this.#openIterators.add(handle);
    return handle;
  }

  get openIterators(): number {
    return this.#openIterators.size;
  }

  loadExtension(path: string): void {
    this.#assertOpen();
    try {
      this.#native.loadExtension(path);
    } catch (error) {
      throw toDbError(error);
    }
  }

  /** Our native extension on this connection, when it was opened with `extension: true`. */
  get extension(): NativeExtension | undefined {
    return this.#extension;
  }

  /** The extension, or a typed error saying why a native feature cannot work here. */
  requireExtension(feature: string): NativeExtension {
    this.#assertOpen();
    if (this.#extension === undefined) {
      throw new DbError('NATIVE_UNAVAILABLE', `${feature} needs the native extension on this connection`);
    }
    return this.#extension;
  }

  /** Installs (or removes) the write interceptor; only the local writer has one. */
  setWriteInterceptor(interceptor: WriteInterceptor | undefined): void {
    this.#interceptor = interceptor;
  }

  /**
   * Sets the permission authorizer (null removes it). Cached statements were authorized when
   * they were prepared, so the cache is dropped: the new rules apply to the next call.
   */
  setAuthorizer(authorizer: Authorizer | null): void {
    this.requireExtension('setAuthorizer').setAuthorizer(authorizer);
    this.#authorizer = authorizer;
    this.invalidateStatements();
  }

  /**
   * The tables a statement may write (its own targets and those of the triggers it fires), from
   * the authorizer while preparing a throwaway copy of it. Undefined when it does not prepare.
   */
  writeTargets(sql: string): WriteTarget[] | undefined {
    const extension = this.requireExtension('writeTargets');
    const user = this.#authorizer;
    const targets: WriteTarget[] = [];
    extension.setAuthorizer((action, arg1, arg2, db, trigger) => {
      if ((action === 'INSERT' || action === 'UPDATE' || action === 'DELETE') && arg1 !== null) {
        if (!arg1.startsWith('sqlite_')) {
          targets.push({ action, table: db === 'main' || db === null ? arg1 : `${db}.${arg1}`, trigger });
        }
      }
      return user === null ? 'ok' : user(action, arg1, arg2, db, trigger);
    });
    try {
      this.#native.prepare(sql);
      return targets;
    } catch {
      if (this.#extension !== undefined) this.#extension.translateError(undefined);
      return undefined;
    } finally {
      extension.setAuthorizer(user);
    }
  }

  /**
   * Runs `fn` with a deadline for every statement it runs on this connection; a statement still
   * running when it passes fails with DEADLINE_EXCEEDED.
   */
  withDeadline<T>(ms: number, fn: () => T): T {
    const extension = this.requireExtension('deadlines');
    try {
      return extension.withDeadline(ms, fn);
    } catch (error) {
      throw toDbError(error);
    }
  }

  /** Sets (or with null clears) a deadline that outlives one call: cursors, transactions. */
  setDeadline(ms: number | null): void {
    this.requireExtension('deadlines').setDeadline(ms);
  }

  /** Drops every cached statement; SQLite re-prepares them on next use with fresh column names. */
  invalidateStatements(): void {
    this.#cache.clear();
  }

  /** Registers cleanup run once at close (native per-connection state, pools). */
  onClose(fn: () => void): void {
    this.#onClose.push(fn);
  }

  /** Interrupts whatever runs on this connection (used by deadlines and cursor release). */
  interrupt(): void {
    if (!this.#closed) this.#native.interrupt();
  }

  close(): void {
    if (this.#closed) return;
    for (const iterator of [...this.#openIterators]) iterator.release();
    this.#closed = true;
    this.#cache.clear();
    const hooks = this.#onClose;
    this.#onClose = [];
    for (const fn of hooks) {
      try {
        fn();
      } catch {
        // Cleanup must not keep the handle open.
      }
    }
    try {
      this.#native.close();
    } catch {
      // Closing twice or after a failed open is harmless.
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  get cacheStats(): { size: number; evictions: number } {
    return { size: this.#cache.size, evictions: this.#cache.evictions };
  }

  #statement(mode: AccessMode, sql: string): CachedStatement {
    const key = mode + sql;
    const cached = this.#cache.get(key);
    if (cached !== undefined) {
      if (this.#closed) throw closedError(sql);
      return cached;
    }
    const prepared = this.#prepare(sql);
    // raw() throws for statements without result columns; those yield no rows anyway.
    const raw = mode !== 'run' && prepared.stmt.reader;
    // safeIntegers: integers beyond 2^53 come back as exact bigints (converted back to numbers
    // where safe), never as silently rounded numbers.
    if (raw) prepared.stmt.raw(true).safeIntegers(true);
    const described = raw ? prepared.stmt.columns() : [];
    const entry: CachedStatement = {
      stmt: prepared.stmt,
      params: prepared.params,
      columns: described.map((c) => c.name),
      types: described.map((c) => c.type ?? ''),
      columnsConfirmed: !raw,
    };
    this.#cache.set(key, entry);
    return entry;
  }

  #prepare(sql: string): { stmt: NativeStatement; params: ParameterInfo } {
    this.#assertOpen(sql);
    if (typeof sql !== 'string') throw new DbError('BAD_PARAMS', 'SQL must be a string');
    const shape = analyzeSqlCached(sql);
    if (shape.statementCount === 0)
      throw new DbError('EMPTY_SQL', 'the SQL text contains no statement', { sql });
    if (shape.statementCount > 1) {
      throw new DbError('MULTIPLE_STATEMENTS', 'only one statement allowed here; use exec() for scripts', {
        sql,
      });
    }
    try {
      return { stmt: this.#native.prepare(sql), params: shape.parameters };
    } catch (error) {
      throw this.#fail(error, sql);
    }
  }

  #toObject(entry: CachedStatement, values: SqlValue[], sql: string): Row {
    let names = entry.columns;
    if (!entry.columnsConfirmed) {
      names = describeInto(entry);
      entry.columnsConfirmed = true;
    }
    if (names.length !== values.length) {
      // Another connection changed the schema and SQLite re-prepared the statement under us.
      names = describeInto(entry);
      this.invalidateStatements();
      if (names.length !== values.length) throw new DbError('INTERNAL', 'column count mismatch', { sql });
    }
    const row: Row = {};
    for (let i = 0; i < names.length; i++) {
      const value = values[i]!;
      row[names[i]!] =
        typeof value === 'bigint' && value >= MIN_SAFE && value <= MAX_SAFE ? Number(value) : value;
    }
    return row;
  }

  #fail(error: unknown, sql: string): DbError {
    const mapped = toDbError(this.#extension === undefined ? error : this.#translate(error, sql), sql);
    if (mapped.sqliteCode === 'SQLITE_SCHEMA') this.invalidateStatements();
    return this.#closed ? closedError(sql) : mapped;
  }

  #assertOpen(sql?: string): void {
    if (this.#closed) throw closedError(sql);
  }

  #attachExtension(): void {
    try {
      this.#extension = attachNativeExtension(this.#native);
    } catch (error) {
      throw new DbError(
        'NATIVE_UNAVAILABLE',
        `cannot load the liveframe native extension: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    const extension = this.#extension;
    // A query_only connection never writes: buffering nothing keeps its per-statement hook cheap.
    if (this.readOnly) extension.setCapture(false);
    this.onClose(() => extension[Symbol.dispose]());
  }

  /** Maps failures our extension caused (deadline, authorizer, JS function, veto) to their cause. */
  #translate(error: unknown, sql: string): unknown {
    try {
      return this.#extension?.translateError(error, sql) ?? error;
    } catch {
      return error;
    }
  }

  #intercept<T>(sql: string, execute: () => T): T {
    return this.#interceptor!(sql, execute, (direct) => this.#native.exec(direct));
  }

  /** Scripts go statement by statement through the interceptor, so each gets its markers. */
  #interceptExec(sql: string): void {
    const statements = splitStatements(sql);
    if (statements.length === 1) {
      this.#intercept(sql, () => this.#native.exec(sql));
      return;
    }
    for (const statement of statements) this.#intercept(statement, () => this.#native.exec(statement));
  }
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Re-reads a cached statement's column names and declared types; returns the names. */
function describeInto(entry: CachedStatement): string[] {
  const described = entry.stmt.columns();
  entry.columns = described.map((c) => c.name);
  entry.types = described.map((c) => c.type ?? '');
  return entry.columns;
}

function closedError(sql?: string): DbError {
  return new DbError('CLOSED', 'the database connection is closed', { sql });
}

function toColumnInfo(c: NativeColumn): ColumnInfo {
  return {
    name: c.name,
    declaredType: c.type,
    originTable: c.table,
    originColumn: c.column,
    database: c.database,
  };
}

const shapes = new StatementCache<ReturnType<typeof analyzeSql>>(1024);

/** SQL analysis is pure, so one process-wide cache serves every connection. */
export function analyzeSqlCached(sql: string): ReturnType<typeof analyzeSql> {
  let shape = shapes.get(sql);
  if (shape === undefined) {
    shape = analyzeSql(sql);
    shapes.set(sql, shape);
  }
  return shape;
}
