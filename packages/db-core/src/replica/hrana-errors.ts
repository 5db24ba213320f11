import { DbError, toDbError } from '../errors.ts';

/**
 * Hrana reports SQLite failures with the primary code only (`SQLITE_CONSTRAINT`) and a message
 * prefixed with "SQLite error: ". Local mode reports extended codes; the constraint kind is in the
 * message, so it is recovered from there (a rowid-alias duplicate reads as UNIQUE, as its message does).
 */
const CONSTRAINT_KINDS: readonly (readonly [RegExp, string])[] = [
  [/^UNIQUE constraint failed/, 'SQLITE_CONSTRAINT_UNIQUE'],
  [/^NOT NULL constraint failed/, 'SQLITE_CONSTRAINT_NOTNULL'],
  [/^CHECK constraint failed/, 'SQLITE_CONSTRAINT_CHECK'],
  [/^FOREIGN KEY constraint failed/, 'SQLITE_CONSTRAINT_FOREIGNKEY'],
  [/^PRIMARY KEY/, 'SQLITE_CONSTRAINT_PRIMARYKEY'],
];

/** Protocol-level codes that mean the request itself was wrong, not the primary down. */
const REQUEST_ERRORS = /^(ARGS_|SQL_PARSE|SQL_NO_STATEMENT|SQL_MANY_STATEMENTS|SQL_INPUT)/;

export function hranaErrorToDbError(error: { message: string; code?: string | null }, sql?: string): DbError {
  const code = error.code ?? '';
  const message = error.message.replace(/^SQLite error: /, '');
  if (code.startsWith('SQLITE_')) {
    let sqliteCode = code === 'SQLITE_UNKNOWN' ? 'SQLITE_ERROR' : code;
    if (code === 'SQLITE_CONSTRAINT') {
      sqliteCode = CONSTRAINT_KINDS.find(([pattern]) => pattern.test(message))?.[1] ?? code;
    }
    return toDbError(Object.assign(new Error(message), { code: sqliteCode }), sql);
  }
  if (REQUEST_ERRORS.test(code)) {
    const dbCode = code.startsWith('ARGS_') ? 'BAD_PARAMS' : 'SQL_ERROR';
    return new DbError(dbCode, message, {
      sql,
      sqliteCode: dbCode === 'SQL_ERROR' ? 'SQLITE_ERROR' : undefined,
    });
  }
  if (/^(STREAM_|BATON_|TRANSACTION_TIMEOUT)/.test(code)) {
    return new DbError('TRANSACTION_STATE', `the primary ended the transaction: ${message}`, { sql });
  }
  return new DbError('SQL_ERROR', code === '' ? message : `${message} (${code})`, { sql });
}

/** The HTTP exchange itself failed: refused, reset, timed out, or the primary answered 5xx. */
export function primaryUnavailable(reason: string, sql?: string, cause?: unknown): DbError {
  return new DbError('PRIMARY_UNAVAILABLE', `primary unavailable: ${reason}`, { sql, cause });
}
