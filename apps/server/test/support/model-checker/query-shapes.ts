/**
 * The live query shapes, each written once as a generator of SQL reads: the router runs it
 * against `ctx.db` (synchronously, under read-set capture) and the oracle against the primary
 * (over Hrana), so both execute exactly the same statements with the same parameters.
 */

export type SqlValue = string | number | null;
export type Row = Record<string, unknown>;
export interface SqlRead {
  readonly sql: string;
  readonly params: readonly SqlValue[];
}
/** Yields each statement, receives its rows, returns the query's result. */
export type QueryProgram = Generator<SqlRead, unknown, Row[]>;

export interface QueryInput {
  readonly id?: number | undefined;
  readonly sku?: string | undefined;
  readonly lo?: number | undefined;
  readonly hi?: number | undefined;
}

export interface QueryShape {
  readonly name: string;
  /** Which input fields a random instance gets. */
  readonly inputs: readonly ('id' | 'sku' | 'range' | 'min')[];
  run(input: QueryInput, ownerId: number): QueryProgram;
}

const read = (sql: string, ...params: SqlValue[]): SqlRead => ({ sql, params });
const ITEM_COLUMNS = 'SELECT id, sku, owner_id, qty FROM items';

export const QUERY_SHAPES: readonly QueryShape[] = [
  {
    name: 'itemById',
    inputs: ['id'],
    *run(input) {
      return (yield read(`${ITEM_COLUMNS} WHERE id = ?`, input.id ?? 0))[0] ?? null;
    },
  },
  {
    name: 'itemBySku',
    inputs: ['sku'],
    *run(input) {
      return (yield read(`${ITEM_COLUMNS} WHERE sku = ?`, input.sku ?? ''))[0] ?? null;
    },
  },
  {
    // Two statements, the second bound to a value read by the first (a data-dependent read-set).
    // The owner is read even when the item is missing, so the tables read never depend on data.
    name: 'itemWithOwner',
    inputs: ['id'],
    *run(input) {
      const item = (yield read(`${ITEM_COLUMNS} WHERE id = ?`, input.id ?? 0))[0];
      const ownerId = typeof item?.owner_id === 'number' ? item.owner_id : -1;
      const owner = (yield read('SELECT id, name FROM owners WHERE id = ?', ownerId))[0];
      return { item: item ?? null, owner: owner ?? null };
    },
  },
  {
    name: 'allItems',
    inputs: [],
    *run() {
      return yield read(`${ITEM_COLUMNS} ORDER BY id`);
    },
  },
  {
    name: 'qtyRange',
    inputs: ['range'],
    *run(input) {
      return yield read(
        `${ITEM_COLUMNS} WHERE qty BETWEEN ? AND ? ORDER BY id`,
        input.lo ?? 0,
        input.hi ?? 0,
      );
    },
  },
  {
    name: 'ownerTotals',
    inputs: ['min'],
    *run(input) {
      return yield read(
        `WITH totals AS (SELECT owner_id, sum(qty) AS total, count(*) AS n FROM items GROUP BY owner_id)
         SELECT o.id, o.name, t.total, t.n FROM owners o JOIN totals t ON t.owner_id = o.id
         WHERE t.total >= ? ORDER BY o.id`,
        input.lo ?? 0,
      );
    },
  },
  {
    name: 'viewAll',
    inputs: [],
    *run() {
      return yield read('SELECT item_id, sku, qty, owner_id, owner_name FROM item_owners ORDER BY item_id');
    },
  },
  {
    name: 'viewByOwner',
    inputs: ['id'],
    *run(input) {
      return yield read(
        'SELECT item_id, sku, owner_name FROM item_owners WHERE owner_id = ? ORDER BY item_id',
        input.id ?? 0,
      );
    },
  },
  {
    name: 'stats',
    inputs: [],
    *run() {
      return (yield read(
        'SELECT count(*) AS n, coalesce(sum(qty), 0) AS total, coalesce(max(qty), 0) AS top FROM items',
      ))[0];
    },
  },
  {
    name: 'ownerItems',
    inputs: ['id'],
    *run(input) {
      return yield read(
        'SELECT i.id, i.sku, i.qty, o.name FROM owners o JOIN items i ON i.owner_id = o.id WHERE o.id = ? ORDER BY i.id',
        input.id ?? 0,
      );
    },
  },
  {
    name: 'ownerById',
    inputs: ['id'],
    *run(input) {
      return (yield read('SELECT id, name FROM owners WHERE id = ?', input.id ?? 0))[0] ?? null;
    },
  },
  {
    // Bound to the caller: the items of the owner the identity is tied to.
    name: 'myItems',
    inputs: [],
    *run(_input, ownerId) {
      return yield read(`${ITEM_COLUMNS} WHERE owner_id = ? ORDER BY id`, ownerId);
    },
  },
];

/** Mounted by every client for the whole run; the quiescence barrier writes its row. */
export const SENTINEL_SHAPE: QueryShape = {
  name: 'sentinel',
  inputs: [],
  *run() {
    return (yield read('SELECT id, n FROM ticks WHERE id = 1'))[0] ?? null;
  },
};

export const ALL_SHAPES: readonly QueryShape[] = [...QUERY_SHAPES, SENTINEL_SHAPE];

export function shapeNamed(name: string): QueryShape {
  const shape = ALL_SHAPES.find((s) => s.name === name);
  if (shape === undefined) throw new Error(`no query shape ${name}`);
  return shape;
}

/** Runs a program with a synchronous reader (the router, `ctx.db.all`). */
export function runSync(program: QueryProgram, all: (read: SqlRead) => Row[]): unknown {
  let step = program.next();
  while (!step.done) step = program.next(all(step.value));
  return step.value;
}

/** Runs a program with an asynchronous reader (the oracle on the primary). */
export async function runAsync(
  program: QueryProgram,
  all: (read: SqlRead) => Promise<Row[]>,
): Promise<unknown> {
  let step = program.next();
  while (!step.done) step = program.next(await all(step.value));
  return step.value;
}

/** Canonical JSON (sorted object keys) for comparing results. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Row).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : typeof v === 'bigint'
        ? Number(v)
        : v,
  );
}
