/**
 * What went wrong in the server layer; clients branch on `code` (it reaches them as
 * `error.data.liveframe.code`), never on the message.
 */
export type ServerErrorCode =
  | 'FRAME_TIMEOUT'
  | 'GENERATION_CHANGED'
  | 'INVALID_POSITION'
  | 'FORBIDDEN_TABLE'
  /** Inside a procedure: a database feature that cannot be checked statement by statement (scripts). */
  | 'UNSUPPORTED_IN_PROCEDURE'
  /** `requestClient()` used outside a procedure call (a script, a timer). */
  | 'NO_REQUEST'
  | 'UNAUTHENTICATED'
  | 'UNKNOWN_SUBSCRIPTION'
  | 'UNKNOWN_PROCEDURE'
  | 'TOO_MANY_QUERIES'
  | 'NOT_FOUND'
  | 'SHUTTING_DOWN'
  /** Start-up refused: the options would let anyone in (e.g. no auth secret in replica mode). */
  | 'INSECURE_CONFIG';

/**
 * The one error type of the server library (house rule 2); `formatError` turns it into a tRPC error.
 *
 * @example throw new ServerError('FRAME_TIMEOUT', 'replica did not reach g:42 within 5000 ms');
 */
export class ServerError extends Error {
  override readonly name = 'ServerError';
  readonly code: ServerErrorCode;

  constructor(code: ServerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
