import type { ReadSet, TableChange } from '../../src/index.ts';
import { readSetOf } from '../../src/index.ts';

/**
 * An in-memory stand-in for a few SQLite tables, used by property tests and the false-invalidation
 * benchmark. Each operation reports the `TableChange`s that db-core's capture would report for it,
 * and each query derives its read-set from its shape, the way db-core derives it from EXPLAIN
 * (rowid seeks on constants → `rowids`; scans and seeks keyed by another table's column → `all`).
 */
export interface ModelRow {
  readonly id: number;
  readonly k: number;
  readonly v: number;
}

export type ModelOp =
  /** INSERT; an explicit rowid that exists behaves like INSERT OR REPLACE on the rowid. */
  | {
      readonly kind: 'insert';
      readonly table: string;
      readonly rowid: number | null;
      readonly k: number;
      readonly v: number;
    }
  /** UPDATE the `pick`-th existing row (modulo row count); values may equal the old ones (no-op update). */
  | {
      readonly kind: 'update';
      readonly table: string;
      readonly pick: number;
      readonly k?: number;
      readonly v?: number;
    }
  | { readonly kind: 'delete'; readonly table: string; readonly pick: number }
  /** DELETE FROM t without WHERE: SQLite's truncate optimisation reports no rowids. */
  | { readonly kind: 'truncate'; readonly table: string };

export type ModelQuery =
  | { readonly kind: 'scan'; readonly table: string } // SELECT * FROM t
  | { readonly kind: 'filter'; readonly table: string; readonly minV: number } // SELECT * FROM t WHERE v >= ?
  | { readonly kind: 'count'; readonly table: string } // SELECT count(*) FROM t
  | { readonly kind: 'point'; readonly table: string; readonly ids: readonly number[] } // WHERE id IN (...)
  | { readonly kind: 'join'; readonly left: string; readonly right: string } // l JOIN r ON l.k = r.id
  | { readonly kind: 'point-join'; readonly left: string; readonly right: string; readonly id: number }; // ... WHERE l.id = ?

export class TableModel {
  readonly #tables = new Map<string, Map<number, ModelRow>>();
  readonly #nextRowid = new Map<string, number>();

  constructor(tables: readonly string[]) {
    for (const table of tables) {
      this.#tables.set(table, new Map());
      this.#nextRowid.set(table, 1);
    }
  }

  get tableNames(): string[] {
    return [...this.#tables.keys()];
  }

  rows(table: string): Map<number, ModelRow> {
    const rows = this.#tables.get(table);
    if (rows === undefined) throw new Error(`no table ${table}`);
    return rows;
  }

  /**
   * Applies one operation and returns what change capture reports for it. Capture reports table
   * names lowercased while queries may spell them otherwise: matching must be case-insensitive.
   */
  apply(op: ModelOp): TableChange[] {
    return this.#apply(op).map((change) => ({ ...change, table: change.table.toLowerCase() }));
  }

  #apply(op: ModelOp): TableChange[] {
    const rows = this.rows(op.table);
    switch (op.kind) {
      case 'insert': {
        const rowid = op.rowid ?? this.#nextRowid.get(op.table)!;
        this.#nextRowid.set(op.table, Math.max(this.#nextRowid.get(op.table)!, rowid + 1));
        const changes: TableChange[] = [];
        if (rows.has(rowid)) changes.push({ table: op.table, op: 'delete', rowid });
        rows.set(rowid, { id: rowid, k: op.k, v: op.v });
        changes.push({ table: op.table, op: 'insert', rowid });
        return changes;
      }
      case 'update': {
        const row = pick(rows, op.pick);
        if (row === undefined) return [];
        rows.set(row.id, { id: row.id, k: op.k ?? row.k, v: op.v ?? row.v });
        return [{ table: op.table, op: 'update', rowid: row.id }];
      }
      case 'delete': {
        const row = pick(rows, op.pick);
        if (row === undefined) return [];
        rows.delete(row.id);
        return [{ table: op.table, op: 'delete', rowid: row.id }];
      }
      case 'truncate': {
        if (rows.size === 0) return [];
        rows.clear();
        return [{ table: op.table, op: 'delete', rowid: null }];
      }
    }
  }

  /** Re-runs a query; equal strings mean an equal result. */
  evaluate(query: ModelQuery): string {
    switch (query.kind) {
      case 'scan':
        return JSON.stringify(sorted(this.rows(query.table)));
      case 'filter':
        return JSON.stringify(sorted(this.rows(query.table)).filter((row) => row.v >= query.minV));
      case 'count':
        return String(this.rows(query.table).size);
      case 'point': {
        const rows = this.rows(query.table);
        return JSON.stringify(query.ids.map((id) => rows.get(id) ?? null));
      }
      case 'join': {
        const right = this.rows(query.right);
        return JSON.stringify(
          sorted(this.rows(query.left)).flatMap((l) => {
            const r = right.get(l.k);
            return r === undefined ? [] : [[l, r]];
          }),
        );
      }
      case 'point-join': {
        const l = this.rows(query.left).get(query.id);
        const r = l === undefined ? undefined : this.rows(query.right).get(l.k);
        return JSON.stringify(l === undefined || r === undefined ? null : [l, r]);
      }
    }
  }
}

/** The read-set db-core would derive for a query of this shape. */
export function modelReadSet(query: ModelQuery): ReadSet {
  switch (query.kind) {
    case 'scan':
    case 'filter':
    case 'count':
      return readSetOf({ [query.table]: 'all' });
    case 'point':
      return readSetOf({ [query.table]: query.ids });
    case 'join':
      return readSetOf({ [query.left]: 'all', [query.right]: 'all' });
    case 'point-join':
      // The right side is sought by l.k, a value only known at run time: any right row matters.
      return query.left === query.right
        ? readSetOf({ [query.left]: 'all' })
        : readSetOf({ [query.left]: [query.id], [query.right]: 'all' });
  }
}

/** The same read-set with every rowid filter widened to the whole table (table-only matching). */
export function tableOnlyReadSet(query: ModelQuery): ReadSet {
  return readSetOf(Object.fromEntries([...modelReadSet(query).tables.keys()].map((table) => [table, 'all'])));
}

export function queryKey(query: ModelQuery, index: number): string {
  return `${index}:${JSON.stringify(query)}`;
}

function pick(rows: Map<number, ModelRow>, n: number): ModelRow | undefined {
  if (rows.size === 0) return undefined;
  return sorted(rows)[n % rows.size];
}

function sorted(rows: Map<number, ModelRow>): ModelRow[] {
  return [...rows.values()].sort((a, b) => a.id - b.id);
}
