import { DbError, type DbErrorCode, toDbError } from '../errors.ts';
import type { SerializedError } from './protocol.ts';

/**
 * Errors of delegated writes arrive from libsql-js without a SQLite code, as Rust debug strings:
 * `RemoteSqliteFailure(3, 2067, "UNIQUE constraint failed: t.v")`,
 * `WriteDelegation(status: PermissionDenied, message: "no such table: nope", ...)`,
 * `Sqlite3SyntaxError(1, 6, "SELEC")`. They are mapped here, where they enter, so callers see
 * the same DbError codes as in local mode.
 */
const EXTENDED_CODES: Record<number, string> = {
  1: 'SQLITE_ERROR',
  5: 'SQLITE_BUSY',
  6: 'SQLITE_LOCKED',
  8: 'SQLITE_READONLY',
  9: 'SQLITE_INTERRUPT',
  10: 'SQLITE_IOERR',
  13: 'SQLITE_FULL',
  14: 'SQLITE_CANTOPEN',
  19: 'SQLITE_CONSTRAINT',
  20: 'SQLITE_MISMATCH',
  25: 'SQLITE_RANGE',
  275: 'SQLITE_CONSTRAINT_CHECK',
  517: 'SQLITE_BUSY_SNAPSHOT',
  787: 'SQLITE_CONSTRAINT_FOREIGNKEY',
  1043: 'SQLITE_CONSTRAINT_FUNCTION',
  1299: 'SQLITE_CONSTRAINT_NOTNULL',
  1555: 'SQLITE_CONSTRAINT_PRIMARYKEY',
  1811: 'SQLITE_CONSTRAINT_TRIGGER',
  2067: 'SQLITE_CONSTRAINT_UNIQUE',
  2579: 'SQLITE_CONSTRAINT_ROWID',
};

// Sync failures come as `Replication(PrimaryHandshakeTimeout)`, `Replication(Client(Status { code: Unavailable, ...`.
const NETWORK =
  /Replication\(|Handshake|transport error|connection refused|error trying to connect|Unavailable|timed out|broken pipe|connection reset|hyper::Error|tcp connect|dns error|Sync error|HTTP error/i;

export function replicaErrorToDbError(error: unknown, sql?: string): DbError {
  if (error instanceof DbError) return toDbError(error, sql);
  const message = error instanceof Error ? error.message : String(error);
  const remote = /RemoteSqliteFailure\((\d+), (\d+), "((?:[^"\\]|\\.)*)"\)/.exec(message);
  if (remote !== null) {
    const extended = Number(remote[2]);
    const primary = Number(remote[1]);
    const sqliteCode = EXTENDED_CODES[extended] ?? EXTENDED_CODES[primary] ?? 'SQLITE_ERROR';
    return toDbError(Object.assign(new Error(remote[3] ?? message), { code: sqliteCode }), sql);
  }
  const delegated = /WriteDelegation\(status: (\w+), message: "((?:[^"\\]|\\.)*)"/.exec(message);
  if (delegated !== null) {
    const status = delegated[1] ?? '';
    const text = delegated[2] ?? message;
    if (status === 'Unavailable' || status === 'DeadlineExceeded' || status === 'Unknown') {
      return new DbError('PRIMARY_UNAVAILABLE', `primary unavailable: ${text}`, { sql, cause: error });
    }
    const code: DbErrorCode = /constraint failed/i.test(text) ? 'CONSTRAINT' : 'SQL_ERROR';
    return new DbError(code, text, {
      sql,
      cause: error,
      sqliteCode: code === 'CONSTRAINT' ? 'SQLITE_CONSTRAINT' : 'SQLITE_ERROR',
    });
  }
  if (/Sqlite3SyntaxError|Sqlite3ParserError|SqlParse/.test(message)) {
    return new DbError('SQL_ERROR', message, { sql, cause: error, sqliteCode: 'SQLITE_ERROR' });
  }
  if (NETWORK.test(message)) {
    return new DbError('PRIMARY_UNAVAILABLE', `primary unavailable: ${message}`, { sql, cause: error });
  }
  return toDbError(error, sql);
}

export function serializeError(error: unknown, sql?: string): SerializedError {
  const db = replicaErrorToDbError(error, sql);
  const cause =
    db.cause instanceof Error ? db.cause.message : db.cause === undefined ? undefined : String(db.cause);
  const suffix = db.sql === undefined ? '' : ` (SQL: `;
  const message =
    suffix === '' ? db.message : db.message.slice(0, Math.max(0, db.message.lastIndexOf(suffix)));
  return { code: db.code, message, sql: db.sql, sqliteCode: db.sqliteCode, cause };
}

/** Rebuilds the typed error on the main thread. */
export function deserializeError(error: SerializedError): DbError {
  return new DbError(error.code as DbErrorCode, error.message, {
    sql: error.sql,
    sqliteCode: error.sqliteCode,
    cause: error.cause,
  });
}
