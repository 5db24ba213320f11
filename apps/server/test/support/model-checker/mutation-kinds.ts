import type { SqlValue } from './query-shapes.ts';

/** Arguments every mutation kind takes (each uses the ones it needs). */
export interface MutationArgs {
  readonly id: number;
  readonly id2: number;
  readonly owner: number;
  readonly qty: number;
  readonly name: string;
  readonly sku: string;
}

export interface MutationKind {
  readonly name: string;
  /** Relative frequency in the workload. */
  readonly weight: number;
  statement(args: MutationArgs): { sql: string; params: SqlValue[] };
}

export const MUTATION_KINDS: readonly MutationKind[] = [
  {
    name: 'insertItem',
    weight: 2,
    statement: (a) => ({
      sql: 'INSERT OR IGNORE INTO items (id, sku, owner_id, qty) VALUES (?, ?, ?, ?)',
      params: [a.id, a.sku, a.owner, a.qty],
    }),
  },
  {
    name: 'bumpQty',
    weight: 2,
    statement: (a) => ({ sql: 'UPDATE items SET qty = qty + 1 WHERE qty < ?', params: [a.qty] }),
  },
  {
    name: 'moveItem',
    weight: 5,
    statement: (a) => ({ sql: 'UPDATE items SET owner_id = ? WHERE id = ?', params: [a.owner, a.id] }),
  },
  {
    name: 'renameOwner',
    weight: 5,
    statement: (a) => ({ sql: 'UPDATE owners SET name = ? WHERE id = ?', params: [a.name, a.owner] }),
  },
  {
    // A REPLACE conflict: row `id` takes row `id2`'s sku, so row `id2` is deleted by the UNIQUE
    // constraint (no delete trigger fires for it unless recursive triggers are on).
    name: 'replaceItem',
    weight: 3,
    statement: (a) => ({
      sql: 'INSERT OR REPLACE INTO items (id, sku, owner_id, qty) SELECT ?, sku, ?, ? FROM items WHERE id = ?',
      params: [a.id, a.owner, a.qty, a.id2],
    }),
  },
  {
    name: 'updateOrReplaceSku',
    weight: 2,
    statement: (a) => ({
      sql: 'UPDATE OR REPLACE items SET sku = coalesce((SELECT sku FROM items WHERE id = ?), ?) WHERE id = ?',
      params: [a.id2, a.sku, a.id],
    }),
  },
  {
    name: 'deleteItem',
    weight: 1,
    statement: (a) => ({ sql: 'DELETE FROM items WHERE id = ?', params: [a.id] }),
  },
  {
    name: 'upsertOwner',
    weight: 2,
    statement: (a) => ({
      sql: 'INSERT INTO owners (id, name) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name',
      params: [a.owner, a.name],
    }),
  },
  {
    name: 'upsertItem',
    weight: 2,
    statement: (a) => ({
      sql:
        'INSERT INTO items (id, sku, owner_id, qty) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT(id) DO UPDATE SET qty = excluded.qty, owner_id = excluded.owner_id',
      params: [a.id, `u${a.id}-${a.qty}`, a.owner, a.qty],
    }),
  },
  {
    name: 'deleteOwner',
    weight: 1,
    statement: (a) => ({ sql: 'DELETE FROM owners WHERE id = ?', params: [a.owner] }),
  },
];

/** The quiescence barrier's write: the sentinel row's counter. */
export const SENTINEL_MUTATION: MutationKind = {
  name: 'tick',
  weight: 0,
  statement: (a) => ({
    sql: 'INSERT INTO ticks (id, n) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET n = excluded.n',
    params: [a.qty],
  }),
};
