import type { LiveQueryHub, PublishResult } from '@liveframe/reactive';
import type { Logger } from 'pino';
import type { Database, FramePosition } from '../db/database-contract.ts';

/** How long one background wait for the replica lasts before it is renewed. */
const WATCH_SLICE_MS = 60_000;

const REASON = 'reads were served before this replica had changes already announced';

/**
 * What happens after a read had to be served below what this server already announced.
 *
 * Changes are announced when the primary acknowledges them, before this replica synced them, and
 * queries wait for the replica to catch up first (read-floor.ts). If it cannot (the primary
 * became unreachable right after the announcement), reads are served from what the replica has
 * rather than failing until the primary is back; but a client that refetched for such an event
 * now holds data older than the event, and nothing else would ever tell it. So once the replica
 * reaches the announced position, every subscription gets one `refetch-all`.
 *
 * @example recovery.servedBelow(hub.position) // after a read that could not wait any longer
 */
export class StaleReadRecovery {
  readonly #db: Database;
  readonly #publish: (position: FramePosition) => void;
  readonly #logger: Logger;
  #target: FramePosition | undefined;
  #served = 0;
  #closed = false;

  constructor(options: {
    readonly db: Database;
    readonly hub: LiveQueryHub;
    readonly logger: Logger;
    /** Called with every publish result (the change pump's bookkeeping). */
    readonly afterPublish?: (result: PublishResult) => void;
  }) {
    this.#db = options.db;
    this.#logger = options.logger;
    this.#publish = (position) => {
      const result = options.hub.publish({ type: 'refetch-all', position, reason: REASON });
      options.afterPublish?.(result);
    };
  }

  /** Reads served below an announced position so far. */
  get staleReads(): number {
    return this.#served;
  }

  /** A read was served while the replica was behind `announced`. */
  servedBelow(announced: FramePosition): void {
    this.#served++;
    const current = this.#target;
    if (
      current !== undefined &&
      announced.generation === current.generation &&
      announced.frame <= current.frame
    ) {
      return;
    }
    this.#target = announced;
    if (current === undefined) {
      this.#logger.warn({ announced }, 'serving reads below announced changes: replica behind');
      void this.#watch();
    }
  }

  close(): void {
    this.#closed = true;
  }

  async #watch(): Promise<void> {
    while (!this.#closed && this.#target !== undefined) {
      const target = this.#target;
      const result = await this.#db
        .waitForFrame(target, { timeoutMs: WATCH_SLICE_MS })
        .catch(() => ({ status: 'timeout' as const, position: target }));
      if (this.#closed) return;
      if (result.status === 'timeout') continue;
      if (this.#target !== target) continue; // announced further meanwhile: wait for that
      this.#target = undefined;
      // A generation change already made every client refetch (db-core publishes refetch-all).
      if (result.status === 'reached') this.#publish(result.position);
    }
  }
}
