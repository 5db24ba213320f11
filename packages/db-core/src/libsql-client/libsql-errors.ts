import { LibsqlBatchError, LibsqlError } from '@libsql/core/api';
import { DbError } from '../errors.ts';

/**
 * SQLite result codes by name. Local mode gets the numeric code from libsql-js (`rawCode`); the
 * primary (Hrana) reports only names, so the number comes from here, for the same
 * `code`/`extendedCode`/`rawCode` triple `@libsql/client` gives.
 */
const SQLITE_CODES: Readonly<Record<string, number>> = {
  SQLITE_ERROR: 1,
  SQLITE_INTERNAL: 2,
  SQLITE_PERM: 3,
  SQLITE_ABORT: 4,
  SQLITE_BUSY: 5,
  SQLITE_LOCKED: 6,
  SQLITE_NOMEM: 7,
  SQLITE_READONLY: 8,
  SQLITE_INTERRUPT: 9,
  SQLITE_IOERR: 10,
  SQLITE_CORRUPT: 11,
  SQLITE_NOTFOUND: 12,
  SQLITE_FULL: 13,
  SQLITE_CANTOPEN: 14,
  SQLITE_PROTOCOL: 15,
  SQLITE_EMPTY: 16,
  SQLITE_SCHEMA: 17,
  SQLITE_TOOBIG: 18,
  SQLITE_CONSTRAINT: 19,
  SQLITE_MISMATCH: 20,
  SQLITE_MISUSE: 21,
  SQLITE_NOLFS: 22,
  SQLITE_AUTH: 23,
  SQLITE_FORMAT: 24,
  SQLITE_RANGE: 25,
  SQLITE_NOTADB: 26,
  SQLITE_NOTICE: 27,
  SQLITE_WARNING: 28,
  SQLITE_ERROR_MISSING_COLLSEQ: 257,
  SQLITE_ERROR_RETRY: 513,
  SQLITE_ERROR_SNAPSHOT: 769,
  SQLITE_BUSY_RECOVERY: 261,
  SQLITE_BUSY_SNAPSHOT: 517,
  SQLITE_BUSY_TIMEOUT: 773,
  SQLITE_LOCKED_SHAREDCACHE: 262,
  SQLITE_LOCKED_VTAB: 518,
  SQLITE_READONLY_RECOVERY: 264,
  SQLITE_READONLY_CANTLOCK: 520,
  SQLITE_READONLY_ROLLBACK: 776,
  SQLITE_READONLY_DBMOVED: 1032,
  SQLITE_READONLY_CANTINIT: 1288,
  SQLITE_READONLY_DIRECTORY: 1544,
  SQLITE_ABORT_ROLLBACK: 516,
  SQLITE_CONSTRAINT_CHECK: 275,
  SQLITE_CONSTRAINT_COMMITHOOK: 531,
  SQLITE_CONSTRAINT_FOREIGNKEY: 787,
  SQLITE_CONSTRAINT_FUNCTION: 1043,
  SQLITE_CONSTRAINT_NOTNULL: 1299,
  SQLITE_CONSTRAINT_PRIMARYKEY: 1555,
  SQLITE_CONSTRAINT_TRIGGER: 1811,
  SQLITE_CONSTRAINT_UNIQUE: 2067,
  SQLITE_CONSTRAINT_VTAB: 2323,
  SQLITE_CONSTRAINT_ROWID: 2579,
  SQLITE_CONSTRAINT_PINNED: 2835,
  SQLITE_CONSTRAINT_DATATYPE: 3091,
};

const BASE_NAMES = new Map<number, string>(
  Object.entries(SQLITE_CODES)
    .filter(([, code]) => code < 256)
    .map(([name, code]) => [code, name]),
);

/**
 * The codes this client uses beyond SQLite's own (see the README's list of differences).
 * `CLIENT_CLOSED`, `TRANSACTION_CLOSED`, `URL_*` and `SQLITE_*` are upstream's.
 */
export type LiveframeClientErrorCode =
  | 'CLIENT_CLOSED'
  | 'TRANSACTION_CLOSED'
  | 'TRANSACTION_TIMEOUT'
  | 'SQL_MANY_STATEMENTS'
  | 'ARGS_INVALID'
  | 'SYNC_NOT_SUPPORTED'
  | 'URL_SCHEME_NOT_SUPPORTED'
  | 'URL_INVALID'
  | 'NOT_SUPPORTED';

/**
 * Maps what db-core throws to what `@libsql/client` would throw for the same failure. SQLite
 * failures keep their engine message (without db-core's SQL suffix) and get upstream's code
 * triple; db-core's own codes become the nearest upstream code, or keep their name (the DbError
 * stays the `cause`). Errors that are not DbErrors (RangeError/TypeError from argument or
 * `intMode` conversion, LibsqlErrors) pass unchanged, as upstream lets them through.
 */
export function toLibsqlError(error: unknown, context: 'client' | 'transaction' = 'client'): unknown {
  if (!(error instanceof DbError)) return error;
  const sqliteCode = error.sqliteCode;
  if (sqliteCode !== undefined && sqliteCode !== 'SQLITE_OK') {
    const raw = rawCodeOf(error.cause) ?? SQLITE_CODES[sqliteCode];
    const base =
      raw === undefined ? sqliteCode : (BASE_NAMES.get(raw & 0xff) ?? `SQLITE_UNKNOWN_${raw & 0xff}`);
    return new LibsqlError(engineMessage(error), base, sqliteCode, raw, error);
  }
  switch (error.code) {
    case 'EMPTY_SQL':
      // Upstream hands the empty statement to SQLite, which answers SQLITE_OK "not an error".
      return new LibsqlError('not an error', 'SQLITE_UNKNOWN_0', 'SQLITE_OK', 0, error);
    case 'CLOSED':
      return new LibsqlError('The client is closed', 'CLIENT_CLOSED', undefined, undefined, error);
    case 'TRANSACTION_STATE':
      return context === 'transaction'
        ? new LibsqlError('The transaction is closed', 'TRANSACTION_CLOSED', undefined, undefined, error)
        : new LibsqlError(error.message, 'TRANSACTION_STATE', undefined, undefined, error);
    case 'READ_ONLY':
      return new LibsqlError(engineMessage(error), 'SQLITE_READONLY', 'SQLITE_READONLY', 8, error);
    case 'BUSY':
      return new LibsqlError(engineMessage(error), 'SQLITE_BUSY', 'SQLITE_BUSY', 5, error);
    case 'MULTIPLE_STATEMENTS':
      return new LibsqlError(
        'only one statement can be executed here; use executeMultiple() or batch()',
        'SQL_MANY_STATEMENTS',
        undefined,
        undefined,
        error,
      );
    case 'BAD_PARAMS':
      return new LibsqlError(error.message, 'ARGS_INVALID', undefined, undefined, error);
    default:
      return new LibsqlError(error.message, error.code, undefined, undefined, error);
  }
}

/** A batch's failure as upstream reports it: a LibsqlBatchError with the failing statement's index. */
export function toLibsqlBatchError(error: unknown, statementIndex: number): unknown {
  const mapped = toLibsqlError(error);
  if (!(mapped instanceof LibsqlError) || mapped instanceof LibsqlBatchError) return mapped;
  // Upstream passes the already prefixed message again ("SQLITE_CONSTRAINT: SQLITE_CONSTRAINT: ..."); so do we.
  return new LibsqlBatchError(
    mapped.message,
    statementIndex,
    mapped.code,
    mapped.extendedCode,
    mapped.rawCode,
    mapped.cause instanceof Error ? mapped.cause : undefined,
  );
}

function rawCodeOf(cause: unknown): number | undefined {
  for (let current = cause, depth = 0; current instanceof Error && depth < 4; depth++) {
    const raw = (current as { rawCode?: unknown }).rawCode;
    if (typeof raw === 'number') return raw;
    current = current.cause;
  }
  return undefined;
}

/** SQLite's own message: the cause's, without the SQL text db-core appends to its own. */
function engineMessage(error: DbError): string {
  const cause = error.cause;
  if (cause instanceof Error && cause.message !== '') return cause.message;
  return error.sql === undefined ? error.message : error.message.replace(/ \(SQL: [\s\S]*\)$/, '');
}
