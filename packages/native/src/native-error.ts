/** Every failure this package reports has one of these codes. */
export type NativeErrorCode =
  | 'LIBSQL_BINARY_MISSING'
  | 'LIBSQL_LOAD_FAILED'
  | 'ADDON_MISSING'
  | 'EXTENSION_LOAD_FAILED'
  | 'HANDSHAKE_FAILED'
  | 'ALREADY_ATTACHED'
  | 'CONNECTION_CLOSED'
  | 'REENTRANT_CALL'
  | 'OFF_THREAD'
  | 'DEADLINE_EXCEEDED'
  | 'INTERRUPTED'
  | 'COMMIT_VETOED'
  | 'CALLBACK_ERROR'
  | 'FUNCTION_ERROR'
  | 'AUTHORIZATION_DENIED'
  | 'LISTENER_ERROR'
  | 'INVALID_ARGUMENT'
  | 'DETACHED';

const codes: ReadonlySet<string> = new Set<NativeErrorCode>([
  'LIBSQL_BINARY_MISSING',
  'LIBSQL_LOAD_FAILED',
  'ADDON_MISSING',
  'EXTENSION_LOAD_FAILED',
  'HANDSHAKE_FAILED',
  'ALREADY_ATTACHED',
  'CONNECTION_CLOSED',
  'REENTRANT_CALL',
  'OFF_THREAD',
  'DEADLINE_EXCEEDED',
  'INTERRUPTED',
  'COMMIT_VETOED',
  'CALLBACK_ERROR',
  'FUNCTION_ERROR',
  'AUTHORIZATION_DENIED',
  'LISTENER_ERROR',
  'INVALID_ARGUMENT',
  'DETACHED',
]);

/**
 * The error type of the native layer: a stable `code`, the SQL text when one was involved, and
 * the foreign error (libsql's SqliteError, a JS exception thrown in a callback) as `cause`.
 *
 * @example
 * try { conn.withDeadline(50, () => stmt.all()); }
 * catch (e) { if (e instanceof NativeError && e.code === 'DEADLINE_EXCEEDED') retryLater(); }
 */
export class NativeError extends Error {
  override readonly name = 'NativeError';
  readonly code: NativeErrorCode;
  readonly sql: string | undefined;

  constructor(code: NativeErrorCode, message: string, options: { cause?: unknown; sql?: string } = {}) {
    super(options.sql === undefined ? message : `${message} (SQL: ${options.sql})`, { cause: options.cause });
    this.code = code;
    this.sql = options.sql;
  }
}

export function isNativeErrorCode(value: string): value is NativeErrorCode {
  return codes.has(value);
}

/**
 * The addon throws plain Errors whose message starts with "CODE: ..."; this turns them into
 * NativeErrors at the boundary and leaves anything else untouched.
 */
export function fromAddonError(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof NativeError) return error;
  const match = /^([A-Z_]+): (.*)$/s.exec(error.message);
  const code = match?.[1];
  if (match === null || code === undefined || !isNativeErrorCode(code)) return error;
  return new NativeError(code, match[2] ?? error.message, { cause: error });
}
