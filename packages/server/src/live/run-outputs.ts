import type { ReadSet } from '../db/database-contract.ts';
import type { DerivedReadSet } from './live-query-groups.ts';

/** Whether two read-sets name the same tables with the same row filters. */
export function sameReadSet(a: ReadSet, b: ReadSet): boolean {
  if (a === b) return true;
  if (a.tables.size !== b.tables.size) return false;
  for (const [table, filter] of a.tables) {
    const other = b.tables.get(table);
    if (other === undefined || other.kind !== filter.kind) return false;
    if (filter.kind === 'rowids' && other.kind === 'rowids') {
      if (filter.rowids.size !== other.rowids.size) return false;
      for (const rowid of filter.rowids) if (!other.rowids.has(rowid)) return false;
    }
  }
  return true;
}

/** UTF-8 size of a run's output, measured once per run (every user's push checks it). */
const outputSizes = new WeakMap<DerivedReadSet, number>();
export function outputBytes(derived: DerivedReadSet): number {
  if (derived.output === undefined) return 0;
  let bytes = outputSizes.get(derived);
  if (bytes === undefined) {
    bytes = Buffer.byteLength(derived.output);
    outputSizes.set(derived, bytes);
  }
  return bytes;
}
