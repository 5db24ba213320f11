import type { CompactReport } from '@liveframe/db-core';
import type { Logger } from 'pino';
import type { Database } from '../db/database-contract.ts';

export interface ChangeLogCompactionOptions {
  readonly db: Database;
  /** How often to compact; 0 disables. */
  readonly intervalMs: number;
  readonly maxAgeMs: number;
  readonly maxRows: number;
  readonly logger: Logger;
}

/**
 * Keeps the replicated change log (replica mode) from growing forever: every `intervalMs`,
 * db-core's `compactChangeLog({ maxAgeMs, maxRows })` deletes log rows beyond the retention on
 * the primary. Safe on every server of a cluster at once: the deletion is idempotent, db-core
 * serializes it with this server's writes and never drops rows a live cursor still needs; one
 * server doing it is enough, all doing it only repeats cheap deletes. Local mode has no log:
 * nothing is scheduled. A run never overlaps the previous one.
 *
 * @example
 * const compaction = new ChangeLogCompaction({ db, intervalMs: 60_000, maxAgeMs: 86_400_000, maxRows: 100_000, logger });
 * compaction.start(); // ... compaction.close();
 */
export class ChangeLogCompaction {
  readonly #options: ChangeLogCompactionOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #waiters: ((report: CompactReport) => void)[] = [];
  #runs = 0;
  #deleted = 0;
  #failures = 0;

  constructor(options: ChangeLogCompactionOptions) {
    this.#options = options;
  }

  /** Whether compaction is scheduled (replica mode and a positive interval). */
  get scheduled(): boolean {
    return this.#timer !== undefined;
  }

  get stats(): { runs: number; deleted: number; failures: number } {
    return { runs: this.#runs, deleted: this.#deleted, failures: this.#failures };
  }

  start(): void {
    const { db, intervalMs } = this.#options;
    if (db.mode !== 'replica' || intervalMs <= 0 || this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.runOnce(), intervalMs);
    this.#timer.unref();
  }

  /** Resolves with the report of the next successful run (for tests and tools). */
  nextRun(): Promise<CompactReport> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** One compaction now (skipped while one is running). */
  runOnce(): Promise<void> {
    if (this.#running !== undefined) return this.#running;
    const { db, maxAgeMs, maxRows, logger } = this.#options;
    this.#running = db
      .compactChangeLog({ maxAgeMs, maxRows })
      .then(
        (report) => {
          this.#runs++;
          this.#deleted += report.deleted;
          if (report.deleted > 0)
            logger.info({ deleted: report.deleted, minSeq: report.minSeq }, 'change log compacted');
          const waiters = this.#waiters;
          this.#waiters = [];
          for (const waiter of waiters) waiter(report);
        },
        (error: unknown) => {
          this.#failures++;
          logger.warn({ err: error }, 'change log compaction failed (retried next interval)');
        },
      )
      .finally(() => {
        this.#running = undefined;
      });
    return this.#running;
  }

  /** Stops scheduling and waits for a run in flight. */
  async close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
