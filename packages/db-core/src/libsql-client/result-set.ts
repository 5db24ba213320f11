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
  const row = {};
  Object.defineProperty(row, 'length', { value: values.length });
  for (let i = 0; i < values.length; i++) {
    const value = fromSqlValue(values[i]!, intMode);
    Object.defineProperty(row, i, { value });
    const column = columns[i]!;
    if (!Object.hasOwn(row, column)) {
      Object.defineProperty(row, column, { value, enumerable: true, configurable: true, writable: true });
    }
  }
  return row as Row;
}
