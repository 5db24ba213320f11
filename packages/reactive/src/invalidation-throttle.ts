import type { InvalidateEvent, SubscriptionEvent } from './subscription-event.ts';
import { mergeInvalidations } from './subscription-event.ts';

/**
 * Per-subscriber rate limit for invalidations. The first invalidation goes out at once (no added
 * latency for an isolated change) and opens a window of `windowMs`; invalidations arriving inside
 * the window are merged into one (union of queries and tables, newest position) and emitted when
 * the window ends, which opens the next window. So a subscriber receives at most one invalidation
 * per window, and a burst of N change sets costs it at most two refetch rounds.
 * A refetch-all is never delayed: it subsumes the pending merge, which is dropped.
 *
 * @example
 * const throttle = new InvalidationThrottle(50, (event) => queue.push(event));
 * throttle.offer(invalidation);
 */
export class InvalidationThrottle {
  readonly #windowMs: number;
  readonly #emit: (event: SubscriptionEvent) => void;
  #pending: InvalidateEvent | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /** `windowMs <= 0` disables throttling: every event is emitted immediately. */
  constructor(windowMs: number, emit: (event: SubscriptionEvent) => void) {
    this.#windowMs = windowMs;
    this.#emit = emit;
  }

  /** Whether a merged invalidation is waiting for the window to end. */
  get hasPending(): boolean {
    return this.#pending !== undefined;
  }

  offer(event: SubscriptionEvent): void {
    if (this.#closed) return;
    if (event.type !== 'invalidate' || this.#windowMs <= 0) {
      if (event.type === 'refetch-all') this.#pending = undefined;
      else this.#flushPending();
      this.#emit(event);
      return;
    }
    if (this.#timer === undefined) {
      this.#emit(event);
      this.#openWindow();
    } else {
      this.#pending = this.#pending === undefined ? event : mergeInvalidations(this.#pending, event);
    }
  }

  /** Stops the timer and forgets any pending merge (the subscription is over). */
  close(): void {
    this.#closed = true;
    this.#pending = undefined;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #openWindow(): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#pending !== undefined) {
        this.#flushPending();
        this.#openWindow();
      }
    }, this.#windowMs);
    this.#timer.unref?.();
  }

  #flushPending(): void {
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending !== undefined) this.#emit(pending);
  }
}
