/** What went wrong in the reactive layer; callers branch on `code`, never on the message. */
export type ReactiveErrorCode = 'INVALID_POSITION' | 'INVALID_OPTION' | 'HUB_CLOSED';

/**
 * The one error type of `@liveframe/reactive` (house rule 2); apps/server maps it to a tRPC error
 * in its single formatter.
 *
 * @example
 * try { parsePosition(id) } catch (e) { if (e instanceof ReactiveError && e.code === 'INVALID_POSITION') ... }
 */
export class ReactiveError extends Error {
  override readonly name = 'ReactiveError';
  readonly code: ReactiveErrorCode;

  constructor(code: ReactiveErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
