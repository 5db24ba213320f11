import { DbError } from './errors.ts';
import type { ParameterInfo } from './sql-text.ts';
import type { BindParams, SqlValue } from './values.ts';

/** What libsql-js receives: an array for positional binding, a bare-name object for named binding. */
export type NativeBindArgs = SqlValue[] | Record<string, SqlValue>;

const NO_ARGS: SqlValue[] = [];
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Checks parameters against what the statement declares before libsql-js sees them: it would
 * otherwise bind missing values as NULL, ignore extra ones, and abort the whole process on a
 * boolean or an unknown named parameter.
 */
export function checkBindParams(
  params: BindParams | undefined,
  info: ParameterInfo,
  sql: string,
): NativeBindArgs {
  if (params === undefined || params === null) {
    if (info.count === 0) return NO_ARGS;
    throw new DbError('BAD_PARAMS', `statement expects ${info.count} parameter(s), none given`, { sql });
  }
  if (Array.isArray(params)) {
    if (params.length !== info.count) {
      throw new DbError('BAD_PARAMS', `statement expects ${info.count} parameter(s), got ${params.length}`, {
        sql,
      });
    }
    let out: SqlValue[] | undefined;
    for (let i = 0; i < params.length; i++) {
      const value = params[i];
      checkValue(value, `parameter ${i + 1}`, sql);
      if (typeof value === 'number' && Number.isSafeInteger(value)) {
        out ??= params.slice();
        out[i] = BigInt(value);
      }
    }
    return out ?? (params as SqlValue[]);
  }
  if (typeof params !== 'object' || params instanceof Uint8Array) {
    throw new DbError('BAD_PARAMS', 'parameters must be an array or a plain object', { sql });
  }
  if (info.hasAnonymous) {
    throw new DbError('BAD_PARAMS', 'statement has positional parameters (?); pass an array', { sql });
  }
  const given = params as Readonly<Record<string, SqlValue>>;
  const out: Record<string, SqlValue> = {};
  const expected = new Set<string>();
  for (const name of info.names) {
    if (name === null) continue;
    const bare = name.slice(1);
    expected.add(bare);
    const value = bare in given ? given[bare] : given[name];
    if (value === undefined && !(bare in given) && !(name in given)) {
      throw new DbError('BAD_PARAMS', `missing named parameter ${name}`, { sql });
    }
    checkValue(value, name, sql);
    out[bare] = asInteger(value as SqlValue);
  }
  for (const key of Object.keys(given)) {
    const bare = /^[:@$]/.test(key) ? key.slice(1) : key;
    if (!expected.has(bare)) throw new DbError('BAD_PARAMS', `unknown named parameter ${key}`, { sql });
  }
  return out;
}

/**
 * libsql-js binds every JS number as REAL, so `7` would be stored as 7.0 in an untyped column and
 * `(? - x) / ?` would divide as floats. Integral numbers in the safe range are what callers mean
 * as INTEGER, so they are bound as bigint (which libsql binds as INTEGER); others stay REAL.
 */
function asInteger(value: SqlValue): SqlValue {
  return typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : value;
}

function checkValue(value: unknown, label: string, sql: string): void {
  switch (typeof value) {
    case 'number':
    case 'string':
      return;
    case 'bigint':
      if (value < INT64_MIN || value > INT64_MAX) {
        throw new DbError('BAD_PARAMS', `${label}: bigint out of the 64-bit range`, { sql });
      }
      return;
    case 'object':
      if (value === null || value instanceof Uint8Array) return;
      break;
  }
  throw new DbError(
    'BAD_PARAMS',
    `${label}: cannot bind ${value === undefined ? 'undefined' : typeof value}; use null, number, bigint, string or Uint8Array`,
    { sql },
  );
}
