import { BoundedEventQueue } from './bounded-event-queue.ts';
import { InvalidationThrottle } from './invalidation-throttle.ts';
import type { FramePosition } from './position.ts';
import type { SubscriptionEvent } from './subscription-event.ts';

/**
 * One subscriber's stream of invalidations: an async iterable (single consumer) with a bounded
 * buffer. Iteration ends when the consumer breaks out / calls `return()`, the subscription's
 * AbortSignal fires, `close()` is called, the same subscriber subscribes again, or the hub closes.
 * Ending it (except by a re-subscribe) unregisters the subscriber's live queries.
 *
 * @example
 * using subscription = hub.subscribe({ subscriberId: 'client-1', signal });
 * for await (const event of subscription) send(formatPosition(event.position), event);
 */
export interface LiveSubscription extends AsyncIterableIterator<SubscriptionEvent>, Disposable {
  readonly subscriberId: string;
  /** Every change after this position is delivered (the position of the first event, the ack). */
  readonly liveFrom: FramePosition;
  readonly closed: boolean;
  /** Events queued and not yet taken by the consumer (at most the buffer size). */
  readonly buffered: number;
  /** How many times a slow consumer's buffer overflowed into a refetch-all. */
  readonly overflows: number;
  next(): Promise<IteratorResult<SubscriptionEvent>>;
  /**
   * Like `next()`, for a consumer that handles an event synchronously: called at once when one is
   * waiting, else by the publish that brings it (no promise per event). Must not throw.
   */
  take(consumer: (result: IteratorResult<SubscriptionEvent>) => void): void;
  /** Ends the subscription (what `break` in `for await` calls); unregisters the subscriber's queries. */
  return(): Promise<IteratorResult<SubscriptionEvent>>;
  /** Ends the subscription; a pending `next()` resolves as done. Idempotent. */
  close(): void;
}

/** Why a subscription ended; `replaced` keeps the subscriber's queries for its successor. */
export type SubscriptionEndReason = 'closed' | 'returned' | 'aborted' | 'replaced' | 'hub-closed';

export interface HubSubscriptionOptions {
  readonly subscriberId: string;
  readonly liveFrom: FramePosition;
  readonly bufferSize: number;
  readonly throttleMs: number;
  readonly canSee: ((table: string) => boolean) | undefined;
  readonly signal: AbortSignal | undefined;
  readonly onEnd: (subscription: HubSubscription, reason: SubscriptionEndReason) => void;
}

/** The hub's side of a {@link LiveSubscription}: delivery goes through throttle then queue. */
export class HubSubscription implements LiveSubscription {
  readonly subscriberId: string;
  readonly liveFrom: FramePosition;
  readonly #queue: BoundedEventQueue;
  readonly #throttle: InvalidationThrottle;
  readonly #canSee: ((table: string) => boolean) | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #onEnd: HubSubscriptionOptions['onEnd'];
  readonly #onAbort = (): void => this.end('aborted');
  #ended = false;
  #lastPosition: FramePosition | undefined;

  constructor(options: HubSubscriptionOptions) {
    this.subscriberId = options.subscriberId;
    this.liveFrom = options.liveFrom;
    this.#canSee = options.canSee;
    this.#onEnd = options.onEnd;
    this.#queue = new BoundedEventQueue(options.bufferSize, () => this.end('returned'));
    this.#throttle = new InvalidationThrottle(options.throttleMs, (event) => this.#queue.push(event));
    this.#signal = options.signal;
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  get closed(): boolean {
    return this.#ended;
  }

  get buffered(): number {
    return this.#queue.length;
  }

  get overflows(): number {
    return this.#queue.overflows;
  }

  /** Delivers an event, dropping tables the subscriber may not see from invalidations. */
  offer(event: SubscriptionEvent): void {
    if (this.#ended) return;
    // Results are computed after the change that caused them; another event (a refetch-all) may
    // have gone out meanwhile at a later position: the event keeps the order, each result its `at`.
    const last = this.#lastPosition;
    if (
      event.type === 'results' &&
      last !== undefined &&
      last.generation === event.position.generation &&
      last.frame > event.position.frame
    ) {
      event = { ...event, position: last };
    }
    this.#lastPosition = event.position;
    if (event.type === 'invalidate' && this.#canSee !== undefined) {
      const canSee = this.#canSee;
      event = { ...event, tables: event.tables.filter((table) => canSee(table)) };
    }
    this.#throttle.offer(event);
  }

  /** Stops delivery and tells the hub; idempotent. */
  end(reason: SubscriptionEndReason): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#throttle.close();
    this.#queue.close();
    this.#onEnd(this, reason);
  }

  close(): void {
    this.end('closed');
  }

  next(): Promise<IteratorResult<SubscriptionEvent>> {
    return this.#queue.next();
  }

  take(consumer: (result: IteratorResult<SubscriptionEvent>) => void): void {
    this.#queue.take(consumer);
  }

  return(): Promise<IteratorResult<SubscriptionEvent>> {
    return this.#queue.return();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
