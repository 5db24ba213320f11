import { randomUUID } from 'node:crypto';
import { type AddonBinding, addonPath, loadAddon, type RawCommitBatch } from './addon-binding.ts';
import { type Authorizer, authorizerActions, verdictCodes } from './authorizer-actions.ts';
import { type ChangeOp, CommitBatch } from './commit-batch.ts';
import type { LibsqlDatabase } from './libsql-types.ts';
import { fromAddonError, isNativeErrorCode, NativeError } from './native-error.ts';
import { assertNotInCallback, runGuarded } from './reentrancy-guard.ts';
import type { AggregateOptions, FunctionOptions, SqlArgument, SqlResult } from './sql-function-types.ts';
import { type SqliteLimit, sqliteLimitIds } from './sqlite-limits.ts';

export interface AttachOptions {
  /** Buffer update-hook events into commit batches (default true). */
  capture?: boolean;
  /**
   * Our WAL hook replaces SQLite's auto-checkpoint hook, so we checkpoint (PASSIVE) once the WAL
   * holds this many frames, like SQLite's default of 1000. 0 disables it.
   */
  autoCheckpointFrames?: number;
  /** Where errors thrown by commit listeners during automatic delivery go (default: a warning). */
  onListenerError?: (error: unknown) => void;
}

export type CommitListener = (batch: CommitBatch) => void;

/** Returns false to veto the commit, which SQLite turns into a rollback. */
export type CommitVeto = (pendingEvents: number) => boolean | undefined;

/** Which SQLite error codes each failure can surface as (guards against stale failures). */
const expectedSqliteCodes: Partial<Record<string, readonly string[]>> = {
  DEADLINE_EXCEEDED: ['SQLITE_INTERRUPT'],
  INTERRUPTED: ['SQLITE_INTERRUPT'],
  COMMIT_VETOED: ['SQLITE_CONSTRAINT'],
  AUTHORIZATION_DENIED: ['SQLITE_AUTH', 'SQLITE_ERROR'],
};

const live = new Map<number, () => void>();
let autoDrainInstalled = false;

function installAutoDrain(native: AddonBinding): void {
  if (autoDrainInstalled) return;
  autoDrainInstalled = true;
  // Runs on the event loop shortly after a commit that nobody drained synchronously.
  native.setAutoDrainHandler(() => {
    for (const drain of [...live.values()]) drain();
  });
}

const warnListenerError = (error: unknown): void => {
  process.emitWarning(
    new NativeError('LISTENER_ERROR', 'a commit listener threw during automatic delivery', { cause: error }),
  );
};

/**
 * Our extension attached to one libsql-js LOCAL connection: change capture (one CommitBatch per
 * committed transaction), JS SQL functions, authorizer, progress handler, deadlines and limits.
 * It owns the native per-connection state; the libsql Database stays owned by its creator.
 * Disposing detaches the hooks and functions; closing the database releases the state as well.
 *
 * @example
 * using conn = attachExtension(db);
 * conn.onCommit((batch) => console.log(batch.seq, batch.toArray()));
 * db.exec("INSERT INTO t VALUES (1)");
 * conn.drain(); // delivers now; otherwise delivery happens on the next event-loop turn
 */
export class NativeConnection implements Disposable {
  readonly #native: AddonBinding;
  readonly #id: number;
  readonly #listeners = new Set<CommitListener>();
  readonly #onListenerError: (error: unknown) => void;
  #closed = false;
  #detached = false;
  #deadlineAt: number | null = null;

  private constructor(native: AddonBinding, id: number, options: AttachOptions) {
    this.#native = native;
    this.#id = id;
    this.#onListenerError = options.onListenerError ?? warnListenerError;
    if (options.capture === false) native.setCapture(id, false);
    if (options.autoCheckpointFrames !== undefined)
      native.setAutoCheckpoint(id, options.autoCheckpointFrames);
    live.set(id, () => this.#drain(false));
  }

  /** @internal use attachExtension() */
  static attach(db: LibsqlDatabase, options: AttachOptions = {}): NativeConnection {
    assertNotInCallback('attachExtension()');
    const native = loadAddon();
    installAutoDrain(native);
    try {
      db.loadExtension(addonPath());
    } catch (error) {
      throw new NativeError(
        'EXTENSION_LOAD_FAILED',
        'libsql refused to load the liveframe extension (replica connections always refuse ' +
          'loadExtension: open a plain local connection on the replica file instead)',
        { cause: error },
      );
    }
    // In-band handshake: the extension instance that answers this token is this connection's.
    // exec() rather than prepare(): a libsql-js Statement keeps the connection open after close().
    const token = randomUUID();
    try {
      db.exec(`SELECT liveframe_handshake('${token}')`);
    } catch (error) {
      throw new NativeError('HANDSHAKE_FAILED', 'the extension did not answer the handshake', {
        cause: error,
      });
    }
    let id: number;
    try {
      id = native.claim(token);
    } catch (error) {
      throw fromAddonError(error);
    }
    return new NativeConnection(native, id, options);
  }

  /** The extension's id for this connection (also `SELECT liveframe_conn_id()`). */
  get id(): number {
    return this.#id;
  }

  /** False once the database was closed or this object disposed. */
  get isOpen(): boolean {
    if (this.#closed || this.#detached) return false;
    const stats = this.#native.stats(this.#id);
    return stats.registered && stats.closed !== true;
  }

  /** Subscribes to committed batches; returns the unsubscribe function. */
  onCommit(listener: CommitListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Delivers committed batches to the listeners now (synchronously) and returns how many. Cheap
   * when there is nothing: call it after every write statement for immediate delivery. Batches
   * nobody drains are delivered automatically on a later event-loop turn.
   */
  drain(): number {
    return this.#drain(true);
  }

  #drain(sync: boolean): number {
    const out = this.#native.drain(this.#id);
    if (out === undefined) return 0;
    if (out.closed) this.#markClosed();
    let failure: unknown;
    for (const raw of out.batches) {
      failure ??= this.#deliver(raw);
    }
    if (failure !== undefined) {
      if (sync) throw new NativeError('LISTENER_ERROR', 'a commit listener threw', { cause: failure });
      this.#onListenerError(failure);
    }
    return out.batches.length;
  }

  #deliver(raw: RawCommitBatch): unknown {
    const batch = new CommitBatch(raw);
    let failure: unknown;
    for (const listener of this.#listeners) {
      try {
        listener(batch);
      } catch (error) {
        failure ??= error;
      }
    }
    return failure;
  }

  /**
   * Runs `veto` inside SQLite's commit hook, before the commit becomes durable. Returning false
   * (or throwing) turns the commit into a rollback: the writer gets an error that
   * `translateError` maps to COMMIT_VETOED (or CALLBACK_ERROR) and the batch is discarded.
   */
  setCommitVeto(veto: CommitVeto | null): void {
    this.#native.setCommitListener(
      this.#open(),
      veto === null ? null : (pending: number) => runGuarded(() => veto(pending)),
    );
  }

  /**
   * Benchmark reference only: calls `listener` once per row from inside the update hook instead
   * of batching (about 20% slower on bulk writes). Events delivered this way skip the batches.
   */
  setPerEventListener(listener: ((op: ChangeOp, table: string, rowid: number | null) => void) | null): void {
    const ops: readonly ChangeOp[] = ['insert', 'insert', 'update', 'delete'];
    this.#native.setPerEventListener(
      this.#open(),
      listener === null
        ? null
        : (op: number, table: string, rowid: number | null) =>
            runGuarded(() => listener(ops[op] ?? 'update', table, rowid)),
    );
  }

  /** Turns change capture on or off (off: hooks stay installed but buffer nothing). */
  setCapture(enabled: boolean): void {
    this.#native.setCapture(this.#open(), enabled);
  }

  /**
   * Registers a scalar SQL function implemented in JS. A thrown exception becomes the SQL
   * error's message. The function must not touch any libsql-js object while it runs.
   *
   * @example
   * conn.defineFunction('slugify', (s) => String(s).toLowerCase().replace(/\W+/g, '-'), { deterministic: true });
   */
  defineFunction(
    name: string,
    fn: (...args: SqlArgument[]) => SqlResult,
    options: FunctionOptions = {},
  ): void {
    const arity = functionArity(options, fn.length);
    const call = (...args: unknown[]): unknown => runGuarded(() => fn(...(args as SqlArgument[])));
    this.#call(() =>
      this.#native.defineFunction(this.#open(), name, arity, options.deterministic ?? false, call),
    );
  }

  /**
   * Registers an aggregate SQL function implemented in JS.
   *
   * @example
   * conn.defineAggregate('product', { start: 1, step: (acc, x) => acc * Number(x) });
   */
  defineAggregate<T>(name: string, options: AggregateOptions<T>): void {
    const { start, step, result } = options;
    const arity = functionArity(options, Math.max(0, step.length - 1));
    const init =
      typeof start === 'function' ? (start as () => T) : () => (start === undefined ? null : start) as T;
    this.#call(() =>
      this.#native.defineAggregate(
        this.#open(),
        name,
        arity,
        options.deterministic ?? false,
        () => runGuarded(init),
        (acc: unknown, ...args: unknown[]) => runGuarded(() => step(acc as T, ...(args as SqlArgument[]))),
        result === undefined ? null : (acc: unknown) => runGuarded(() => result(acc as T)),
      ),
    );
  }

  /**
   * Installs (or with null removes) the authorizer, called while statements are PREPARED:
   * permissions ('deny' fails the prepare) and read-set capture (READ gives table and column).
   * Cached statements are not re-authorized. libsql's own `db.authorizer()` replaces ours.
   *
   * @example
   * const reads = new Set<string>();
   * conn.setAuthorizer((action, table) => { if (action === 'READ' && table) reads.add(table); return 'ok'; });
   */
  setAuthorizer(authorizer: Authorizer | null): void {
    this.#native.setAuthorizer(
      this.#open(),
      authorizer === null
        ? null
        : (code, a1, a2, db, trigger) =>
            runGuarded(() => {
              const verdict = authorizer(authorizerActions[code] ?? 'COPY', a1, a2, db, trigger);
              return verdictCodes[verdict] ?? -1;
            }),
    );
  }

  /**
   * Calls `handler` about every `everyOps` virtual-machine steps of a running statement;
   * returning true interrupts it (INTERRUPTED). Null removes it.
   */
  setProgressHandler(everyOps: number, handler: (() => boolean | undefined) | null): void {
    if (!Number.isInteger(everyOps) || everyOps < 1) {
      throw new NativeError('INVALID_ARGUMENT', `everyOps must be a positive integer, got ${everyOps}`);
    }
    this.#native.setProgress(this.#open(), everyOps, handler === null ? null : () => runGuarded(handler));
  }

  /**
   * Interrupts any statement still running `ms` from now (DEADLINE_EXCEEDED); null clears it.
   * Prefer `withDeadline`, which scopes it and maps the error.
   */
  setDeadline(ms: number | null): void {
    this.#deadlineAt = ms === null ? null : performance.now() + ms;
    this.#native.setDeadline(this.#open(), ms === null ? 0 : Math.max(ms, 0.001));
  }

  /**
   * Runs `fn` with a deadline for every statement it executes on this connection; a runaway
   * query is interrupted and surfaces as NativeError DEADLINE_EXCEEDED. Nested calls keep the
   * earlier deadline.
   *
   * @example
   * const rows = conn.withDeadline(200, () => db.prepare(sql).all());
   */
  withDeadline<T>(ms: number, fn: () => T): T {
    const previous = this.#deadlineAt;
    const at = Math.min(previous ?? Number.POSITIVE_INFINITY, performance.now() + ms);
    this.#deadlineAt = at;
    this.#native.setDeadline(this.#open(), Math.max(at - performance.now(), 0.001));
    try {
      return fn();
    } catch (error) {
      throw this.translateError(error);
    } finally {
      this.#deadlineAt = previous;
      if (!this.#closed && !this.#detached && this.#native.stats(this.#id).registered) {
        this.#native.setDeadline(
          this.#id,
          previous === null ? 0 : Math.max(previous - performance.now(), 0.001),
        );
      }
    }
  }

  /** Current value of a sqlite3_limit. */
  getLimit(limit: SqliteLimit): number {
    return this.#native.limit(this.#open(), limitId(limit), -1);
  }

  /** Sets a sqlite3_limit (SQLite caps it at the compile-time maximum); returns the previous value. */
  setLimit(limit: SqliteLimit, value: number): number {
    if (!Number.isInteger(value) || value < 0) {
      throw new NativeError(
        'INVALID_ARGUMENT',
        `limit ${limit} must be a non-negative integer, got ${value}`,
      );
    }
    return this.#native.limit(this.#open(), limitId(limit), value);
  }

  /**
   * Maps an error thrown by a libsql-js call on this connection to a NativeError when our
   * extension caused it (deadline, veto, authorizer, throwing or re-entrant callback); returns
   * anything else unchanged. Call it once per caught error: the diagnosis is consumed.
   */
  translateError(error: unknown, sql?: string): unknown {
    if (error instanceof NativeError) return error;
    const failure = this.#native.takeFailure(this.#id);
    if (failure === undefined || !isNativeErrorCode(failure.code)) return error;
    const sqliteCode = (error as { code?: unknown } | null)?.code;
    const expected = expectedSqliteCodes[failure.code];
    if (
      expected !== undefined &&
      typeof sqliteCode === 'string' &&
      !expected.some((c) => sqliteCode.startsWith(c))
    ) {
      return error;
    }
    const inner = failure.cause;
    // A callback that hit the re-entrancy guard and let the error escape: report the guard's code.
    if (inner instanceof NativeError) {
      return new NativeError(
        inner.code,
        inner.message,
        sql === undefined ? { cause: error } : { cause: error, sql },
      );
    }
    const options = sql === undefined ? { cause: inner ?? error } : { cause: inner ?? error, sql };
    return new NativeError(failure.code, failure.message, options);
  }

  /** Counters for tests and diagnostics. */
  stats(): {
    open: boolean;
    pendingEvents: number;
    readyBatches: number;
    seq: number;
    savepointDepth: number;
  } {
    const s = this.#native.stats(this.#id);
    return {
      open: this.isOpen,
      pendingEvents: s.pendingEvents ?? 0,
      readyBatches: s.readyBatches ?? 0,
      seq: s.seq ?? 0,
      savepointDepth: s.savepointDepth ?? 0,
    };
  }

  /** @internal test hook: runs SQL on this connection from a foreign native thread. */
  runOffThreadForTest(sql: string): { rc: number; message: string } {
    return this.#native.runOffThreadForTest(this.#open(), sql);
  }

  /** Delivers what is left, then removes hooks and functions from the connection. */
  [Symbol.dispose](): void {
    if (this.#detached) return;
    try {
      if (!this.#closed) this.#drain(false);
    } finally {
      this.#detached = true;
      live.delete(this.#id);
      this.#native.detach(this.#id);
    }
  }

  #markClosed(): void {
    this.#closed = true;
    live.delete(this.#id);
  }

  #open(): number {
    if (this.#detached) throw new NativeError('DETACHED', `native connection ${this.#id} was disposed`);
    if (this.#closed) throw new NativeError('CONNECTION_CLOSED', `native connection ${this.#id} is closed`);
    return this.#id;
  }

  #call<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw fromAddonError(error);
    }
  }
}

function functionArity(options: FunctionOptions, declared: number): number {
  if (options.varargs === true) return -1;
  const arity = options.arity ?? declared;
  if (!Number.isInteger(arity) || arity < 0 || arity > 127) {
    throw new NativeError('INVALID_ARGUMENT', `function arity must be 0..127 (or varargs), got ${arity}`);
  }
  return arity;
}

function limitId(limit: SqliteLimit): number {
  const id = sqliteLimitIds[limit] as number | undefined;
  if (id === undefined) throw new NativeError('INVALID_ARGUMENT', `unknown SQLite limit "${String(limit)}"`);
  return id;
}

/**
 * Loads our extension into a libsql-js LOCAL connection and returns its NativeConnection.
 * Replica connections refuse extensions (EXTENSION_LOAD_FAILED): capture changes there through
 * the replicated change log instead.
 *
 * @example
 * const db = new (loadLibsql())('/data/app.db');
 * using conn = attachExtension(db);
 */
export function attachExtension(db: LibsqlDatabase, options: AttachOptions = {}): NativeConnection {
  return NativeConnection.attach(db, options);
}
