import { guardLibsqlSource, guardTransaction, type LibsqlClientSource } from '@liveframe/db-core';
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
  /**
   * The newest position a write of this request reached, by any route (`ctx.db`, `ctx.client`,
   * a query builder on it); undefined before the first write. A mutation returns it as `frame`
   * (`formatPositionId`) so that its client reads its own write.
   *
   * @example return { id, frame: formatPositionId(ctx.db.lastWrite!) };
   */
  readonly lastWrite: FramePosition | undefined;
}

/** One statement a live query ran while its read-set was being derived. */
export interface CapturedStatement {
  readonly readSet: ReadSet;
  readonly params: BindParams | undefined;
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

/**
 * liveframe's own tables (the replicated change log and its bookkeeping): every write to a user
 * table in replica mode also writes the log through its triggers, so the engine's read-set of an
 * `INSERT INTO notes` names `_liveframe_changes`; a role allowed `notes` must not fail on that.
 * Procedures are the app's code and have no reason to read these tables.
 */
function isFrameworkTable(table: string): boolean {
  return table.startsWith('_liveframe_');
}

/**
 * What the libSQL-client sources need of a request database: its checks (permissions and
 * read-set capture), its write tracking and the database. Kept per request; the sources are
 * built from it only when a client is used.
 */
export interface RequestInternals {
  readonly driver: LiveDatabase['driver'];
  readonly guard: (sql: string, params?: BindParams) => void;
  readonly wrote: <T extends { readonly position: FramePosition }>(result: T) => T;
}

const internals = new WeakMap<RequestDatabase, RequestInternals>();

export function requestInternals(db: RequestDatabase): RequestInternals {
  const found = internals.get(db);
  if (found === undefined) throw new Error('not a request database');
  return found;
}

/** The guarded source behind a request database, for its `@libsql/client`-compatible client. */
export function clientSourceOf(db: RequestDatabase): LibsqlClientSource {
  const { driver, guard, wrote } = requestInternals(db);
  const guarded = guardLibsqlSource(driver, guard);
  return {
    ...guarded,
    mode: driver.mode,
    execute: async (sql, params) => wrote(await guarded.execute(sql, params)),
    batchRaw: async (statements, batchOptions) => {
      const result = await guarded.batchRaw(statements, batchOptions);
      return batchOptions?.readOnly === true ? result : wrote(result);
    },
    transaction: async (fn, transactionOptions) => wrote(await guarded.transaction(fn, transactionOptions)),
    exec: refuseScript,
  };
}

/**
 * A script is checked statement by statement only as well as it is split; inside a procedure
 * every statement must be seen exactly as the engine runs it, so scripts are refused.
 */
export async function refuseScript(): Promise<never> {
  throw new ServerError(
    'UNSUPPORTED_IN_PROCEDURE',
    'executeMultiple (a script) is not available inside a procedure: use execute or batch',
  );
}

export function requestDatabase(options: {
  database: LiveDatabase;
  tables: StatementTablesCache;
  identity: object;
  permissions: TablePermissions<object>;
  capture?: CapturedStatement[];
}): RequestDatabase {
  const { database, tables, identity, permissions, capture } = options;
  const driver = database.driver;
  const guard = (sql: string, params?: BindParams) => {
    for (const table of tables.tables(sql, params)) {
      if (isFrameworkTable(table)) continue;
      if (!permissions.canRead(identity, table)) {
        throw new ServerError('FORBIDDEN_TABLE', `this identity may not use table ${table}`);
      }
    }
    capture?.push({ readSet: database.readSet(sql, params), params });
  };
  let lastWrite: FramePosition | undefined;
  const wrote = <T extends { readonly position: FramePosition }>(result: T): T => {
    const { position } = result;
    if (
      lastWrite === undefined ||
      position.generation !== lastWrite.generation ||
      position.frame > lastWrite.frame
    )
      lastWrite = position;
    return result;
  };
  const db: RequestDatabase = {
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
      return wrote(await driver.run(sql, params));
    },
    batch: async (statements) => {
      for (const { sql, params } of statements) guard(sql, params);
      return wrote(await driver.batch(statements));
    },
    transaction: async (fn) =>
      // Every statement of the transaction, and of its savepoints at any depth, is checked and
      // captured: a savepoint must not be a way around the permissions or the read-set.
      wrote(await driver.transaction((tx) => fn(guardTransaction(tx, guard)), { behavior: 'immediate' })),
    get lastWrite() {
      return lastWrite;
    },
  };
  internals.set(db, { driver, guard, wrote });
  return db;
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
