/** A value SQLite passes to a JS function: integers beyond ±2^53-1 arrive as bigint. */
export type SqlArgument = null | number | bigint | string | Uint8Array;

/**
 * What a JS function may return. Integral numbers become SQLite integers, other numbers reals,
 * bigint an int64 (an error when it does not fit), booleans 1/0, undefined NULL, any byte view a blob.
 */
export type SqlResult = SqlArgument | boolean | undefined | ArrayBuffer | ArrayBufferView;

export interface FunctionOptions {
  /** Same output for the same input: lets SQLite use it in indexes, CHECKs and generated columns. */
  deterministic?: boolean;
  /** Accept any number of arguments (overrides `arity`). */
  varargs?: boolean;
  /** Fixed number of arguments; defaults to the JS function's declared length. */
  arity?: number;
}

export interface AggregateOptions<T> extends FunctionOptions {
  /** Initial accumulator for each group; a function is called once per group. */
  start?: T | (() => T);
  /** Folds one row's arguments into the accumulator and returns the new one. */
  step: (accumulator: T, ...args: SqlArgument[]) => T;
  /** Maps the final accumulator to the SQL result; the accumulator itself when omitted. */
  result?: (accumulator: T) => SqlResult;
}
