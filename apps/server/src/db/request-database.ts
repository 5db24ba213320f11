import type { Identity } from '../auth/identity.ts';
import type { TablePermissions } from '../auth/table-permissions.ts';
import { ServerError } from '../server-error.ts';
import type {
  BatchResult,
  BatchStatement,
  BindParams,
  FramePosition,
  LiveDatabase,
  ReadSet,
  Row,
  Transaction,
  WriteResult,
} from './database-contract.ts';

/**
 * The database as a procedure sees it (`ctx.db`): reads are synchronous local reads, writes are
 * asynchronous and answer with their position. Every statement is checked against the caller's
 * table permissions through its engine-derived read-set, and, while a live query's read-set is
 * being derived, recorded into `capture` (so live queries need no annotations).
 *
 * @example const rows = ctx.db.all('SELECT * FROM orders WHERE tenant_id = ?', [ctx.identity.tenantId]);
 */
export interface RequestDatabase {
  all<T extends Row = Row>(sql: string, params?: BindParams): T[];
  get<T extends Row = Row>(sql: string, params?: BindParams): T | undefined;
  run(sql: string, params?: BindParams): Promise<WriteResult>;
  /**
   * An interactive transaction, begun IMMEDIATE: procedures read then write, and a deferred
   * transaction that read first fails with BUSY_SNAPSHOT when another server wrote meanwhile.
   */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<{ value: T; position: FramePosition }>;
  /** Statements as one atomic unit; in replica mode one request to the primary (the cheapest write). */
  batch(statements: readonly BatchStatement[]): Promise<BatchResult>;
}

/** One statement a live query ran while its read-set was being derived. */
export interface CapturedStatement {
  readonly readSet: ReadSet;
  readonly params: BindParams | undefined;
}

/**
 * Whether a captured read-set can change with the data: some statement with a rowid filter was
 * bound to a value found neither in the input nor in `known` (the identity), so it was probably
 * read by an earlier statement (a foreign key). Such read-sets are derived again after each
 * invalidation; the others only after schema changes.
 *
 * @example isDataDependent(captured, { id: 5 }, [identity.tenantId]) // false for `WHERE id = ?` [5]
 */
export function isDataDependent(
  captured: readonly CapturedStatement[],
  input: unknown,
  known: readonly unknown[],
): boolean {
  const leaves = new Set<string>(known.map((value) => String(value)));
  collectLeaves(input, leaves, 0);
  for (const { readSet, params } of captured) {
    let pointRead = false;
    for (const filter of readSet.tables.values()) if (filter.kind === 'rowids') pointRead = true;
    if (!pointRead || params === undefined) continue;
    const values = Array.isArray(params) ? params : Object.values(params);
    for (const value of values) {
      if (value !== null && !leaves.has(String(value))) return true;
    }
  }
  return false;
}

function collectLeaves(value: unknown, into: Set<string>, depth: number): void {
  if (depth > 8 || value === undefined) return;
  if (value === null || typeof value !== 'object') {
    into.add(String(value));
    return;
  }
  for (const child of Array.isArray(value) ? value : Object.values(value))
    collectLeaves(child, into, depth + 1);
}

/** Tables per SQL text: they do not depend on parameters, so the permission check costs one EXPLAIN per text. */
export class StatementTablesCache {
  readonly #database: LiveDatabase;
  readonly #cache = new Map<string, readonly string[]>();
  readonly #limit: number;

  constructor(database: LiveDatabase, limit = 2000) {
    this.#database = database;
    this.#limit = limit;
  }

  tables(sql: string, params?: BindParams): readonly string[] {
    let tables = this.#cache.get(sql);
    if (tables === undefined) {
      tables = [...this.#database.readSet(sql, params).tables.keys()];
      if (this.#cache.size >= this.#limit) this.#cache.clear();
      this.#cache.set(sql, tables);
    }
    return tables;
  }

  /** Schema changes can change what a text reads (views): forget everything. */
  clear(): void {
    this.#cache.clear();
  }
}

export function requestDatabase(options: {
  database: LiveDatabase;
  tables: StatementTablesCache;
  identity: Identity;
  permissions: TablePermissions;
  capture?: CapturedStatement[];
}): RequestDatabase {
  const { database, tables, identity, permissions, capture } = options;
  const driver = database.driver;
  const guard = (sql: string, params?: BindParams) => {
    for (const table of tables.tables(sql, params)) {
      if (!permissions.canRead(identity, table)) {
        throw new ServerError('FORBIDDEN_TABLE', `role ${identity.role} may not read table ${table}`);
      }
    }
    capture?.push({ readSet: database.readSet(sql, params), params });
  };
  return {
    all: (sql, params) => {
      guard(sql, params);
      return driver.all(sql, params);
    },
    get: (sql, params) => {
      guard(sql, params);
      return driver.get(sql, params);
    },
    // async: a refused statement is a rejected promise like any other write failure.
    run: async (sql, params) => {
      guard(sql, params);
      return driver.run(sql, params);
    },
    batch: async (statements) => {
      for (const { sql, params } of statements) guard(sql, params);
      return driver.batch(statements);
    },
    transaction: (fn) =>
      driver.transaction((tx) => fn(guardTransaction(tx, guard)), { behavior: 'immediate' }),
  };
}

/**
 * `tx` as a procedure may use it: every statement is checked (and captured) by `guard` before it
 * runs, and a savepoint hands its callback a guarded handle too, at any depth. Without this a
 * savepoint would be a way around the table permissions and the read-set capture.
 */
function guardTransaction(tx: Transaction, guard: (sql: string, params?: BindParams) => void): Transaction {
  return {
    run: async (sql, params) => {
      guard(sql, params);
      return tx.run(sql, params);
    },
    all: async (sql, params) => {
      guard(sql, params);
      return tx.all(sql, params);
    },
    get: async (sql, params) => {
      guard(sql, params);
      return tx.get(sql, params);
    },
    savepoint: (inner) => tx.savepoint((child) => inner(guardTransaction(child, guard))),
  };
}

/**
 * Unites the read-sets of every statement a procedure ran (`all` wins over rowids).
 *
 * @example mergeReadSets([a, b]).tables.get('orders')
 */
export function mergeReadSets(readSets: readonly ReadSet[]): ReadSet {
  const tables = new Map<string, { kind: 'all' } | { kind: 'rowids'; rowids: Set<number> }>();
  for (const readSet of readSets) {
    for (const [raw, filter] of readSet.tables) {
      const table = raw.toLowerCase();
      const previous = tables.get(table);
      if (filter.kind === 'all' || previous?.kind === 'all') tables.set(table, { kind: 'all' });
      else if (previous === undefined) tables.set(table, { kind: 'rowids', rowids: new Set(filter.rowids) });
      else for (const rowid of filter.rowids) previous.rowids.add(rowid);
    }
  }
  return { tables };
}
