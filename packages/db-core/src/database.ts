import type {
  AggregateOptions,
  Authorizer,
  FunctionOptions,
  SqlArgument,
  SqliteLimit,
  SqlResult,
} from '@liveframe/native';
import type { CaptureEvent } from './change-set.ts';
import type { Connection } from './connection.ts';
import { type CursorOptions, openCursor } from './cursor.ts';
import type {
  BatchResult,
  BatchStatement,
  ChangeStreamOptions,
  ConnectionMode,
  Driver,
  SyncResult,
  TransactionBehavior,
  WaitForFrameResult,
  WriteResult,
} from './driver.ts';
import { DbError } from './errors.ts';
import { ExtensionAllowlist } from './extension-allowlist.ts';
import { describeStatement, type StatementInfo } from './introspection.ts';
import { LocalDriver } from './local-driver.ts';
import { NativeFeatures } from './native-features.ts';
import { type OpenOptions, type ReplicaOpenOptions, validateOpenOptions } from './open-options.ts';
import type { FramePosition } from './position.ts';
import {
  noteBatchFailure,
  type RawBatchResult,
  type RawResult,
  type RawTransaction,
  type RawWriteResult,
  type StatementKind,
} from './raw-result.ts';
import type { LocalConnections } from './read-connection-pool.ts';
import { type ReadSet, ReadSetAnalyzer } from './read-set.ts';
import { type ChangeRowsJson, changeRowsFromJson, changeRowsToJson } from './replica/primary-change-rows.ts';
import type { CompactReport } from './replica/protocol.ts';
import type { FreezeOptions, ReplicaDriver, RetentionPolicy } from './replica/replica-driver.ts';
import { StatementCache } from './statement-cache.ts';
import { classifyStatement } from './statement-kind.ts';
import { runTransaction } from './transaction.ts';
import type { BindParams, Row } from './values.ts';

/**
 * The database application code and the server use. It owns its driver (house rule 1): reads
 * are synchronous on local connections, writes are asynchronous in both modes.
 *
 * @example
 * await using db = await openDatabase({ mode: 'local', path: './data/app.db' });
 * await db.exec('CREATE TABLE IF NOT EXISTS todo(id INTEGER PRIMARY KEY, title TEXT)');
 * const { position } = await db.run('INSERT INTO todo(title) VALUES (?)', ['write docs']);
 * db.all('SELECT * FROM todo'); // [{ id: 1, title: 'write docs' }]
 */
export class Database implements AsyncDisposable {
  readonly #driver: Driver;
  readonly #connections: LocalConnections;
  readonly #extensions: ExtensionAllowlist;
  readonly #readSets: ReadSetAnalyzer;
  readonly #features: NativeFeatures;
  readonly #kinds = new StatementCache<StatementKind>(1024);
  #closed = false;

  /** @internal Use `openDatabase`. */
  constructor(driver: Driver, options: { allowedExtensions?: readonly string[] | undefined }) {
    if (driver.connections === undefined) {
      throw new DbError('INTERNAL', `the ${driver.mode} driver exposes no local connections`);
    }
    this.#driver = driver;
    this.#connections = driver.connections;
    this.#extensions = new ExtensionAllowlist(options.allowedExtensions ?? []);
    this.#readSets = new ReadSetAnalyzer(
      () => this.#reader(),
      (fn) => {
        // A connection of its own, closed afterwards: EXPLAIN pins the snapshot of the connection it ran on.
        const conn = this.#connections.acquire();
        try {
          return fn(conn);
        } finally {
          conn.close();
          this.#connections.release(conn);
        }
      },
    );
    this.#features = new NativeFeatures(this.#connections);
  }

  get mode(): ConnectionMode {
    return this.#driver.mode;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Integers beyond 2^53 come back as bigint, all others as number. With `timeoutMs`, a query
   * still running after that long is interrupted with DEADLINE_EXCEEDED.
   * @example db.all<{ id: number }>('SELECT id FROM todo WHERE done = ?', [0], { timeoutMs: 200 })
   */
  all<T extends Row = Row>(sql: string, params?: BindParams, options?: QueryOptions): T[] {
    if (options?.timeoutMs === undefined) return this.#driver.all<T>(sql, params);
    return this.withDeadline(options.timeoutMs, () => this.#driver.all<T>(sql, params));
  }

  /** @example db.get<{ n: number }>('SELECT count(*) AS n FROM todo')?.n */
  get<T extends Row = Row>(sql: string, params?: BindParams, options?: QueryOptions): T | undefined {
    if (options?.timeoutMs === undefined) return this.#driver.get<T>(sql, params);
    return this.withDeadline(options.timeoutMs, () => this.#driver.get<T>(sql, params));
  }

  /**
   * Runs synchronous reads with one deadline: any statement `fn` runs through this database's
   * reads (all/get) that is still running `ms` from now fails with DEADLINE_EXCEEDED. Works in
   * both modes (reads are local). Nested calls keep the earlier deadline.
   * @example const rows = db.withDeadline(100, () => db.all('SELECT * FROM big ORDER BY random()'));
   */
  withDeadline<T>(ms: number, fn: () => T): T {
    checkTimeout(ms);
    return this.#reader().withDeadline(ms, fn);
  }

  /** @example const { lastInsertRowid, position } = await db.run('INSERT INTO todo(title) VALUES (?)', ['x']); */
  run(sql: string, params?: BindParams): Promise<WriteResult> {
    return this.#driver.run(sql, params);
  }

  /**
   * Statements as one atomic unit, all or nothing (replica mode: one request to the primary).
   * @example
   * await db.batch([
   *   { sql: 'UPDATE orders SET status = ? WHERE id = ?', params: ['paid', 7] },
   *   { sql: "INSERT INTO events(order_id, type) SELECT ?, 'paid' WHERE changes() > 0", params: [7] },
   * ]);
   */
  batch(statements: readonly BatchStatement[]): Promise<BatchResult> {
    return this.#driver.batch(statements);
  }

  /**
   * A read on the local connections with its raw result: value arrays in column order (duplicate
   * column names survive), column names and declared types even for an empty result, and every
   * integer as an exact bigint. Synchronous, like `all`.
   * @example db.query('SELECT id, id FROM todo WHERE 0') // { columns: ['id', 'id'], columnTypes: ['INTEGER', 'INTEGER'], rows: [], ... }
   */
  query(sql: string, params?: BindParams, options?: QueryOptions): RawResult {
    if (options?.timeoutMs === undefined) return this.#driver.query(sql, params);
    return this.withDeadline(options.timeoutMs, () => this.#driver.query(sql, params));
  }

  /**
   * Any one statement on the write path (the primary in replica mode) with its raw result (the
   * rows of RETURNING too) and the position it reached. A statement that would leave a
   * transaction open (BEGIN) is refused: use `transaction`.
   * @example const { rows, position } = await db.execute('INSERT INTO todo(title) VALUES (?) RETURNING id', ['x']);
   */
  execute(sql: string, params?: BindParams): Promise<RawWriteResult> {
    return this.#driver.execute(sql, params);
  }

  /**
   * `batch` with raw per-statement results. `readOnly`: the statements run in one read
   * transaction on a local connection of their own (a consistent snapshot, writes refused with
   * READ_ONLY), in both modes; otherwise on the write path, atomically.
   * @example const { results } = await db.batchRaw([{ sql: 'SELECT count(*) FROM todo' }], { readOnly: true });
   */
  async batchRaw(
    statements: readonly BatchStatement[],
    options: { readOnly?: boolean } = {},
  ): Promise<RawBatchResult> {
    if (options.readOnly !== true) return this.#driver.batchRaw(statements);
    this.#assertOpen();
    const conn = this.#connections.acquire();
    try {
      const results = await runTransaction(
        conn,
        async () =>
          statements.map(({ sql, params }, index) => {
            try {
              return conn.query(sql, params);
            } catch (error) {
              noteBatchFailure(error, index);
              throw error;
            }
          }),
        'read-only',
      );
      return { results, position: this.#driver.position() };
    } finally {
      this.#connections.release(conn);
    }
  }

  /**
   * Whether a statement only reads (and can run on the local read connections with `query`) or
   * needs the write path (`execute`), decided by the engine from the statement's program (see
   * statement-kind.ts), not from its text. Cached per SQL text. A statement that does not prepare
   * here (a table this replica has not synced yet, a syntax error) is a `write`, so the write
   * path answers it authoritatively.
   * @example db.statementKind('SELECT 1') // 'read'; db.statementKind('INSERT INTO t VALUES (1) RETURNING *') // 'write'
   */
  statementKind(sql: string): StatementKind {
    const known = this.#kinds.get(sql);
    if (known !== undefined) return known;
    this.#assertOpen(sql);
    const conn = this.#connections.acquire();
    let kind: StatementKind;
    try {
      kind = classifyStatement(conn, sql);
    } catch {
      return 'write';
    } finally {
      // A finished EXPLAIN pins the snapshot of its connection (see read-set.ts): never reuse it.
      conn.close();
      this.#connections.release(conn);
    }
    this.#kinds.set(sql, kind);
    return kind;
  }

  /**
   * Called with the position of each write of THIS database the primary acknowledged, before the
   * local replica has synced it (replica mode; in local mode the commit is the acknowledgement).
   * Peer sync hints use it so other servers learn of a write as early as possible.
   */
  onWriteAcknowledged(
    listener: (position: FramePosition, changes: ChangeRowsJson | null) => void,
  ): () => void {
    if (this.#driver.mode !== 'replica') return () => undefined;
    return (this.#driver as ReplicaDriver).onPrimaryCommit((position, changes) =>
      listener(position, changes === null ? null : changeRowsToJson(changes)),
    );
  }

  /**
   * Replica mode: the change-log rows another server's write read from the primary (what its
   * {@link onWriteAcknowledged} listener got), published on this database's change stream before
   * the sync that brings them, when they continue it without a gap. Returns whether anything was
   * published; invalid or non-continuing rows are ignored (the sync still delivers everything).
   */
  applyPeerChanges(position: FramePosition, changes: unknown): boolean {
    if (this.#driver.mode !== 'replica') return false;
    const rows = changeRowsFromJson(changes);
    return rows !== null && (this.#driver as ReplicaDriver).applyPeerChanges(position, rows);
  }

  /** Runs a script (migrations). @example await db.exec('CREATE TABLE a(x); CREATE TABLE b(y);') */
  exec(sql: string): Promise<FramePosition> {
    return this.#driver.exec(sql);
  }

  /**
   * @example
   * await db.transaction(async (tx) => {
   *   await tx.run('UPDATE account SET balance = balance - 10 WHERE id = 1');
   *   await tx.savepoint(async (sp) => sp.run('INSERT INTO audit(msg) VALUES (?)', ['moved 10']));
   * }, { behavior: 'immediate' });
   */
  transaction<T>(
    fn: (tx: RawTransaction) => Promise<T>,
    options?: TransactionOptions,
  ): Promise<{ value: T; position: FramePosition }> {
    if (options?.timeoutMs !== undefined) {
      checkTimeout(options.timeoutMs);
      if (this.#localDriver() === undefined) {
        return Promise.reject(
          notInReplicaMode('transaction deadlines', 'transactions run on the primary, beyond our extension'),
        );
      }
    }
    return this.#driver.transaction(fn, options);
  }

  position(): FramePosition {
    return this.#driver.position();
  }

  sync(): Promise<SyncResult> {
    return this.#driver.sync();
  }

  /**
   * Replica mode: installs (or brings up to date) the replicated change log on the primary.
   * Idempotent; run it after migrations. Local mode has nothing to install (NOT_SUPPORTED).
   * @example if (db.mode === 'replica') await db.installChangeLog();
   */
  async installChangeLog(): Promise<{
    readonly tables: readonly string[];
    readonly position: FramePosition;
  }> {
    this.#assertOpen();
    const driver = this.#driver as Driver & {
      installChangeLog?: () => Promise<{ tables: readonly string[]; position: FramePosition }>;
    };
    if (typeof driver.installChangeLog !== 'function') {
      throw new DbError('NOT_SUPPORTED', `the ${this.#driver.mode} driver has no replicated change log`);
    }
    return driver.installChangeLog();
  }

  /**
   * Replica mode: drops change-log rows on the primary beyond the retention (age and/or row
   * count), never a row a live replica cursor still needs, never the newest row. Run it
   * periodically; concurrent runs from several servers are safe (each deletes in one transaction
   * on the primary). Local mode has no log: NOT_SUPPORTED. After `freeze`: FROZEN.
   * @example if (db.mode === 'replica') await db.compactChangeLog({ maxAgeMs: 3_600_000, maxRows: 100_000 });
   */
  async compactChangeLog(policy: RetentionPolicy = {}): Promise<CompactReport> {
    this.#assertOpen();
    checkRetention(policy);
    return this.#replica('compactChangeLog').compactChangeLog(policy);
  }

  /**
   * Replica mode: turns the replica into a standalone local database (disaster recovery when the
   * primary is gone): a final sync if the primary answers, a consistent copy (in place, or at
   * `path`), then local connections on it. Afterwards writes commit locally, the change stream
   * continues with native capture under a new generation (one `refetch-all` marks the switch),
   * and `sync`, `installChangeLog`, `compactChangeLog` and a second `freeze` fail with FROZEN.
   * Local mode: NOT_SUPPORTED (it is a local database already).
   * @example const position = await db.freeze(); // position.frame === 0, a fresh generation
   */
  async freeze(options: FreezeOptions = {}): Promise<FramePosition> {
    this.#assertOpen();
    return this.#replica('freeze').freeze(options);
  }

  /** True once `freeze` turned this replica into a local database (always false in local mode). */
  get frozen(): boolean {
    return this.#driver.mode === 'replica' && (this.#driver as ReplicaDriver).frozen;
  }

  /**
   * The position the newest write made through this database reached; null before the first.
   * Replica mode: the primary's frame for the write (hand it to other servers as `minFrame`).
   * Local mode (and frozen): the local commit counter position of the newest write.
   * @example const w = db.maxWriteReplicationIndex(); if (w) await other.waitForFrame(w, { timeoutMs: 2000 });
   */
  maxWriteReplicationIndex(): FramePosition | null {
    this.#assertOpen();
    if (this.#driver.mode === 'replica') return (this.#driver as ReplicaDriver).maxWriteReplicationIndex();
    const position = this.#driver.position();
    // The local frame counts commits made through this driver, so frame 0 means "no write yet".
    return position.frame === 0 ? null : position;
  }

  /**
   * Replica mode: the newest position of the primary this database has heard of (from the
   * answers to its writes and transaction reads, and from its syncs), in the replica's current
   * generation; `primaryPosition().frame - position().frame` is the replica's lag as far as it
   * knows. Undefined in local mode and once frozen or closed: there is no primary to lag behind.
   *
   * @example const primary = db.primaryPosition(); const lag = primary ? primary.frame - db.position().frame : 0;
   */
  primaryPosition(): FramePosition | undefined {
    if (this.#driver.mode !== 'replica') return undefined;
    return (this.#driver as ReplicaDriver).primaryPosition();
  }

  /**
   * The frame local reads see now (`position().frame`): replica mode the replicated frame of the
   * current generation, local mode (and frozen) the local commit counter. Compare frames only
   * together with `position().generation`.
   * @example db.replicationIndex() // 42
   */
  replicationIndex(): number {
    this.#assertOpen();
    return this.#driver.position().frame;
  }

  /** @example const r = await db.waitForFrame(minFrame, { timeoutMs: 2000 }); if (r.status !== 'reached') ... */
  waitForFrame(target: FramePosition, options: { timeoutMs: number }): Promise<WaitForFrameResult> {
    return this.#driver.waitForFrame(target, options);
  }

  /** @example for await (const e of db.changes({ signal })) if (e.type === 'changes') handle(e.changeSet); */
  changes(options?: ChangeStreamOptions): AsyncIterable<CaptureEvent> {
    return this.#driver.changes(options);
  }

  /**
   * Streams rows with constant memory; leaving the loop early releases the statement.
   * @example for await (const row of db.cursor('SELECT * FROM events ORDER BY id')) process(row);
   */
  cursor<T extends Row = Row>(
    sql: string,
    params?: BindParams,
    options?: CursorOptions,
  ): AsyncGenerator<T, void> {
    this.#assertOpen(sql);
    if (options?.timeoutMs !== undefined) checkTimeout(options.timeoutMs);
    return openCursor<T>(this.#connections, sql, params, options);
  }

  /**
   * Registers a scalar SQL function implemented in JS on every connection (both modes: in
   * replica mode it runs on the local read connections, so only reads can use it). Integers
   * beyond 2^53 arrive as bigint. The function must not call back into the database.
   * @example
   * db.createFunction('slug', (s) => String(s).toLowerCase().replace(/\W+/g, '-'), { deterministic: true });
   * db.all("SELECT slug(title) AS s FROM todo");
   */
  createFunction(name: string, fn: (...args: SqlArgument[]) => SqlResult, options?: FunctionOptions): void {
    this.#assertOpen();
    this.#features.createFunction(name, fn, options);
  }

  /**
   * Registers an aggregate SQL function implemented in JS on every connection.
   * @example
   * db.createAggregate('product', { start: 1, step: (acc: number, x) => acc * Number(x) });
   * db.get('SELECT product(qty) AS p FROM items');
   */
  createAggregate<T>(name: string, options: AggregateOptions<T>): void {
    this.#assertOpen();
    this.#features.createAggregate(name, options);
  }

  /**
   * Reads a SQLite run-time limit; with `value`, sets it on every connection (SQLite caps it at
   * the compile-time maximum) and returns the previous value.
   * @example db.limit('LENGTH', 1_000_000); // strings and blobs above 1 MB now fail with LIMIT_EXCEEDED
   */
  limit(name: SqliteLimit, value?: number): number {
    this.#assertOpen();
    return this.#features.limit(name, value);
  }

  /**
   * Installs (null removes) an authorizer on every connection. It runs while statements are
   * prepared: 'deny' fails the statement with AUTHORIZATION_DENIED, 'ignore' reads NULL for a
   * column (READ) or skips the action. Cached statements are dropped so the rules apply at once.
   * @example
   * db.setAuthorizer((action, table) => (action === 'READ' && table === 'secrets' ? 'deny' : 'ok'));
   */
  setAuthorizer(authorizer: Authorizer | null): void {
    this.#assertOpen();
    this.#features.setAuthorizer(authorizer);
  }

  /**
   * Local mode: runs `veto` in the commit hook of every write transaction, before it becomes
   * durable; returning false (or throwing) rolls the transaction back and the write fails with
   * COMMIT_VETOED. Replica mode: NOT_SUPPORTED_IN_REPLICA_MODE (commits happen on the primary);
   * a frozen replica commits locally and supports it.
   * @example db.setCommitVeto((pendingChanges) => pendingChanges <= 10_000);
   */
  setCommitVeto(veto: ((pendingChanges: number) => boolean) | null): void {
    this.#assertOpen();
    const local = this.#localDriver();
    if (local === undefined) {
      throw notInReplicaMode('commit hooks', 'commits happen on the primary, which runs no hooks of ours');
    }
    local.writer.requireExtension('setCommitVeto').setCommitVeto(veto);
  }

  /**
   * Tables (and rowids, for primary-key lookups) a statement depends on, from the engine's plan.
   * @example db.readSet('SELECT * FROM todo WHERE id = ?', [3]).tables.get('todo') // { kind: 'rowids', rowids: Set {3} }
   */
  readSet(sql: string, params?: BindParams): ReadSet {
    this.#assertOpen(sql);
    return this.#readSets.readSet(sql, params);
  }

  /** @example db.describe('SELECT id, title FROM todo WHERE id = :id').parameterNames // [':id'] */
  describe(sql: string): StatementInfo {
    return describeStatement(this.#reader(), sql);
  }

  /**
   * Loads a SQLite extension on every local connection, only if its realpath was allowed at open.
   * @example await openDatabase({ mode: 'local', path, allowedExtensions: ['/opt/ext/vec.so'] })
   */
  loadExtension(path: string): void {
    this.#assertOpen();
    const real = this.#extensions.check(path);
    this.#connections.addSetup((conn) => conn.loadExtension(real));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#driver.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The driver that commits locally: local mode's, or the one a frozen replica became. */
  #localDriver(): LocalDriver | undefined {
    if (this.#driver instanceof LocalDriver) return this.#driver;
    if (this.#driver.mode === 'replica') return (this.#driver as ReplicaDriver).frozenDriver;
    return undefined;
  }

  /** The replica driver for a replica-only operation; local mode refuses with NOT_SUPPORTED. */
  #replica(operation: string): ReplicaDriver {
    if (this.#driver.mode !== 'replica') {
      throw new DbError('NOT_SUPPORTED', `${operation} needs replica mode; this is a local database`);
    }
    return this.#driver as ReplicaDriver;
  }

  #reader(): Connection {
    this.#assertOpen();
    return this.#connections.reader;
  }

  #assertOpen(sql?: string): void {
    if (this.#closed) throw new DbError('CLOSED', 'the database is closed', { sql });
  }
}

export interface QueryOptions {
  /** Interrupt the statement with DEADLINE_EXCEEDED when it runs longer than this. */
  readonly timeoutMs?: number;
}

export interface TransactionOptions {
  readonly behavior?: TransactionBehavior;
  /**
   * Local mode: the whole transaction must finish within this many ms; a statement running past
   * it is interrupted, and the transaction rolls back with DEADLINE_EXCEEDED.
   * Replica mode: NOT_SUPPORTED_IN_REPLICA_MODE.
   */
  readonly timeoutMs?: number;
  /**
   * `false`: foreign-key enforcement is off for this transaction (SQLite ignores
   * `PRAGMA foreign_keys` inside one, so it is switched on the connection before BEGIN and put
   * back after). For table rebuilds; check `PRAGMA foreign_key_check` before the body returns.
   */
  readonly foreignKeys?: boolean;
}

function checkTimeout(ms: number): void {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) {
    throw new DbError('INVALID_OPTIONS', `timeoutMs must be a positive number, got ${String(ms)}`);
  }
}

function checkRetention(policy: RetentionPolicy): void {
  for (const key of ['maxAgeMs', 'maxRows'] as const) {
    const value = policy[key];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) {
      throw new DbError('INVALID_OPTIONS', `${key} must be a non-negative number, got ${String(value)}`);
    }
  }
}

function notInReplicaMode(feature: string, why: string): DbError {
  return new DbError('NOT_SUPPORTED_IN_REPLICA_MODE', `${feature} are not available in replica mode: ${why}`);
}

/**
 * Opens a database in local or replica mode after validating the options.
 *
 * @example
 * const db = await openDatabase({ mode: 'replica', path: './replica.db', syncUrl: 'http://127.0.0.1:8080' });
 */
export async function openDatabase(options: OpenOptions): Promise<Database> {
  const valid = validateOpenOptions(options);
  const common = {
    path: valid.path,
    ...(valid.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: valid.busyTimeoutMs }),
    ...(valid.statementCacheSize === undefined ? {} : { statementCacheSize: valid.statementCacheSize }),
  };
  let driver: Driver;
  if (valid.mode === 'local') {
    driver = LocalDriver.open({
      ...common,
      ...(valid.externalChangePollMs === undefined
        ? {}
        : { externalChangePollMs: valid.externalChangePollMs }),
    });
  } else {
    driver = await openReplicaDriver(valid, common);
  }
  try {
    return new Database(driver, { allowedExtensions: valid.allowedExtensions });
  } catch (error) {
    await driver.close();
    throw error;
  }
}

interface ReplicaDriverModule {
  ReplicaDriver: { open(options: Record<string, unknown>): Driver | Promise<Driver> };
}

async function openReplicaDriver(
  options: ReplicaOpenOptions,
  common: Record<string, unknown>,
): Promise<Driver> {
  // Loaded on demand: local-only processes never start the replica worker machinery.
  const specifier = './replica/replica-driver.ts';
  const module = (await import(specifier)) as ReplicaDriverModule;
  return module.ReplicaDriver.open({
    ...common,
    syncUrl: options.syncUrl,
    ...(options.authToken === undefined ? {} : { authToken: options.authToken }),
    ...(options.syncIntervalMs === undefined ? {} : { syncIntervalMs: options.syncIntervalMs }),
  });
}
