import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { ServerError, type ServerErrorCode } from '../server-error.ts';

const SERVER_CODES: Record<ServerErrorCode, TRPC_ERROR_CODE_KEY> = {
  FRAME_TIMEOUT: 'TIMEOUT',
  GENERATION_CHANGED: 'CONFLICT',
  INVALID_POSITION: 'BAD_REQUEST',
  FORBIDDEN_TABLE: 'FORBIDDEN',
  // The procedure's own code asked for it: a bug, logged as one.
  UNSUPPORTED_IN_PROCEDURE: 'INTERNAL_SERVER_ERROR',
  NO_REQUEST: 'INTERNAL_SERVER_ERROR',
  UNAUTHENTICATED: 'UNAUTHORIZED',
  UNKNOWN_SUBSCRIPTION: 'NOT_FOUND',
  UNKNOWN_PROCEDURE: 'BAD_REQUEST',
  TOO_MANY_QUERIES: 'TOO_MANY_REQUESTS',
  NOT_FOUND: 'NOT_FOUND',
  SHUTTING_DOWN: 'SERVICE_UNAVAILABLE',
  // Thrown by createLiveframeServer at start, never by a request.
  INSECURE_CONFIG: 'INTERNAL_SERVER_ERROR',
};

/** A foreign layer error with a `code` (db-core's `DbError`, reactive's `ReactiveError`). */
interface CodedError extends Error {
  readonly code: string;
  readonly sql?: string;
}

function isCoded(error: unknown, name: string): error is CodedError {
  return (
    error instanceof Error && error.name === name && typeof (error as { code?: unknown }).code === 'string'
  );
}

/**
 * `DbError` codes that mean "not now" rather than "this request is wrong" or "the server has a
 * bug": the same request can succeed later or on another server. They reach the client as
 * `SERVICE_UNAVAILABLE` with `data.liveframe.code` = the db code, so clients can retry on the
 * code alone:
 * - `PRIMARY_UNAVAILABLE`: replica mode, the primary cannot be reached (writes fail, local reads
 *   keep working);
 * - `WORKER_EXITED`: replica mode, this server's replica worker is gone; every write on this
 *   server fails until it restarts, another server can serve it;
 * - `BUSY` / `BUSY_SNAPSHOT`: another writer held the lock past the busy timeout, or a
 *   transaction's snapshot went stale; the transaction was rolled back, running it again works.
 */
const RETRYABLE_DB_CODES: ReadonlyMap<string, string> = new Map([
  ['PRIMARY_UNAVAILABLE', 'the primary database is unavailable; retry later'],
  ['WORKER_EXITED', 'the database replica of this server is unavailable; retry on another server'],
  ['BUSY', 'the database is busy; retry'],
  ['BUSY_SNAPSHOT', 'the database changed under the transaction; retry'],
]);

/**
 * The one place where layer errors become tRPC errors (house rule 2). `ServerError`s keep their
 * code; `DbError`s become `DB_ERROR` (constraint violations a `CONFLICT`, other codes an
 * `INTERNAL_SERVER_ERROR`), except the retryable ones above (`SERVICE_UNAVAILABLE`, found even
 * when a procedure wrapped them in an error of its own); `ReactiveError`s a `BAD_REQUEST`;
 * anything else stays an internal error. The original is the `cause`, which
 * {@link formatLiveframeError} turns into `data.liveframe.code`.
 *
 * @example throw toTRPCError(error);
 */
export function toTRPCError(thrown: unknown): TRPCError {
  // Query builders wrap what the database layer threw (Drizzle's DrizzleQueryError): the typed
  // error inside decides, so a refused table stays FORBIDDEN whichever way the SQL was written.
  const error = typedError(thrown);
  if (error instanceof TRPCError) return error;
  if (error instanceof ServerError) {
    return new TRPCError({ code: SERVER_CODES[error.code], message: error.message, cause: error });
  }
  const retryable = retryableDbError(error);
  if (retryable !== undefined) {
    return new TRPCError({
      code: 'SERVICE_UNAVAILABLE',
      message: RETRYABLE_DB_CODES.get(retryable.code) ?? 'database unavailable',
      cause: retryable,
    });
  }
  if (isCoded(error, 'DbError') || isSqliteError(error) || isLibsqlError(error)) {
    const constraint = /CONSTRAINT/i.test(error.code) || /constraint/i.test(error.message);
    return new TRPCError({
      code: constraint ? 'CONFLICT' : 'INTERNAL_SERVER_ERROR',
      message: constraint ? error.message : 'database error',
      cause: error,
    });
  }
  if (isCoded(error, 'ReactiveError')) {
    return new TRPCError({ code: 'BAD_REQUEST', message: error.message, cause: error });
  }
  return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'internal error', cause: error });
}

/**
 * Errors query builders wrap around what the database layer threw, adding nothing a client
 * needs: Drizzle's (the SQL and parameters, which the log has from the cause).
 */
const QUERY_BUILDER_WRAPPERS = new Set(['DrizzleQueryError']);

/**
 * Drizzle's `DrizzleQueryError` does not set `name` (it stays 'Error'), so its class name is what
 * identifies it.
 */
function isQueryBuilderWrapper(error: Error): boolean {
  return QUERY_BUILDER_WRAPPERS.has(error.name) || QUERY_BUILDER_WRAPPERS.has(error.constructor.name);
}

/** `@libsql/client`'s errors (ctx.client's): `LibsqlError`, and `LibsqlBatchError` for a batch statement. */
function isLibsqlError(error: unknown): error is CodedError {
  return isCoded(error, 'LibsqlError') || isCoded(error, 'LibsqlBatchError');
}

/**
 * What `toTRPCError` maps: a ServerError anywhere in the chain (a refused table is refused
 * however the procedure wrapped it), else `error` without query-builder wrappers. Other
 * wrapping is the procedure's own decision (only retryable db codes are looked for under it).
 */
function typedError(error: unknown): unknown {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if (current instanceof ServerError) return current;
    if (current instanceof TRPCError) break;
    current = current.cause;
  }
  let unwrapped = error;
  while (unwrapped instanceof Error && isQueryBuilderWrapper(unwrapped) && unwrapped.cause instanceof Error)
    unwrapped = unwrapped.cause;
  return unwrapped;
}

/** A retryable DbError: `error` itself or, when a procedure wrapped it, one of its causes. */
function retryableDbError(error: unknown): CodedError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if (isCoded(current, 'DbError')) return RETRYABLE_DB_CODES.has(current.code) ? current : undefined;
    // Another layer's typed error decides for itself.
    if (current instanceof ServerError || current instanceof TRPCError) return undefined;
    current = current.cause;
  }
  return undefined;
}

function isSqliteError(error: unknown): error is CodedError {
  return (
    error instanceof Error &&
    error.name === 'SqliteError' &&
    typeof (error as { code?: unknown }).code === 'string'
  );
}

/** `data.liveframe` of every error answer: the liveframe code a client can branch on. */
export interface LiveframeErrorData {
  readonly code: string;
  readonly dbCode?: string;
}

export function liveframeErrorData(error: TRPCError): LiveframeErrorData {
  const cause = error.cause;
  if (cause instanceof ServerError) return { code: cause.code };
  if (isCoded(cause, 'DbError') && RETRYABLE_DB_CODES.has(cause.code)) {
    return { code: cause.code, dbCode: cause.code };
  }
  if (isCoded(cause, 'DbError') || isSqliteError(cause) || isLibsqlError(cause))
    return { code: 'DB_ERROR', dbCode: cause.code };
  if (isCoded(cause, 'ReactiveError')) return { code: cause.code };
  if (error.code === 'BAD_REQUEST' && cause?.name === 'ZodError') return { code: 'INVALID_INPUT' };
  if (error.code === 'BAD_REQUEST' || error.code === 'PARSE_ERROR') return { code: 'INVALID_INPUT' };
  if (error.code === 'NOT_FOUND') return { code: 'UNKNOWN_PROCEDURE' };
  return { code: error.code };
}

/**
 * The tRPC `errorFormatter`: adds `data.liveframe` and drops stack traces.
 *
 * @example initTRPC.create({ errorFormatter: formatLiveframeError })
 */
export function formatLiveframeError<TShape extends { data: object }>(opts: {
  shape: TShape;
  error: TRPCError;
}): TShape & { data: TShape['data'] & { liveframe: LiveframeErrorData } } {
  const { stack: _stack, ...data } = opts.shape.data as Record<string, unknown>;
  return {
    ...opts.shape,
    data: { ...(data as TShape['data']), liveframe: liveframeErrorData(opts.error) },
  };
}
