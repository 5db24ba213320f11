import type { IntMode, ResultSet, Row } from '@libsql/core/api';
import { ResultSetImpl } from '@libsql/core/util';
import type { RawResult } from '../raw-result.ts';
import type { SqlValue } from '../values.ts';
import { fromSqlValue } from './statement-args.ts';

/**
 * A `ResultSet` built exactly as `@libsql/client` builds one for a local file (its own
 * `ResultSetImpl`, so `toJSON()` matches to the byte): statements that return rows report
 * `rowsAffected` 0 and no `lastInsertRowid` (RETURNING included), the others their counts.
 */
export function toResultSet(raw: RawResult, intMode: IntMode): ResultSet {
  const { columns } = raw;
  if (columns.length === 0) {
    return new ResultSetImpl([], [], [], raw.changes, raw.lastInsertRowid ?? undefined);
  }
  const rows: Row[] = new Array(raw.rows.length);
  for (let i = 0; i < raw.rows.length; i++) rows[i] = toRow(raw.rows[i]!, columns, intMode);
  return new ResultSetImpl([...columns], [...raw.columnTypes], rows, 0, undefined);
}

/**
 * Upstream's row: values under non-enumerable indexes and a non-enumerable `length`, and under
 * enumerable column names where the first of duplicate names wins (so `Object.keys`, spreading
 * and JSON see each name once, while `row[1]` still reaches the second `x` of `SELECT 1 x, 2 x`).
 */
function toRow(values: readonly SqlValue[], columns: readonly string[], intMode: IntMode): Row {
  const row: Record<string, unknown> = {};
  // One reused descriptor, and plain assignments for the names (the descriptor upstream gives
  // them): a row costs about half of what a fresh descriptor per property did. The order of
  // definition is upstream's (length, then each index before its name).
  HIDDEN.value = values.length;
  Object.defineProperty(row, 'length', HIDDEN);
  const converted = new Array<unknown>(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = fromSqlValue(values[i]!, intMode);
    converted[i] = value;
    HIDDEN.value = value;
    Object.defineProperty(row, i, HIDDEN);
  }
  HIDDEN.value = undefined;
  for (let i = 0; i < values.length; i++) {
    const column = columns[i]!;
    if (Object.hasOwn(row, column)) continue;
    // `row.__proto__ = x` would set the prototype: a column of that name is defined instead.
    if (column === '__proto__') Object.defineProperty(row, column, { value: converted[i], ...NAMED });
    else row[column] = converted[i];
  }
  return row as Row;
}

/** What an assignment creates, and upstream's column names are. */
const NAMED = { enumerable: true, configurable: true, writable: true } as const;

/** Non-enumerable, read-only (defineProperty's defaults): upstream's indexes and length. */
const HIDDEN: PropertyDescriptor = { value: undefined };
