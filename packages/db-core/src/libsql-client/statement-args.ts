import type { InArgs, InStatement, IntMode, InValue } from '@libsql/core/api';
import { LibsqlError } from '@libsql/core/api';
import { analyzeSqlCached } from '../connection.ts';
import type { BindParams, SqlValue } from '../values.ts';

/** A statement as the client runs it: SQL text plus db-core parameters. */
export interface ClientStatement {
  readonly sql: string;
  readonly params: BindParams;
}

const MIN_INT64 = -9223372036854775808n;
const MAX_INT64 = 9223372036854775807n;
const NO_PARAMS: SqlValue[] = [];

/**
 * `@libsql/client`'s argument conversion (same errors, same messages: callers may match them),
 * into db-core values. Differences kept on purpose: booleans and Dates become integers (db-core
 * binds integral numbers as INTEGER; upstream binds every JS number as REAL).
 */
export function toSqlValue(value: InValue): SqlValue {
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) {
        throw new RangeError('Only finite numbers (not Infinity or NaN) can be passed as arguments');
      }
      return value;
    case 'bigint':
      if (value < MIN_INT64 || value > MAX_INT64) {
        throw new RangeError(
          'bigint is too large to be represented as a 64-bit integer and passed as argument',
        );
      }
      return value;
    case 'boolean':
      return value ? 1 : 0;
    case 'string':
      return value;
    case 'undefined':
      throw new TypeError('undefined cannot be passed as argument to the database');
  }
  if (value === null || value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (value instanceof Date) return value.valueOf();
  // Anything else reaches db-core's own check, which refuses it with BAD_PARAMS (libsql-js would abort).
  return value as unknown as SqlValue;
}

/** `execute(stmt)`, `execute(sql, args)` and batch entries (`[sql, args]`) as one shape. */
export function normalizeStatement(stmt: InStatement | [string, InArgs?], args?: InArgs): ClientStatement {
  const [sql, given] =
    typeof stmt === 'string'
      ? [stmt, args]
      : Array.isArray(stmt)
        ? [stmt[0], stmt[1]]
        : [stmt.sql, stmt.args];
  if (typeof sql === 'string') {
    const count = analyzeSqlCached(sql).statementCount;
    // What SQLite answers upstream for a text without a statement, in both modes alike.
    if (count === 0) throw new LibsqlError('not an error', 'SQLITE_UNKNOWN_0', 'SQLITE_OK', 0);
    // Upstream runs the first statement and silently drops the rest; refusing is safer.
    if (count > 1) {
      throw new LibsqlError(
        'only one statement can be executed here; use executeMultiple() or batch()',
        'SQL_MANY_STATEMENTS',
      );
    }
  }
  return { sql, params: toParams(sql, given) };
}

/**
 * Upstream binds what it is given and leaves the rest NULL (missing arguments), ignores extra
 * positional ones, and accepts named keys with or without their prefix. db-core refuses
 * mismatched counts, so the arguments are fitted to the statement's parameters here first.
 * Unknown named keys are refused (libsql-js would abort the process on them).
 */
function toParams(sql: string, args: InArgs | undefined): BindParams {
  if (typeof sql !== 'string') return NO_PARAMS;
  const info = analyzeSqlCached(sql).parameters;
  if (args === undefined || args === null) {
    return info.count === 0 ? NO_PARAMS : new Array<SqlValue>(info.count).fill(null);
  }
  if (Array.isArray(args)) {
    const out: SqlValue[] = new Array(info.count);
    for (let i = 0; i < info.count; i++) out[i] = i < args.length ? toSqlValue(args[i] as InValue) : null;
    // A statement of several (only the first runs upstream) may have fewer parameters than given.
    for (let i = info.count; i < args.length; i++) toSqlValue(args[i] as InValue);
    return out;
  }
  const given = new Map<string, InValue>();
  for (const key of Object.keys(args)) {
    const first = key[0];
    given.set(first === ':' || first === '@' || first === '$' ? key.slice(1) : key, args[key] as InValue);
  }
  if (info.hasAnonymous || info.count === 0) {
    if (given.size === 0) return info.count === 0 ? NO_PARAMS : new Array<SqlValue>(info.count).fill(null);
    if (info.count === 0) throw unknownArgument(given.keys().next().value as string, sql);
  }
  const out: Record<string, SqlValue> = {};
  const expected = new Set<string>();
  for (const name of info.names) {
    if (name === null) continue;
    const bare = name.slice(1);
    expected.add(bare);
    const value = given.get(bare);
    out[bare] = value === undefined && !given.has(bare) ? null : toSqlValue(value as InValue);
  }
  for (const key of given.keys()) if (!expected.has(key)) throw unknownArgument(key, sql);
  return out;
}

function unknownArgument(key: string, sql: string): LibsqlError {
  return new LibsqlError(
    `argument ${JSON.stringify(key)} names no parameter of the statement: ${sql.slice(0, 200)}`,
    'ARGS_INVALID',
  );
}

/** Upstream's `intMode` conversion of a result value, with its RangeError for unsafe integers in 'number' mode. */
export function fromSqlValue(value: SqlValue, intMode: IntMode): InValue {
  if (typeof value === 'bigint') {
    if (intMode === 'number') {
      if (value < MIN_SAFE || value > MAX_SAFE) {
        throw new RangeError('Received integer which cannot be safely represented as a JavaScript number');
      }
      return Number(value);
    }
    return intMode === 'bigint' ? value : `${value}`;
  }
  if (value instanceof Uint8Array) {
    // Blobs come back as ArrayBuffer, exactly as long as the blob (a Buffer may share a larger pool).
    const buffer = value.buffer as ArrayBuffer;
    return value.byteOffset === 0 && value.byteLength === buffer.byteLength
      ? buffer
      : buffer.slice(value.byteOffset, value.byteOffset + value.byteLength);
  }
  return value;
}

const MIN_SAFE = -9007199254740991n;
const MAX_SAFE = 9007199254740991n;
