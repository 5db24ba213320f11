import type Database from 'libsql';
import type { BindParams, ReadSet, RowFilter } from './database-contract.ts';

interface ExplainRow {
  addr: number;
  opcode: string;
  p1: number;
  p2: number;
  p3: number;
  p4: unknown;
}

// Opcodes that position a cursor anywhere but one exact rowid: the query may read any row.
const SCANNING = new Set([
  'Rewind',
  'Last',
  'Next',
  'Prev',
  'SeekGE',
  'SeekGT',
  'SeekLE',
  'SeekLT',
  'SeekEnd',
]);

/**
 * Stopgap for db-core's `readSet` (EXPLAIN OpenRead root pages mapped through sqlite_schema,
 * FACTS.md "Read-sets from EXPLAIN"), so the server runs before db-core's facade lands. Claims
 * rowids only for a table cursor positioned exclusively by SeekRowid/NotExists on a register
 * with a single constant writer (`WHERE id = ?`); everything else is `all`, which is always
 * correct.
 */
export function explainReadSet(db: Database.Database, sql: string, params?: BindParams): ReadSet {
  const program = db.prepare(`EXPLAIN ${sql}`).all() as ExplainRow[];
  const rootToTable = new Map<number, string>();
  for (const row of db.prepare('SELECT rootpage, tbl_name FROM sqlite_schema WHERE rootpage > 0').all() as {
    rootpage: number;
    tbl_name: string;
  }[]) {
    rootToTable.set(row.rootpage, row.tbl_name.toLowerCase());
  }
  const cursorTable = new Map<number, string>();
  for (const op of program) {
    if ((op.opcode === 'OpenRead' || op.opcode === 'OpenWrite') && op.p3 === 0) {
      const table = rootToTable.get(op.p2);
      if (table !== undefined) cursorTable.set(op.p1, table);
    }
  }
  const tables = new Map<string, RowFilter>();
  const merge = (table: string, filter: RowFilter) => {
    const previous = tables.get(table);
    if (previous === undefined) tables.set(table, filter);
    else if (previous.kind === 'all' || filter.kind === 'all') tables.set(table, { kind: 'all' });
    else tables.set(table, { kind: 'rowids', rowids: new Set([...previous.rowids, ...filter.rowids]) });
  };
  for (const [cursor, table] of cursorTable) {
    merge(table, cursorFilter(program, cursor, params));
  }
  return { tables };
}

function cursorFilter(program: readonly ExplainRow[], cursor: number, params?: BindParams): RowFilter {
  const rowids = new Set<number>();
  for (const op of program) {
    if (op.p1 !== cursor) continue;
    if (SCANNING.has(op.opcode)) return { kind: 'all' };
    if (op.opcode === 'SeekRowid' || op.opcode === 'NotExists') {
      const value = constantRegister(program, op.p3, params);
      if (value === undefined) return { kind: 'all' };
      rowids.add(value);
    }
  }
  // An index-driven lookup (DeferredSeek/IdxRowid) positions the table cursor by p3: a scan.
  for (const op of program) {
    if ((op.opcode === 'DeferredSeek' || op.opcode === 'IdxRowid') && op.p3 === cursor)
      return { kind: 'all' };
  }
  return rowids.size === 0 ? { kind: 'all' } : { kind: 'rowids', rowids };
}

function constantRegister(
  program: readonly ExplainRow[],
  register: number,
  params?: BindParams,
): number | undefined {
  const writers = program.filter(
    (op) =>
      (op.opcode === 'Integer' ||
        op.opcode === 'Variable' ||
        op.opcode === 'Copy' ||
        op.opcode === 'SCopy') &&
      op.p2 === register,
  );
  const writer = writers[0];
  if (writers.length !== 1 || writer === undefined) return undefined;
  if (writer.opcode === 'Integer') return writer.p1;
  if (writer.opcode !== 'Variable' || !Array.isArray(params)) return undefined;
  const value: unknown = (params as readonly unknown[])[writer.p1 - 1];
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (
    typeof value === 'bigint' &&
    value >= BigInt(Number.MIN_SAFE_INTEGER) &&
    value <= BigInt(Number.MAX_SAFE_INTEGER)
  ) {
    return Number(value);
  }
  return undefined;
}
