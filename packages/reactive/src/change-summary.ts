import type { ChangeSet } from './change-set.ts';
import { normalizeTableName } from './change-set.ts';
import type { ReadSet } from './read-set.ts';

/** What one table lost or gained in a change set, reduced to what matching needs. */
export interface TableDelta {
  /** True when some change had an unknown rowid, or too many rowids changed to keep them all. */
  readonly anyRow: boolean;
  /** Changed rowids; empty when `anyRow`. */
  readonly rowids: ReadonlySet<number>;
}

/**
 * A change set reduced to "which rows of which tables", keyed by normalised table name. Ops are
 * dropped on purpose: for matching, an insert, update or delete of rowid r all mean "row r may
 * differ now", and that is exactly what a read-set filter is about.
 */
export type ChangeSummary = ReadonlyMap<string, TableDelta>;

/** Above this many changed rowids in one table, a delta is kept table-level (bounded memory). */
export const DEFAULT_MAX_ROWIDS_PER_TABLE = 4096;

/**
 * Groups a change set by table. Bulk changes (more than `maxRowidsPerTable` rowids in one table)
 * collapse to table level: an over-invalidation, never a miss, and history memory stays bounded.
 *
 * @example summarizeChanges(changeSet).get('users') // { anyRow: false, rowids: Set {7} }
 */
export function summarizeChanges(
  changeSet: Pick<ChangeSet, 'changes'>,
  maxRowidsPerTable = DEFAULT_MAX_ROWIDS_PER_TABLE,
): ChangeSummary {
  const building = new Map<string, { anyRow: boolean; rowids: Set<number> }>();
  for (const change of changeSet.changes) {
    const table = normalizeTableName(change.table);
    let delta = building.get(table);
    if (delta === undefined) {
      delta = { anyRow: false, rowids: new Set() };
      building.set(table, delta);
    }
    if (delta.anyRow) continue;
    if (change.rowid === null) {
      delta.anyRow = true;
      delta.rowids.clear();
    } else {
      delta.rowids.add(change.rowid);
      if (delta.rowids.size > maxRowidsPerTable) {
        delta.anyRow = true;
        delta.rowids.clear();
      }
    }
  }
  return building;
}

/**
 * Summary of "these whole tables changed" (schema events, or a replay that lost precision).
 *
 * @example tableLevelSummary(['users']).get('users')?.anyRow // true
 */
export function tableLevelSummary(tables: Iterable<string>): ChangeSummary {
  const summary = new Map<string, TableDelta>();
  for (const table of tables) summary.set(normalizeTableName(table), { anyRow: true, rowids: new Set() });
  return summary;
}

/**
 * Tables through which `summary` can affect a query reading `readSet` (empty: not affected).
 * A rowid-filtered table is hit only by a change to one of its rowids or by a table-level change.
 *
 * @example tablesTouched(readSetOf({ users: [7] }), summarizeChanges({ changes: [{ table: 'users', op: 'update', rowid: 8 }] })) // []
 */
export function tablesTouched(readSet: ReadSet, summary: ChangeSummary): string[] {
  const touched: string[] = [];
  for (const [table, filter] of readSet.tables) {
    const delta = summary.get(table);
    if (delta === undefined) continue;
    if (delta.anyRow || filter.kind === 'all' || intersects(filter.rowids, delta.rowids)) touched.push(table);
  }
  return touched;
}

/** Rough retained size, for the byte bound of the resume history. */
export function approximateSummaryBytes(summary: ChangeSummary): number {
  let bytes = 48;
  for (const [table, delta] of summary) bytes += 64 + table.length * 2 + delta.rowids.size * 16;
  return bytes;
}

function intersects(a: ReadonlySet<number>, b: ReadonlySet<number>): boolean {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const value of small) if (large.has(value)) return true;
  return false;
}
