import { randomUUID } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { AsyncMutex } from '../async-mutex.ts';
import { OPS_BY_CODE } from '../capture/change-log.ts';
import type { CaptureEvent, TableChange } from '../change-set.ts';
import { ChangeBroadcaster } from '../change-stream.ts';
import { Connection } from '../connection.ts';
import type {
  BatchResult,
  BatchStatement,
  ChangeStreamOptions,
  Driver,
  SyncResult,
  Transaction,
  TransactionBehavior,
  WaitForFrameResult,
  WriteResult,
} from '../driver.ts';
import { DbError } from '../errors.ts';
import { LocalDriver } from '../local-driver.ts';
import type { FramePosition } from '../position.ts';
import {
  noteBatchFailure,
  type RawBatchResult,
  type RawResult,
  type RawTransaction,
  type RawWriteResult,
} from '../raw-result.ts';
import { type ConnectionSetup, type LocalConnections, ReadConnectionPool } from '../read-connection-pool.ts';
import { splitStatements } from '../sql-text.ts';
import type { BindParams, Row } from '../values.ts';
import { ChangeSequencer, type SequencedChanges } from './change-sequencer.ts';
import { decodeRaw, decodeRows, encodeStmt, type HranaStmt, type HranaStmtResult } from './hrana-values.ts';
import { changeRowsAfter, columnarChangeRows } from './primary-change-rows.ts';
import { PrimaryHttp, type PrimaryStream } from './primary-http.ts';
import type { AdvanceEvent, ColumnarChanges, CompactReport, InstallReport } from './protocol.ts';
import { ReplicaWorkerClient } from './replica-worker-client.ts';

export interface ReplicaDriverOptions {
  /** Local replica file; created by the replica worker (nothing else may create it first). */
  readonly path: string;
  /** The primary's URL (sqld's HTTP port, or Turso). */
  readonly syncUrl: string;
  readonly authToken?: string;
  /** Periodic background sync in the worker; absent or 0: sync only on demand. */
  readonly syncIntervalMs?: number;
  /** When a sync shows user tables without change-log triggers, install them on the primary (default true). */
  readonly autoRefreshTriggers?: boolean;
  /** How often this replica registers its change-log cursor on the primary (default 30 s; 0 = never). */
  readonly cursorHeartbeatMs?: number;
  /** Registered cursors older than this no longer protect log rows from compaction (default 10 min). */
  readonly cursorTtlMs?: number;
  /** Read connections' statement cache size. */
  readonly statementCacheSize?: number;
}

export interface FreezeOptions {
  /** Where the standalone copy goes; default: replace the replica file in place. */
  readonly path?: string;
}

export interface RetentionPolicy {
  /** Log rows older than this may go (age is known per compaction run, so it is coarse). */
  readonly maxAgeMs?: number;
  /** At most this many newest log rows are kept. */
  readonly maxRows?: number;
}

const WAIT_GRACE_MS = 50;
/** How long a write waits for this replica to pull its own commit before answering anyway. */
const COMMIT_CATCH_UP_MS = 10_000;

function writeCounts(result: HranaStmtResult): Omit<WriteResult, 'position'> {
  return {
    changes: result.affected_row_count,
    lastInsertRowid: result.last_insert_rowid === null ? 0n : BigInt(result.last_insert_rowid),
  };
}

/**
 * Replica mode of db-core: an embedded libsql replica of a primary (sqld, Turso).
 *
 * One worker thread owns the libsql-js replica connection: it creates the file, runs every
 * sync and migration script, and reads the replicated change log after each sync. The main
 * thread reads from a plain local connection on the same file (query_only), which sees each
 * sync at once and never hits the replica-connection engine bugs. Statements, batches and
 * transactions go to the primary as Hrana HTTP pipelines (primary-http.ts: one round trip per
 * statement, BEGIN folded into the first, a batch in one; libsql-js's delegation took one gRPC
 * round trip per statement plus a sync inside COMMIT). Writes answer with the position they
 * reached, and local reads see them as soon as the write resolves.
 *
 * For the local engineer's `openDatabase({ mode: 'replica', ... })`:
 * `const driver = await ReplicaDriver.open({ path, syncUrl, authToken, syncIntervalMs })`.
 *
 * @example
 * await using db = await ReplicaDriver.open({ path: '/var/app/replica.db', syncUrl: 'http://127.0.0.1:8080' });
 * await db.installChangeLog();
 * const { position } = await db.run('INSERT INTO todo(title) VALUES (?)', ['a']);
 * db.all('SELECT * FROM todo'); // sees the insert
 * await other.waitForFrame(position, { timeoutMs: 2000 }); // { status: 'reached', ... }
 */
export class ReplicaDriver implements Driver {
  readonly mode = 'replica' as const;
  readonly path: string;
  /** Query-only local connections on the replica file (the Database facade's cursors, read-sets, setups). */
  readonly connections: LocalConnections;
  readonly #pool: SwitchablePool;
  #client: ReplicaWorkerClient | undefined;
  readonly #poolOptions: { statementCacheSize?: number };
  #position: FramePosition;
  #lastWrite: FramePosition | null = null;
  readonly #writes = new AsyncMutex();
  readonly #primary: PrimaryHttp;
  /** waitForFrame calls in progress, settled by the advance that reaches their target. */
  readonly #frameWaiters = new Set<FrameWaiter>();
  readonly #commitListeners = new Set<(position: FramePosition, changes: ColumnarChanges | null) => void>();
  /** Publishes each change-log row once, from the primary at commit or from the replica after sync. */
  readonly #sequencer: ChangeSequencer;
  readonly #stream: ChangeBroadcaster;
  #frozen: LocalDriver | undefined;
  #closed = false;
  #lastSyncError: DbError | undefined;
  /** The newest primary frame this driver has heard of, in the replica's current generation. */
  #primarySeen: FramePosition;

  private constructor(
    options: ReplicaDriverOptions,
    client: ReplicaWorkerClient,
    pool: ReadConnectionPool,
    position: FramePosition,
    logCursor: number | null,
  ) {
    this.path = options.path;
    this.#pool = new SwitchablePool(pool);
    this.connections = this.#pool;
    this.#client = client;
    this.#primary = new PrimaryHttp(options.syncUrl, {
      authToken: options.authToken,
      onReplicationIndex: (frame) => this.#notePrimaryFrame(frame),
    });
    this.#poolOptions =
      options.statementCacheSize === undefined ? {} : { statementCacheSize: options.statementCacheSize };
    this.#position = position;
    // The worker's first sync just brought the replica to the primary's frame.
    this.#primarySeen = position;
    this.#sequencer = new ChangeSequencer(position, logCursor);
    this.#stream = new ChangeBroadcaster(() => this.position());
    client.onAdvance = (event) => this.#onAdvance(event);
    client.onSyncError = (error) => {
      this.#lastSyncError = error;
    };
  }

  /** Starts the worker (which creates the replica file and syncs once), then opens the local read connection. */
  static async open(options: ReplicaDriverOptions): Promise<ReplicaDriver> {
    if (typeof options.path !== 'string' || options.path === '' || options.path === ':memory:') {
      throw new DbError('INVALID_OPTIONS', 'a replica needs a file path');
    }
    if (typeof options.syncUrl !== 'string' || options.syncUrl === '') {
      throw new DbError('INVALID_OPTIONS', 'a replica needs a syncUrl');
    }
    const { client, position, logCursor } = await ReplicaWorkerClient.start({
      file: options.path,
      syncUrl: options.syncUrl,
      ...(options.authToken === undefined ? {} : { authToken: options.authToken }),
      ...(options.syncIntervalMs === undefined ? {} : { syncIntervalMs: options.syncIntervalMs }),
      autoRefreshTriggers: options.autoRefreshTriggers ?? true,
      cursorHeartbeatMs: options.cursorHeartbeatMs ?? 30_000,
      cursorTtlMs: options.cursorTtlMs ?? 600_000,
    });
    const pool = new ReadConnectionPool(
      options.path,
      options.statementCacheSize === undefined ? {} : { statementCacheSize: options.statementCacheSize },
    );
    try {
      // Opened now so a missing native extension fails open(), not the first read.
      void pool.reader;
    } catch (error) {
      pool.close();
      await client.close();
      throw error;
    }
    return new ReplicaDriver(options, client, pool, position, logCursor);
  }

  // ---- reads: main thread, local connection -------------------------------------------------

  all<T extends Row = Row>(sql: string, params?: BindParams): T[] {
    this.#assertOpen(sql);
    return this.#pool.reader.all<T>(sql, params);
  }

  get<T extends Row = Row>(sql: string, params?: BindParams): T | undefined {
    this.#assertOpen(sql);
    return this.#pool.reader.get<T>(sql, params);
  }

  query(sql: string, params?: BindParams): RawResult {
    this.#assertOpen(sql);
    return this.#pool.reader.query(sql, params);
  }

  /** The local read connection (for introspection, cursors); read-only, never the replica connection. */
  get readConnection(): Connection {
    this.#assertOpen();
    return this.#pool.reader;
  }

  // ---- writes: sent to the primary over Hrana HTTP, then awaited on the replica --------------

  /**
   * One statement in autocommit on the primary (it may be one that cannot run in a transaction,
   * so no change-log read rides along: its changes are published after the sync). Resolves once
   * local reads see it.
   */
  run(sql: string, params?: BindParams): Promise<WriteResult> {
    return this.#writes.runExclusive(async () => {
      this.#assertOpen(sql);
      const frozen = this.#frozen;
      if (frozen !== undefined) return this.#afterLocalWrite(await frozen.run(sql, params));
      const result = await this.#primaryFor(sql).execute(encodeStmt(sql, params));
      const position = await this.#afterPrimaryCommit(result.replication_index, null);
      return { ...writeCounts(result), position };
    });
  }

  /**
   * `run` with the raw result: RETURNING rows, column names and declared types come back from the
   * primary with the position, once local reads see the write.
   */
  execute(sql: string, params?: BindParams): Promise<RawWriteResult> {
    return this.#writes.runExclusive(async () => {
      this.#assertOpen(sql);
      const frozen = this.#frozen;
      if (frozen !== undefined) return this.#afterLocalWrite(await frozen.execute(sql, params));
      const result = await this.#primaryFor(sql).execute(encodeStmt(sql, params));
      const position = await this.#afterPrimaryCommit(result.replication_index, null);
      return { ...decodeRaw(result), position };
    });
  }

  /** `batch` with raw per-statement results (one request to the primary, as `batch`). */
  batchRaw(statements: readonly BatchStatement[]): Promise<RawBatchResult> {
    return this.#writes.runExclusive(async () => {
      this.#assertOpen();
      const frozen = this.#frozen;
      if (frozen !== undefined) return this.#afterLocalWrite(await frozen.batchRaw(statements));
      const stmts = statements.map((s, index) => {
        try {
          return encodeStmt(s.sql, s.params);
        } catch (error) {
          noteBatchFailure(error, index);
          throw error;
        }
      });
      const tail = this.#changeRowsTail();
      const outcome = await this.#primaryFor().batch(stmts, tail === undefined ? {} : { tail });
      const position = await this.#afterPrimaryCommit(outcome.replicationIndex, outcome.tail);
      return { results: outcome.results.map(decodeRaw), position };
    });
  }

  /**
   * A script (migrations) runs through libsql-js in the worker, which delegates it statement by
   * statement and syncs; DDL is rare, and its frames must be observed before anything else.
   */
  exec(sql: string): Promise<FramePosition> {
    return this.#writes.runExclusive(async () => {
      this.#assertOpen(sql);
      const frozen = this.#frozen;
      if (frozen !== undefined) return this.#afterLocalWrite({ position: await frozen.exec(sql) }).position;
      const reply = await this.#worker().request({ type: 'exec', sql });
      this.#noteWrite(reply.position);
      return reply.position;
    });
  }

  /**
   * Statements as one atomic unit in ONE request to the primary (BEGIN IMMEDIATE, each statement,
   * COMMIT; ROLLBACK on the first failure, which is thrown). The cheapest write there is when
   * no statement depends on an earlier one's result in JS (SQL can still use `changes()` or
   * `last_insert_rowid()` of the previous step).
   */
  batch(statements: readonly BatchStatement[]): Promise<BatchResult> {
    return this.#writes.runExclusive(async () => {
      this.#assertOpen();
      const frozen = this.#frozen;
      if (frozen !== undefined) return this.#afterLocalWrite(await frozen.batch(statements));
      const stmts = statements.map((s) => encodeStmt(s.sql, s.params));
      const tail = this.#changeRowsTail();
      const outcome = await this.#primaryFor().batch(stmts, tail === undefined ? {} : { tail });
      const position = await this.#afterPrimaryCommit(outcome.replicationIndex, outcome.tail);
      return {
        results: outcome.results.map((r) => ({ ...writeCounts(r), rows: decodeRows(r) })),
        position,
      };
    });
  }

  /**
   * An interactive transaction on the primary, on one Hrana stream (BEGIN travels with the first
   * statement; reads inside it go to the primary and see its writes). Atomic: a throw rolls
   * everything back on the primary. Resolves once local reads see the commit.
   */
  transaction<T>(
    fn: (tx: RawTransaction) => Promise<T>,
    options: { behavior?: TransactionBehavior; timeoutMs?: number; foreignKeys?: boolean } = {},
  ): Promise<{ value: T; position: FramePosition }> {
    return this.#writes.runExclusive(async () => {
      this.#assertOpen();
      const frozen = this.#frozen;
      if (frozen !== undefined) return this.#afterLocalWrite(await frozen.transaction(fn, options));
      if (options.timeoutMs !== undefined) {
        throw new DbError(
          'NOT_SUPPORTED_IN_REPLICA_MODE',
          'transaction deadlines are not available in replica mode: transactions run on the primary',
        );
      }
      const behavior = options.behavior ?? 'deferred';
      const stream = this.#primaryFor().stream();
      // read-only: libSQL has no remote read-only transaction; a deferred one that only reads stays on the primary.
      stream.begin(
        behavior === 'read-only' || behavior === 'deferred'
          ? 'BEGIN DEFERRED'
          : `BEGIN ${behavior.toUpperCase()}`,
        // The stream's connection ends with the transaction: nothing to restore.
        options.foreignKeys === false ? ['PRAGMA foreign_keys = OFF'] : [],
      );
      const scope = new RemoteScope(stream, 0, behavior === 'read-only');
      try {
        const value = await fn(scope);
        scope.finish();
        const committed = await stream.commit(this.#changeRowsTail());
        return {
          value,
          position: await this.#afterPrimaryCommit(committed.commit.replication_index, committed.tail),
        };
      } catch (error) {
        scope.end();
        await stream.finish({ sql: 'ROLLBACK' }).catch(() => stream.abandon());
        throw error;
      }
    });
  }

  /**
   * Called with the position of every write the primary acknowledged, before this replica has
   * synced it: the moment to tell other servers (peer sync hints) without waiting for our own sync.
   * `changes` are the change-log rows read from the primary inside the write's transaction (this
   * write's and any earlier ones this replica had not published), for {@link applyPeerChanges} on
   * the other servers; null when they could not be read.
   */
  onPrimaryCommit(listener: (position: FramePosition, changes: ColumnarChanges | null) => void): () => void {
    this.#commitListeners.add(listener);
    return () => this.#commitListeners.delete(listener);
  }

  /**
   * Change-log rows another server read from the primary at `position` (its write's commit):
   * published on this replica's change stream now, before the sync that brings them, when they
   * continue the stream without a gap. Returns whether anything was published; either way the
   * replica's own log read later publishes whatever was not. A reader acting on such an event
   * must wait for this replica to reach `position` first (`waitForFrame`; the server's read floor
   * does it for every query).
   */
  applyPeerChanges(position: FramePosition, changes: ColumnarChanges): boolean {
    if (this.#closed || this.#frozen !== undefined) return false;
    return this.#publishSequenced(this.#sequencer.fromPrimary(position, changes));
  }

  /** The position of this driver's newest write (null before the first). */
  maxWriteReplicationIndex(): FramePosition | null {
    return this.#lastWrite;
  }

  // ---- replica control ------------------------------------------------------------------------

  /** What the local read connections see now. */
  position(): FramePosition {
    return this.#frozen?.position() ?? this.#position;
  }

  replicationIndex(): number {
    return this.position().frame;
  }

  /**
   * The newest frame of the primary this driver has seen, without asking it: every Hrana answer
   * (writes, and reads inside transactions) carries the primary's frame, and every sync proves
   * the primary is at least where the replica now is. It is in the replica's current generation
   * (Hrana answers carry no generation: they are labelled with the replica's, and a sync into a
   * new generation starts over), so `primaryPosition().frame - position().frame` is how far
   * behind this replica is, as far as this server knows. Undefined once frozen or closed (there
   * is no primary any more).
   *
   * @example const lag = db.primaryPosition()!.frame - db.position().frame;
   */
  primaryPosition(): FramePosition | undefined {
    if (this.#closed || this.#frozen !== undefined) return undefined;
    return this.#primarySeen;
  }

  /** The newest error of a background sync (periodic sync, trigger refresh, cursor heartbeat). */
  get lastSyncError(): DbError | undefined {
    return this.#lastSyncError;
  }

  get frozen(): boolean {
    return this.#frozen !== undefined;
  }

  async sync(): Promise<SyncResult> {
    this.#assertOpen();
    const reply = await this.#worker().request({ type: 'sync' });
    return { position: reply.position, framesSynced: reply.framesSynced };
  }

  /**
   * Resolves once local reads see `target`, or reports why not: `generation-changed` when the
   * primary started a new generation (frames of different generations are not comparable),
   * `timeout` after `timeoutMs`. The worker syncs in a loop with backoff; the event loop never
   * waits on it, and the call never outlives its deadline by more than a few ms.
   */
  async waitForFrame(target: FramePosition, options: { timeoutMs: number }): Promise<WaitForFrameResult> {
    this.#assertOpen();
    if (this.#frozen !== undefined) return this.#frozen.waitForFrame(target, options);
    const current = this.#position;
    if (current.generation === target.generation && current.frame >= target.frame) {
      return { status: 'reached', position: current };
    }
    const timeoutMs = Math.max(0, options.timeoutMs);
    let timer: NodeJS.Timeout | undefined;
    const fallback = new Promise<WaitForFrameResult>((resolve) => {
      timer = setTimeout(
        () => resolve({ status: 'timeout', position: this.#position }),
        timeoutMs + WAIT_GRACE_MS,
      );
    });
    // The worker drives the syncs and answers; the advance that reaches the target is seen here
    // first (its reply is one more message behind it), so that settles the wait already.
    let waiter: FrameWaiter | undefined;
    const advanced = new Promise<WaitForFrameResult>((resolve) => {
      waiter = { target, resolve };
      this.#frameWaiters.add(waiter);
    });
    try {
      return await Promise.race([
        this.#worker().request({ type: 'wait-for-frame', target, deadline: Date.now() + timeoutMs }),
        advanced,
        fallback,
      ]);
    } finally {
      clearTimeout(timer);
      if (waiter !== undefined) this.#frameWaiters.delete(waiter);
    }
  }

  changes(options?: ChangeStreamOptions): AsyncIterableIterator<CaptureEvent> {
    return this.#stream.subscribe(options);
  }

  // ---- change log -----------------------------------------------------------------------------

  /**
   * Installs (or brings up to date) the replicated change log on the primary: log tables and
   * AFTER INSERT/UPDATE/DELETE triggers on every user table, in one transaction. Idempotent;
   * run it after migrations (the driver also re-runs it when a sync shows new tables).
   */
  installChangeLog(): Promise<InstallReport> {
    return this.#writes.runExclusive(async () => {
      this.#assertOpen();
      if (this.#frozen !== undefined) throw frozenError('installChangeLog');
      return this.#worker().request({ type: 'install-change-log' });
    });
  }

  /** Drops log rows beyond the retention (age and/or count), never rows a live cursor still needs. */
  compactChangeLog(policy: RetentionPolicy): Promise<CompactReport> {
    return this.#writes.runExclusive(async () => {
      this.#assertOpen();
      if (this.#frozen !== undefined) throw frozenError('compactChangeLog');
      return this.#worker().request({
        type: 'compact-change-log',
        maxAgeMs: policy.maxAgeMs ?? null,
        maxRows: policy.maxRows ?? null,
      });
    });
  }

  // ---- freeze ---------------------------------------------------------------------------------

  /**
   * Turns the replica into a standalone local database: a consistent copy (VACUUM INTO) after a
   * final sync (skipped when the primary does not answer), the worker stopped, the copy's
   * change-log triggers and tables dropped, then a LocalDriver on it. From then on this driver
   * behaves like local mode: writes commit locally through a writer with the same native setup
   * (extension, functions, limits, authorizer), the change stream continues from native capture
   * under a new generation (one `refetch-all` marks the switch), and `sync()`,
   * `installChangeLog()`, `compactChangeLog()` and `freeze()` fail with FROZEN.
   */
  freeze(options: FreezeOptions = {}): Promise<FramePosition> {
    return this.#writes.runExclusive(async () => {
      this.#assertOpen();
      if (this.#frozen !== undefined) throw frozenError('freeze');
      const worker = this.#worker();
      const target = options.path ?? this.path;
      const temp = `${target}.freeze-${randomUUID()}`;
      try {
        await worker.request({ type: 'sync' });
      } catch {
        // Offline: freeze what we have.
      }
      try {
        await worker.request({ type: 'snapshot', path: temp });
        dropChangeLog(temp);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
      await worker.close();
      this.#client = undefined;
      // Every connection on the old file goes before the rename: one left open would keep reading the old inode.
      this.#pool.detach();
      if (target === this.path) {
        for (const suffix of ['-wal', '-shm', '-client_wal_index', '-client_wal_index.meta', '-info']) {
          await rm(`${this.path}${suffix}`, { force: true });
        }
      }
      await rename(temp, target);
      const previous = this.#position;
      const local = LocalDriver.open({
        path: target,
        ...this.#poolOptions,
        generation: `frozen:${previous.generation}:${randomUUID()}`,
        broadcaster: this.#stream,
      });
      this.#frozen = local;
      // The facade's setups (functions, limits, authorizer, extensions) reach the new writer and readers.
      this.#pool.attach(local.connections);
      this.#position = local.position();
      this.#lastWrite = null;
      this.#stream.publish({
        type: 'refetch-all',
        position: this.#position,
        reason: `frozen at frame ${previous.frame}`,
      });
      return this.#position;
    });
  }

  /** After `freeze`: the local-mode driver this replica became (the facade routes local-only features to it). */
  get frozenDriver(): LocalDriver | undefined {
    return this.#frozen;
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#writes.runExclusive(async () => {
      this.#stream.close();
      this.#primary.close();
      await this.#client?.close();
      this.#client = undefined;
      await this.#frozen?.close();
      this.#pool.detach();
    });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Test hook: make the worker exit as if it had crashed. */
  debugCrashWorker(): void {
    this.#client?.debugExit();
  }

  // ---- internals ------------------------------------------------------------------------------

  /** The primary client, once the replica behind it is known to be alive (a write is pointless otherwise). */
  #primaryFor(sql?: string): PrimaryHttp {
    this.#assertOpen(sql);
    this.#worker().assertAlive();
    return this.#primary;
  }

  #worker(): ReplicaWorkerClient {
    if (this.#frozen !== undefined) throw frozenError('sync');
    const client = this.#client;
    if (client === undefined || this.#closed) throw new DbError('CLOSED', 'the replica is closed');
    return client;
  }

  #assertOpen(sql?: string): void {
    if (this.#closed) throw new DbError('CLOSED', 'the replica is closed', { sql });
  }

  #noteWrite(position: FramePosition): void {
    this.#lastWrite = position;
  }

  /**
   * The primary committed at `replicationIndex`: tell the listeners, then wait until this
   * replica has it (so local reads and the change stream include the write before it resolves).
   * Never throws: the write is durable on the primary, and a caller that saw an error would
   * retry it. If the replica cannot catch up in time, the answer is the primary's frame, which
   * any later `minFrame` read waits for.
   */
  /** The read that goes before COMMIT: log rows past what this replica published (none while unknown). */
  #changeRowsTail(): HranaStmt | undefined {
    const seq = this.#sequencer.seq;
    return seq === null ? undefined : changeRowsAfter(seq);
  }

  async #afterPrimaryCommit(
    replicationIndex: string | number | null | undefined,
    tail: HranaStmtResult | null,
  ): Promise<FramePosition> {
    if (replicationIndex === null || replicationIndex === undefined) return this.position();
    const target: FramePosition = { generation: this.#position.generation, frame: Number(replicationIndex) };
    this.#lastWrite = target;
    // This server's subscribers learn of the write now, not one sync later.
    const rows = columnarChangeRows(tail);
    if (rows !== null) this.#publishSequenced(this.#sequencer.fromPrimary(target, rows));
    for (const listener of this.#commitListeners) {
      try {
        listener(target, rows);
      } catch {
        // A listener's failure is not the write's.
      }
    }
    // A sync, not a wait: if the primary crashed and restarted since this replica last synced,
    // the target's generation is stale and a small new frame would look "reached" already.
    let position = target;
    try {
      const worker = this.#worker();
      position = (await worker.request({ type: 'sync' })).position;
      if (position.generation === target.generation && position.frame < target.frame) {
        const reply = await worker.request({
          type: 'wait-for-frame',
          target,
          deadline: Date.now() + COMMIT_CATCH_UP_MS,
        });
        position = reply.status === 'timeout' ? target : reply.position;
      }
    } catch {
      position = target;
    }
    this.#lastWrite = position;
    return position;
  }

  #notePrimaryFrame(frame: number): void {
    const seen = this.#primarySeen;
    const generation = this.#position.generation;
    if (seen.generation !== generation || frame > seen.frame) this.#primarySeen = { generation, frame };
  }

  #onAdvance(event: AdvanceEvent): void {
    this.#position = event.position;
    const seen = this.#primarySeen;
    if (seen.generation !== event.position.generation || seen.frame < event.position.frame) {
      this.#primarySeen = event.position;
    }
    for (const waiter of this.#frameWaiters) {
      const { target } = waiter;
      if (target.generation === event.position.generation && event.position.frame >= target.frame) {
        this.#frameWaiters.delete(waiter);
        waiter.resolve({ status: 'reached', position: event.position });
      }
    }
    if (event.generationChanged) this.#sequencer.reset(event.position, event.logCursor);
    if (event.schemaTables !== null) {
      this.#pool.invalidateStatements();
      const position = this.#sequencer.mark(event.position);
      this.#stream.publish({ type: 'schema', position, tables: event.schemaTables });
    }
    if (event.refetchAll !== null) {
      this.#sequencer.reset(event.position, event.logCursor);
      this.#stream.publish({ type: 'refetch-all', position: event.position, reason: event.refetchAll });
    } else {
      this.#publishSequenced(this.#sequencer.fromReplica(event.position, event.changes, event.logCursor));
    }
  }

  #publishSequenced(next: SequencedChanges | null): boolean {
    if (next === null) return false;
    this.#stream.publish({
      type: 'changes',
      changeSet: {
        generation: next.position.generation,
        frame: next.position.frame,
        changes: expandChanges(next.changes),
      },
    });
    return true;
  }

  /** Frozen mode: the local driver numbers and publishes; this driver remembers the newest write. */
  #afterLocalWrite<R extends { position: FramePosition }>(result: R): R {
    this.#lastWrite = result.position;
    return result;
  }
}

interface FrameWaiter {
  readonly target: FramePosition;
  resolve(result: WaitForFrameResult): void;
}

/**
 * The change log is replication machinery: a frozen copy is a plain local database, captured
 * natively, so its triggers (which would log every local write forever) and tables go.
 */
function dropChangeLog(path: string): void {
  const conn = Connection.open(path);
  try {
    const names = conn.all<{ type: string; name: string }>(
      "SELECT type, name FROM sqlite_schema WHERE type IN ('trigger', 'table') AND substr(name, 1, 11) = '_liveframe_'",
    );
    const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
    const drops = [
      ...names.filter((n) => n.type === 'trigger').map((n) => `DROP TRIGGER IF EXISTS ${quote(n.name)};`),
      ...names.filter((n) => n.type === 'table').map((n) => `DROP TABLE IF EXISTS ${quote(n.name)};`),
    ];
    if (drops.length > 0) conn.exec(`BEGIN; ${drops.join(' ')} COMMIT;`);
  } finally {
    conn.close();
  }
}

function frozenError(what: string): DbError {
  return new DbError('FROZEN', `${what} is not possible: this replica was frozen into a local database`);
}

function expandChanges(columnar: ColumnarChanges): TableChange[] {
  const out: TableChange[] = new Array(columnar.ops.length);
  for (let i = 0; i < columnar.ops.length; i++) {
    const rowid = columnar.rowids[i]!;
    out[i] = {
      table: columnar.tables[columnar.tableIndex[i]!]!,
      op: OPS_BY_CODE[columnar.ops[i]!] ?? 'update',
      rowid: Number.isNaN(rowid) ? null : rowid,
    };
  }
  return out;
}

/** One transaction or savepoint level of a transaction on a primary stream. */
class RemoteScope implements RawTransaction {
  readonly #stream: PrimaryStream;
  readonly #depth: number;
  readonly #readOnly: boolean;
  #finished = false;
  #childActive = false;

  constructor(stream: PrimaryStream, depth: number, readOnly: boolean) {
    this.#stream = stream;
    this.#depth = depth;
    this.#readOnly = readOnly;
  }

  async run(sql: string, params?: BindParams): Promise<Omit<WriteResult, 'position'>> {
    this.#assertUsable(sql);
    if (this.#readOnly && !/^\s*(SELECT|WITH|VALUES|EXPLAIN|PRAGMA)\b/i.test(sql)) {
      throw new DbError('READ_ONLY', 'this is a read-only transaction', { sql });
    }
    return writeCounts(await this.#stream.execute(encodeStmt(sql, params)));
  }

  async all<T extends Row = Row>(sql: string, params?: BindParams): Promise<T[]> {
    this.#assertUsable(sql);
    return decodeRows(await this.#stream.execute(encodeStmt(sql, params))) as T[];
  }

  async get<T extends Row = Row>(sql: string, params?: BindParams): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }

  async query(sql: string, params?: BindParams): Promise<RawResult> {
    this.#assertUsable(sql);
    this.#assertWritable(sql);
    return decodeRaw(await this.#stream.execute(encodeStmt(sql, params)));
  }

  /** A script, statement by statement on the stream (Hrana's execute takes one statement). */
  async exec(sql: string): Promise<void> {
    this.#assertUsable(sql);
    for (const statement of splitStatements(sql)) {
      this.#assertWritable(statement);
      await this.#stream.execute({ sql: statement });
    }
  }

  /** The primary has no read-only transaction; the same text rule as `run` keeps writes out. */
  #assertWritable(sql: string): void {
    if (this.#readOnly && !/^\s*(SELECT|WITH|VALUES|EXPLAIN|PRAGMA)\b/i.test(sql)) {
      throw new DbError('READ_ONLY', 'this is a read-only transaction', { sql });
    }
  }

  async savepoint<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    this.#assertUsable();
    const name = `lf_sp_${this.#depth + 1}`;
    await this.#stream.execute({ sql: `SAVEPOINT ${name}` });
    const child = new RemoteScope(this.#stream, this.#depth + 1, this.#readOnly);
    this.#childActive = true;
    try {
      const value = await fn(child);
      child.finish();
      await this.#stream.execute({ sql: `RELEASE ${name}` });
      return value;
    } catch (error) {
      child.end();
      try {
        await this.#stream.execute({ sql: `ROLLBACK TO ${name}` });
        await this.#stream.execute({ sql: `RELEASE ${name}` });
      } catch {
        // The savepoint's own error is the one to report; a broken stream fails the commit.
      }
      throw error;
    } finally {
      this.#childActive = false;
    }
  }

  /** Ends this level on success; refuses while a savepoint still runs. */
  finish(): void {
    if (this.#childActive) {
      throw new DbError('TRANSACTION_STATE', 'a savepoint is still running; await it before finishing');
    }
    this.#finished = true;
  }

  end(): void {
    this.#finished = true;
  }

  #assertUsable(sql?: string): void {
    if (this.#finished) {
      throw new DbError('TRANSACTION_STATE', 'this transaction or savepoint has already finished', { sql });
    }
    if (this.#childActive) {
      throw new DbError('TRANSACTION_STATE', 'use the savepoint handle while the savepoint runs', { sql });
    }
  }
}

/**
 * The driver's LocalConnections, stable for the Database facade (which keeps the object), while
 * freeze swaps the pool underneath: setups registered before the freeze reach the new connections.
 */
class SwitchablePool implements LocalConnections {
  #pool: ReadConnectionPool | undefined;
  readonly #setups = new Set<ConnectionSetup>();
  readonly #undo = new Map<ConnectionSetup, () => void>();

  constructor(pool: ReadConnectionPool) {
    this.#pool = pool;
  }

  #current(): ReadConnectionPool {
    if (this.#pool === undefined) throw new DbError('CLOSED', 'the replica is switching to its frozen copy');
    return this.#pool;
  }

  get reader(): Connection {
    return this.#current().reader;
  }

  acquire(): Connection {
    return this.#current().acquire();
  }

  release(conn: Connection): void {
    this.#pool?.release(conn);
    if (this.#pool === undefined) conn.close();
  }

  addSetup(setup: ConnectionSetup): () => void {
    this.#setups.add(setup);
    if (this.#pool !== undefined) this.#undo.set(setup, this.#pool.addSetup(setup));
    return () => {
      this.#setups.delete(setup);
      this.#undo.get(setup)?.();
      this.#undo.delete(setup);
    };
  }

  invalidateStatements(): void {
    this.#pool?.invalidateStatements();
  }

  /** Closes every connection of the current pool. */
  detach(): void {
    this.#pool?.close();
    this.#pool = undefined;
    this.#undo.clear();
  }

  attach(pool: ReadConnectionPool): void {
    this.#pool = pool;
    for (const setup of this.#setups) this.#undo.set(setup, pool.addSetup(setup));
  }

  close(): void {
    this.detach();
  }
}
