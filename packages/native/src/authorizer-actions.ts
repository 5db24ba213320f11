/** SQLite authorizer action codes (sqlite3.h, SQLITE_CREATE_INDEX = 1 ... SQLITE_RECURSIVE = 33). */
export const authorizerActions = [
  'COPY',
  'CREATE_INDEX',
  'CREATE_TABLE',
  'CREATE_TEMP_INDEX',
  'CREATE_TEMP_TABLE',
  'CREATE_TEMP_TRIGGER',
  'CREATE_TEMP_VIEW',
  'CREATE_TRIGGER',
  'CREATE_VIEW',
  'DELETE',
  'DROP_INDEX',
  'DROP_TABLE',
  'DROP_TEMP_INDEX',
  'DROP_TEMP_TABLE',
  'DROP_TEMP_TRIGGER',
  'DROP_TEMP_VIEW',
  'DROP_TRIGGER',
  'DROP_VIEW',
  'INSERT',
  'PRAGMA',
  'READ',
  'SELECT',
  'TRANSACTION',
  'UPDATE',
  'ATTACH',
  'DETACH',
  'ALTER_TABLE',
  'REINDEX',
  'ANALYZE',
  'CREATE_VTABLE',
  'DROP_VTABLE',
  'FUNCTION',
  'SAVEPOINT',
  'RECURSIVE',
] as const;

export type AuthorizerAction = (typeof authorizerActions)[number];

/** What the authorizer answers: allow, fail the prepare, or (READ) read NULL / (others) skip. */
export type AuthorizerVerdict = 'ok' | 'deny' | 'ignore';

/**
 * Called while a statement is prepared (never while it runs), once per action. The meaning of
 * arg1/arg2 depends on the action: READ/UPDATE give (table, column), INSERT/DELETE give (table,
 * null), FUNCTION gives (null, function name), PRAGMA gives (pragma, argument).
 */
export type Authorizer = (
  action: AuthorizerAction,
  arg1: string | null,
  arg2: string | null,
  dbName: string | null,
  trigger: string | null,
) => AuthorizerVerdict;

export const verdictCodes: Readonly<Record<AuthorizerVerdict, number>> = { ok: 0, deny: 1, ignore: 2 };
