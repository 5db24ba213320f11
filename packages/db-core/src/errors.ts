import { NativeError, type NativeErrorCode } from '@liveframe/native';

/**
 * The one error type of db-core (house rule 2). Native errors are mapped where they enter
 * (`toDbError`), so callers only ever switch on `code`; the original error stays in `cause`.
 */
export type DbErrorCode =
  /** Another connection or process holds the lock longer than the busy timeout. */
  | 'BUSY'
  /** A read snapshot went stale before it could be upgraded to a write (SQLITE_BUSY_SNAPSHOT). */
  | 'BUSY_SNAPSHOT'
  | 'CONSTRAINT'
  /** A value or statement beyond a SQLite limit (`db.limit`, SQLITE_TOOBIG). */
  | 'LIMIT_EXCEEDED'
  /** Syntax errors, unknown tables/columns and other errors SQLite reports while preparing. */
  | 'SQL_ERROR'
  | 'EMPTY_SQL'
  /** `all/get/run` take exactly one statement; scripts go through `exec`. */
  | 'MULTIPLE_STATEMENTS'
  | 'BAD_PARAMS'
  | 'CLOSED'
  | 'READ_ONLY'
  /** A statement ran past its deadline (`{ timeoutMs }`, `withDeadline`) and was interrupted. */
  | 'DEADLINE_EXCEEDED'
  | 'INTERRUPTED'
  /** The authorizer set with `setAuthorizer` denied the statement. */
  | 'AUTHORIZATION_DENIED'
  /** The commit veto refused the commit; the transaction was rolled back. */
  | 'COMMIT_VETOED'
  /** A JS SQL function, aggregate or hook threw; its error is the `cause`. */
  | 'FUNCTION_ERROR'
  /** db-core or libsql-js was called from inside a SQL function or hook (would abort the process). */
  | 'REENTRANT_CALL'
  | 'NOT_SUPPORTED_IN_REPLICA_MODE'
  /** The operation does not exist in this mode (e.g. `freeze` or `compactChangeLog` on a local database). */
  | 'NOT_SUPPORTED'
  /**
   * Replica mode: the primary could not be reached (refused connection, handshake timeout,
   * network error, primary answering Unavailable) for a sync or a delegated write. Reads keep
   * working from the local replica.
   */
  | 'PRIMARY_UNAVAILABLE'
  /** Replica mode: the worker thread that owns the replica crashed or exited; every pending and later replica request fails with it. */
  | 'WORKER_EXITED'
  /** A sync or replica operation on a replica that was frozen into a local database (`freeze`). */
  | 'FROZEN'
  /** A migration recorded as applied whose text has changed since (`migrate`; a `MigrationError`). */
  | 'MIGRATION_CHANGED'
  /** A migration statement failed; everything the run applied was rolled back (a `MigrationError`). */
  | 'MIGRATION_FAILED'
  /** A migrations folder or list that cannot be read as one (missing file, bad journal, duplicate name). */
  | 'MIGRATION_INVALID'
  /** `migrate` could not take the write lock before its deadline (another writer held it). */
  | 'MIGRATION_LOCK_TIMEOUT'
  | 'EXTENSION_NOT_ALLOWED'
  | 'INVALID_OPTIONS'
  | 'TRANSACTION_STATE'
  | 'NATIVE_UNAVAILABLE'
  | 'IO_ERROR'
  | 'SQLITE_OTHER'
  | 'INTERNAL';

export interface DbErrorOptions {
  readonly sql?: string | undefined;
  readonly cause?: unknown;
  /** SQLite's extended code name when the error came from the engine, e.g. `SQLITE_CONSTRAINT_UNIQUE`. */
  readonly sqliteCode?: string | undefined;
}

/**
 * @example
 * try { db.get('SELECT * FROM nope') } catch (e) {
 *   if (e instanceof DbError && e.code === 'SQL_ERROR') console.log(e.sql, e.message);
 * }
 */
export class DbError extends Error {
  override readonly name = 'DbError';
  readonly code: DbErrorCode;
  readonly sql: string | undefined;
  readonly sqliteCode: string | undefined;

  constructor(code: DbErrorCode, message: string, options: DbErrorOptions = {}) {
    super(options.sql === undefined ? message : `${message} (SQL: ${truncate(options.sql)})`, {
      cause: options.cause,
    });
    this.code = code;
    this.sql = options.sql;
    this.sqliteCode = options.sqliteCode;
  }
}

export function isDbError(value: unknown, code?: DbErrorCode): value is DbError {
  return value instanceof DbError && (code === undefined || value.code === code);
}

function truncate(sql: string): string {
  const oneLine = sql.replace(/\s+/g, ' ').trim();
  return oneLine.length > 200 ? `${oneLine.slice(0, 200)}…` : oneLine;
}

const CODE_PREFIXES: readonly (readonly [string, DbErrorCode])[] = [
  ['SQLITE_BUSY_SNAPSHOT', 'BUSY_SNAPSHOT'],
  ['SQLITE_BUSY', 'BUSY'],
  ['SQLITE_LOCKED', 'BUSY'],
  ['SQLITE_CONSTRAINT', 'CONSTRAINT'],
  ['SQLITE_READONLY', 'READ_ONLY'],
  ['SQLITE_INTERRUPT', 'INTERRUPTED'],
  ['SQLITE_IOERR', 'IO_ERROR'],
  ['SQLITE_FULL', 'IO_ERROR'],
  ['SQLITE_CANTOPEN', 'IO_ERROR'],
  ['SQLITE_RANGE', 'BAD_PARAMS'],
  ['SQLITE_TOOBIG', 'LIMIT_EXCEEDED'],
  ['SQLITE_MISMATCH', 'BAD_PARAMS'],
  ['SQLITE_ERROR', 'SQL_ERROR'],
];

/**
 * Maps anything thrown by libsql-js (SqliteError, TypeError for closed handles, RangeError for
 * out-of-range bigints, plain Error for unbindable values) to a DbError carrying the SQL text.
 */
export function toDbError(error: unknown, sql?: string): DbError {
  if (error instanceof DbError) {
    if (error.sql !== undefined || sql === undefined) return error;
    return new DbError(error.code, error.message, { sql, cause: error.cause, sqliteCode: error.sqliteCode });
  }
  if (error instanceof NativeError) {
    return new DbError(NATIVE_CODES[error.code], error.message, {
      sql: sql ?? error.sql,
      cause: error,
      sqliteCode: sqliteCodeOf(error.cause),
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  const sqliteCode = sqliteCodeOf(error);
  if (sqliteCode !== undefined) {
    // "attempt to write a readonly database" comes as SQLITE_READONLY; query_only comes as SQLITE_READONLY too.
    const mapped = CODE_PREFIXES.find(([prefix]) => sqliteCode.startsWith(prefix))?.[1] ?? 'SQLITE_OTHER';
    if (sqliteCode === 'SQLITE_OK' && /not an error/.test(message)) {
      return new DbError('EMPTY_SQL', 'the SQL text contains no statement', {
        sql,
        cause: error,
        sqliteCode,
      });
    }
    return new DbError(mapped, message, { sql, cause: error, sqliteCode });
  }
  if (/connection is not open|database is closed/i.test(message)) {
    return new DbError('CLOSED', 'the database connection is closed', { sql, cause: error });
  }
  if (error instanceof RangeError || /can only bind|Loss of precision/i.test(message)) {
    return new DbError('BAD_PARAMS', message, { sql, cause: error });
  }
  return new DbError('INTERNAL', message, { sql, cause: error });
}

const NATIVE_CODES: Record<NativeErrorCode, DbErrorCode> = {
  LIBSQL_BINARY_MISSING: 'NATIVE_UNAVAILABLE',
  LIBSQL_LOAD_FAILED: 'NATIVE_UNAVAILABLE',
  ADDON_MISSING: 'NATIVE_UNAVAILABLE',
  EXTENSION_LOAD_FAILED: 'NATIVE_UNAVAILABLE',
  HANDSHAKE_FAILED: 'NATIVE_UNAVAILABLE',
  ALREADY_ATTACHED: 'INTERNAL',
  CONNECTION_CLOSED: 'CLOSED',
  DETACHED: 'CLOSED',
  REENTRANT_CALL: 'REENTRANT_CALL',
  OFF_THREAD: 'INTERNAL',
  DEADLINE_EXCEEDED: 'DEADLINE_EXCEEDED',
  INTERRUPTED: 'INTERRUPTED',
  COMMIT_VETOED: 'COMMIT_VETOED',
  CALLBACK_ERROR: 'FUNCTION_ERROR',
  FUNCTION_ERROR: 'FUNCTION_ERROR',
  AUTHORIZATION_DENIED: 'AUTHORIZATION_DENIED',
  LISTENER_ERROR: 'FUNCTION_ERROR',
  INVALID_ARGUMENT: 'BAD_PARAMS',
};

function sqliteCodeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}
