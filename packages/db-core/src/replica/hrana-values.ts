import { checkBindParams } from '../bind-params.ts';
import { analyzeSqlCached } from '../connection.ts';
import { DbError } from '../errors.ts';
import type { RawResult } from '../raw-result.ts';
import { exactIntegers } from '../safe-integers.ts';
import type { BindParams, Row, SqlValue } from '../values.ts';

/**
 * Values and statements in the Hrana 3 JSON encoding (the protocol sqld and Turso speak over
 * HTTP). Typed on the wire, so the INTEGER/REAL distinction that libsql-js loses (it binds every
 * JS number as REAL) is kept the same way local mode keeps it: integral numbers in the safe range
 * travel as integers, others as floats.
 */
export type HranaValue =
  | { readonly type: 'null' }
  | { readonly type: 'integer'; readonly value: string }
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'text'; readonly value: string }
  | { readonly type: 'blob'; readonly base64: string };

export interface HranaStmt {
  readonly sql: string;
  readonly args?: readonly HranaValue[];
  readonly named_args?: readonly { readonly name: string; readonly value: HranaValue }[];
  readonly want_rows?: boolean;
}

export interface HranaStmtResult {
  readonly cols: readonly { readonly name: string | null; readonly decltype?: string | null }[];
  readonly rows: readonly (readonly HranaValue[])[];
  readonly affected_row_count: number;
  readonly last_insert_rowid: string | null;
  readonly replication_index?: string | null;
}

function encodeValue(value: SqlValue, sql: string): HranaValue {
  if (value === null) return { type: 'null' };
  switch (typeof value) {
    case 'bigint':
      return { type: 'integer', value: value.toString() };
    case 'number':
      if (Number.isSafeInteger(value)) return { type: 'integer', value: String(value) };
      if (!Number.isFinite(value)) {
        // JSON has no Infinity/NaN; refusing is better than storing something else.
        throw new DbError('BAD_PARAMS', `cannot send ${value} to the primary; only finite numbers`, { sql });
      }
      return { type: 'float', value };
    case 'string':
      return { type: 'text', value };
    default:
      return {
        type: 'blob',
        base64: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'),
      };
  }
}

/**
 * Checks the parameters exactly as local mode does (same BAD_PARAMS errors, before anything is
 * sent), then encodes them: positional as `args`, named under the names the SQL spells.
 */
export function encodeStmt(sql: string, params: BindParams | undefined): HranaStmt {
  const info = analyzeSqlCached(sql).parameters;
  const checked = checkBindParams(params, info, sql);
  if (Array.isArray(checked)) {
    return checked.length === 0 ? { sql } : { sql, args: checked.map((v) => encodeValue(v, sql)) };
  }
  const named: { name: string; value: HranaValue }[] = [];
  const bare = checked as Record<string, SqlValue>;
  for (const name of info.names) {
    if (name === null) continue;
    named.push({ name, value: encodeValue(bare[name.slice(1)] ?? null, sql) });
  }
  return { sql, named_args: named };
}

function decodeValue(value: HranaValue): SqlValue {
  switch (value.type) {
    case 'null':
      return null;
    case 'integer':
      return exactIntegers([BigInt(value.value)])[0] as number | bigint;
    case 'float':
      return value.value;
    case 'text':
      return value.value;
    case 'blob':
      return Buffer.from(value.base64, 'base64');
  }
}

/** Rows keyed by column name, integers as numbers where safe (as local reads return them). */
export function decodeRows(result: HranaStmtResult): Row[] {
  const names = result.cols.map((col, i) => col.name ?? `column${i}`);
  return result.rows.map((cells) => {
    const row: Row = {};
    for (let i = 0; i < names.length; i++) row[names[i]!] = decodeValue(cells[i] ?? { type: 'null' });
    return row;
  });
}

function decodeExact(value: HranaValue): SqlValue {
  return value.type === 'integer' ? BigInt(value.value) : decodeValue(value);
}

/**
 * The raw result local mode's `Connection.query` gives (exact bigint integers, declared types),
 * with the same row-count rule: statements that return rows report 0 changes and no rowid.
 */
export function decodeRaw(result: HranaStmtResult): RawResult {
  const columns = result.cols.map((col, i) => col.name ?? `column${i}`);
  const columnTypes = result.cols.map((col) => col.decltype ?? '');
  const rows = result.rows.map((cells) => {
    const row: SqlValue[] = new Array(columns.length);
    for (let i = 0; i < columns.length; i++) row[i] = decodeExact(cells[i] ?? { type: 'null' });
    return row;
  });
  if (columns.length > 0) return { columns, columnTypes, rows, changes: 0, lastInsertRowid: null };
  return {
    columns,
    columnTypes,
    rows,
    changes: result.affected_row_count,
    lastInsertRowid: result.last_insert_rowid === null ? null : BigInt(result.last_insert_rowid),
  };
}
