import type { InArgs, InStatement, IntMode, ResultSet, Transaction, TransactionMode } from '@libsql/core/api';
import { LibsqlError } from '@libsql/core/api';
import type { TransactionBehavior } from '../driver.ts';
import type { FramePosition } from '../position.ts';
import type { RawTransaction } from '../raw-result.ts';
import type { LibsqlClientSource } from './client-source.ts';
import { toLibsqlBatchError, toLibsqlError } from './libsql-errors.ts';
import { toResultSet } from './result-set.ts';
import { normalizeStatement } from './statement-args.ts';

/** What ends a transaction the caller did not commit; never seen outside this file. */
class Rollback extends Error {}

const BEHAVIOR: Record<TransactionMode, TransactionBehavior> = {
  write: 'immediate',
  read: 'read-only',
  deferred: 'deferred',
};

export interface TransactionHooks {
  readonly intMode: IntMode;
  /** Rolls the transaction back after this long, so an abandoned handle cannot hold the writer forever. */
  readonly timeoutMs: number;
  /** The commit's position, for the client's read-your-writes. */
  onCommit(position: FramePosition): void;
  /** Called once when the transaction ends, however it ends. */
  onSettled(): void;
}

/**
 * `@libsql/client`'s interactive transaction over db-core's callback transaction. db-core runs
 * `fn` while it holds the writer (local mode) or a primary stream (replica mode) and commits when
 * `fn` resolves; here `fn` hands its handle out and waits for the caller's `commit()` (resolve)
 * or `rollback()`/`close()` (reject). Statements run one at a time in call order, as on
 * upstream's single connection.
 *
 * A caller that never ends the transaction would keep the writer (and every write of the
 * database) waiting, so after `timeoutMs` the transaction is rolled back and every later call on
 * it fails with LibsqlError `TRANSACTION_TIMEOUT`.
 */
export class LiveframeTransaction implements Transaction {
  readonly #tx: RawTransaction;
  readonly #decide: { resolve(): void; reject(reason: Rollback): void };
  readonly #outcome: Promise<{ position: FramePosition }>;
  readonly #hooks: TransactionHooks;
  readonly #timer: NodeJS.Timeout;
  #state: 'open' | 'committing' | 'committed' | 'rolled-back' | 'timed-out' = 'open';
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    tx: RawTransaction,
    decide: { resolve(): void; reject(reason: Rollback): void },
    outcome: Promise<{ position: FramePosition }>,
    hooks: TransactionHooks,
  ) {
    this.#tx = tx;
    this.#decide = decide;
    this.#outcome = outcome;
    this.#hooks = hooks;
    this.#timer = setTimeout(() => this.#expire(), hooks.timeoutMs);
    // An abandoned transaction must not keep the process alive either.
    this.#timer.unref();
  }

  /** Starts the transaction; resolves once db-core holds it (the writer, or a stream to the primary). */
  static async begin(
    source: LibsqlClientSource,
    mode: TransactionMode,
    hooks: TransactionHooks,
  ): Promise<LiveframeTransaction> {
    const behavior = BEHAVIOR[mode];
    if (behavior === undefined) {
      throw new RangeError('Unknown transaction mode, supported values are "write", "read" and "deferred"');
    }
    let hand!: (tx: RawTransaction) => void;
    const started = new Promise<RawTransaction>((resolve) => {
      hand = resolve;
    });
    let decide!: { resolve(): void; reject(reason: Rollback): void };
    const decision = new Promise<void>((resolve, reject) => {
      decide = { resolve, reject };
    });
    let outcome: Promise<{ position: FramePosition }>;
    try {
      outcome = source.transaction(
        async (tx) => {
          hand(tx);
          await decision;
        },
        { behavior },
      );
    } catch (error) {
      hooks.onSettled();
      throw toLibsqlError(error);
    }
    // Rejections are read by commit()/rollback(); until then this keeps them from going unhandled.
    outcome.catch(() => undefined);
    let tx: RawTransaction;
    try {
      tx = await Promise.race([
        started,
        outcome.then(() => {
          throw new LibsqlError('the transaction ended before it started', 'TRANSACTION_CLOSED');
        }),
      ]);
    } catch (error) {
      hooks.onSettled();
      throw toLibsqlError(error);
    }
    return new LiveframeTransaction(tx, decide, outcome, hooks);
  }

  get closed(): boolean {
    return this.#state !== 'open';
  }

  execute(stmt: InStatement): Promise<ResultSet>;
  execute(sql: string, args?: InArgs): Promise<ResultSet>;
  execute(stmtOrSql: InStatement, args?: InArgs): Promise<ResultSet> {
    return this.#serial(async () => {
      const { sql, params } = normalizeStatement(stmtOrSql, args);
      return toResultSet(await this.#tx.query(sql, params), this.#hooks.intMode);
    });
  }

  /** Statements in order; the first failure is thrown (LibsqlBatchError) and the transaction stays open, as upstream. */
  batch(stmts: Array<InStatement>): Promise<Array<ResultSet>> {
    return this.#serial(async () => {
      const results: ResultSet[] = [];
      for (let i = 0; i < stmts.length; i++) {
        try {
          // Checked per statement, as upstream: a closed transaction fails as statement i's LibsqlBatchError.
          this.#assertOpen();
          const { sql, params } = normalizeStatement(stmts[i]!);
          results.push(toResultSet(await this.#tx.query(sql, params), this.#hooks.intMode));
        } catch (error) {
          throw toLibsqlBatchError(toLibsqlError(error, 'transaction'), i);
        }
      }
      return results;
    }, false);
  }

  executeMultiple(sql: string): Promise<void> {
    return this.#serial(() => this.#tx.exec(sql));
  }

  async commit(): Promise<void> {
    await this.#serial(async () => {
      this.#state = 'committing';
      this.#finish();
      this.#decide.resolve();
      try {
        const { position } = await this.#outcome;
        this.#state = 'committed';
        this.#hooks.onCommit(position);
      } catch (error) {
        this.#state = 'rolled-back';
        throw toLibsqlError(error, 'transaction');
      }
    });
  }

  /** Rolls back; a no-op on a transaction that has ended already, as upstream. */
  async rollback(): Promise<void> {
    if (this.#state !== 'open') return;
    await this.#end('rolled-back');
  }

  /** Rolls back if still open, without waiting (upstream's close is synchronous). */
  close(): void {
    if (this.#state !== 'open') return;
    void this.#end('rolled-back').catch(() => undefined);
  }

  async #end(state: 'rolled-back' | 'timed-out'): Promise<void> {
    if (this.#state !== 'open') return;
    // Closed at once for callers; the rollback itself waits for the statement in flight (the
    // primary stream takes one request at a time).
    this.#state = state;
    clearTimeout(this.#timer);
    await this.#queue.catch(() => undefined);
    this.#hooks.onSettled();
    this.#decide.reject(new Rollback());
    try {
      await this.#outcome;
    } catch (error) {
      if (!(error instanceof Rollback)) throw toLibsqlError(error, 'transaction');
    }
  }

  #expire(): void {
    void this.#end('timed-out').catch(() => undefined);
  }

  #finish(): void {
    clearTimeout(this.#timer);
    this.#hooks.onSettled();
  }

  /** Runs `op` after the previous one, refusing once the transaction has ended. */
  #serial<T>(op: () => Promise<T>, check = true): Promise<T> {
    const run = async (): Promise<T> => {
      if (check) this.#assertOpen();
      try {
        return await op();
      } catch (error) {
        throw toLibsqlError(error, 'transaction');
      }
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  #assertOpen(): void {
    if (this.#state === 'timed-out') {
      throw new LibsqlError(
        `The transaction was open longer than ${this.#hooks.timeoutMs} ms and was rolled back`,
        'TRANSACTION_TIMEOUT',
      );
    }
    if (this.#state !== 'open') throw new LibsqlError('The transaction is closed', 'TRANSACTION_CLOSED');
  }
}
