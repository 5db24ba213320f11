import { CHANGE_LOG_TABLE } from '../capture/change-log.ts';
import type { HranaStmt, HranaStmtResult, HranaValue } from './hrana-values.ts';
import type { ColumnarChanges } from './protocol.ts';

/**
 * Most log rows one write reads back from the primary. A bigger write (or a replica far behind)
 * is left to the replica's own log read after its sync, which has no such limit.
 */
export const MAX_PRIMARY_CHANGE_ROWS = 1000;

/**
 * The statement a replica-mode write runs on the primary just before COMMIT: the change-log rows
 * past `afterSeq`, i.e. this write's rows and any other commit the replica has not published yet.
 * Inside the write's transaction (which holds the primary's write lock) these are exactly the
 * rows committed up to and including this write, in commit order.
 */
export function changeRowsAfter(afterSeq: number): HranaStmt {
  return {
    sql: `SELECT seq, tbl, op, rid FROM ${CHANGE_LOG_TABLE} WHERE seq > ? ORDER BY seq LIMIT ${MAX_PRIMARY_CHANGE_ROWS + 1}`,
    args: [{ type: 'integer', value: String(afterSeq) }],
  };
}

function integerOf(value: HranaValue | undefined): number | null {
  if (value?.type !== 'integer') return null;
  const n = Number(value.value);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * The rows of {@link changeRowsAfter} as columnar changes; null when there are none, too many, or
 * they are not consecutive (nothing is published early then).
 */
export function columnarChangeRows(result: HranaStmtResult | null): ColumnarChanges | null {
  if (result === null || result.rows.length === 0 || result.rows.length > MAX_PRIMARY_CHANGE_ROWS)
    return null;
  const count = result.rows.length;
  const tables: string[] = [];
  const index = new Map<string, number>();
  const tableIndex = new Uint32Array(count);
  const ops = new Uint8Array(count);
  const rowids = new Float64Array(count);
  const firstSeq = integerOf(result.rows[0]?.[0]);
  if (firstSeq === null) return null;
  for (let i = 0; i < count; i++) {
    const [seq, tbl, op, rid] = result.rows[i] ?? [];
    const opCode = integerOf(op);
    if (
      integerOf(seq) !== firstSeq + i ||
      tbl?.type !== 'text' ||
      opCode === null ||
      opCode < 1 ||
      opCode > 3
    ) {
      return null;
    }
    let t = index.get(tbl.value);
    if (t === undefined) {
      t = tables.length;
      tables.push(tbl.value);
      index.set(tbl.value, t);
    }
    tableIndex[i] = t;
    ops[i] = opCode;
    // Unknown (NULL, WITHOUT ROWID, beyond 2^53) becomes a table-level change, as in the log reader.
    rowids[i] = integerOf(rid) ?? Number.NaN;
  }
  return { firstSeq, tables, tableIndex, ops, rowids };
}

/** {@link ColumnarChanges} as JSON, for sending to another server (peer sync hints). */
export interface ChangeRowsJson {
  readonly firstSeq: number;
  readonly tables: readonly string[];
  readonly tableIndex: readonly number[];
  readonly ops: readonly number[];
  /** null where the row id is unknown. */
  readonly rowids: readonly (number | null)[];
}

export function changeRowsToJson(rows: ColumnarChanges): ChangeRowsJson {
  return {
    firstSeq: rows.firstSeq,
    tables: rows.tables,
    tableIndex: Array.from(rows.tableIndex),
    ops: Array.from(rows.ops),
    rowids: Array.from(rows.rowids, (rowid) => (Number.isNaN(rowid) ? null : rowid)),
  };
}

const isIndex = (value: unknown, below: number): value is number =>
  Number.isInteger(value) && (value as number) >= 0 && (value as number) < below;

/**
 * Checks and converts what {@link changeRowsToJson} produced on another server; null for anything
 * else (the rows are then simply not published early).
 */
export function changeRowsFromJson(value: unknown): ColumnarChanges | null {
  if (typeof value !== 'object' || value === null) return null;
  const { firstSeq, tables, tableIndex, ops, rowids } = value as Record<string, unknown>;
  if (!Number.isSafeInteger(firstSeq) || (firstSeq as number) < 1) return null;
  if (!Array.isArray(tables) || !Array.isArray(tableIndex) || !Array.isArray(ops) || !Array.isArray(rowids)) {
    return null;
  }
  const count = ops.length;
  if (
    count === 0 ||
    count > MAX_PRIMARY_CHANGE_ROWS ||
    tableIndex.length !== count ||
    rowids.length !== count
  ) {
    return null;
  }
  if (
    tables.length > count ||
    !tables.every((t) => typeof t === 'string' && t.length > 0 && t.length <= 1024)
  ) {
    return null;
  }
  const out = {
    firstSeq: firstSeq as number,
    tables: tables as string[],
    tableIndex: new Uint32Array(count),
    ops: new Uint8Array(count),
    rowids: new Float64Array(count),
  };
  for (let i = 0; i < count; i++) {
    const op = ops[i];
    const rowid = rowids[i];
    if (!isIndex(tableIndex[i], tables.length) || (op !== 1 && op !== 2 && op !== 3)) return null;
    if (rowid !== null && !Number.isSafeInteger(rowid)) return null;
    out.tableIndex[i] = tableIndex[i];
    out.ops[i] = op;
    out.rowids[i] = rowid === null ? Number.NaN : (rowid as number);
  }
  return out;
}
