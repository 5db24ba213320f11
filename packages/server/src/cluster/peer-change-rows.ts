import type { ChangeRowsJson } from '@liveframe/db-core';

/** Rows one hint may carry (db-core ignores more, and the receiver caps the body). */
export const MAX_HINT_CHANGE_ROWS = 1000;

/**
 * Joins the change-log rows of two hints to the same peer when the second continues the first, so
 * a hint that waited behind another still carries every row; null when they do not continue each
 * other or would be too many (the peer's sync then delivers them).
 *
 * @example appendChangeRows(pending.changes, next.changes)
 */
export function appendChangeRows(first: ChangeRowsJson, second: ChangeRowsJson): ChangeRowsJson | null {
  if (second.firstSeq !== first.firstSeq + first.ops.length) return null;
  if (first.ops.length + second.ops.length > MAX_HINT_CHANGE_ROWS) return null;
  const tables = [...first.tables];
  const remap = second.tables.map((name) => {
    const known = tables.indexOf(name);
    if (known !== -1) return known;
    tables.push(name);
    return tables.length - 1;
  });
  return {
    firstSeq: first.firstSeq,
    tables,
    tableIndex: [...first.tableIndex, ...second.tableIndex.map((t) => remap[t] ?? 0)],
    ops: [...first.ops, ...second.ops],
    rowids: [...first.rowids, ...second.rowids],
  };
}
