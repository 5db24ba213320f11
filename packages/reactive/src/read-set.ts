import { normalizeTableName } from './change-set.ts';

/**
 * Which rows of one table a query's result can depend on.
 * - `all`: any row (scans, range filters, joins driven by another table's column values).
 * - `rowids`: only these rowids (`WHERE id = ?` / `id IN (...)` on a rowid or INTEGER PRIMARY KEY).
 *   Producers must only claim `rowids` when the result provably depends on nothing else in that
 *   table; when in doubt, `all` is always correct.
 */
export type RowFilter =
  | { readonly kind: 'all' }
  | { readonly kind: 'rowids'; readonly rowids: ReadonlySet<number> };

/**
 * Everything a query reads, derived by db-core from the engine (EXPLAIN / authorizer), never
 * hand-written in application code.
 *
 * @example const rs: ReadSet = { tables: new Map([['users', { kind: 'rowids', rowids: new Set([7]) }]]) };
 */
export interface ReadSet {
  readonly tables: ReadonlyMap<string, RowFilter>;
}

/**
 * Builds a {@link ReadSet} from a plain object: `'all'` or an array of rowids per table.
 * Meant for db-core's EXPLAIN mapping and for tests.
 *
 * @example readSetOf({ posts: 'all', users: [7] })
 */
export function readSetOf(tables: Readonly<Record<string, 'all' | readonly number[]>>): ReadSet {
  return normalizeReadSet({
    tables: new Map(
      Object.entries(tables).map(([table, filter]): [string, RowFilter] => [
        table,
        filter === 'all' ? { kind: 'all' } : { kind: 'rowids', rowids: new Set(filter) },
      ]),
    ),
  });
}

/**
 * Lowercases table names and merges duplicates (`all` wins; rowid sets are united), producing a
 * read-set the registry can index. Idempotent.
 *
 * @example normalizeReadSet({ tables: new Map([['Users', { kind: 'all' }]]) }).tables.has('users') // true
 */
export function normalizeReadSet(readSet: ReadSet): ReadSet {
  const tables = new Map<string, RowFilter>();
  for (const [rawTable, filter] of readSet.tables) {
    const table = normalizeTableName(rawTable);
    const previous = tables.get(table);
    if (filter.kind === 'all' || previous?.kind === 'all') {
      tables.set(table, { kind: 'all' });
    } else if (previous === undefined) {
      tables.set(table, { kind: 'rowids', rowids: new Set(filter.rowids) });
    } else {
      tables.set(table, { kind: 'rowids', rowids: new Set([...previous.rowids, ...filter.rowids]) });
    }
  }
  return { tables };
}
