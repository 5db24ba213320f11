import type { SubscriptionEvent } from './subscription-event.ts';

/**
 * A single-consumer async queue holding at most `capacity` events. It never drops silently: when
 * full, everything buffered is replaced by one `refetch-all` at the newest position, and further
 * invalidations fold into that pending refetch-all (it subsumes them) until the consumer takes it.
 * Memory per subscriber is therefore O(capacity) however slow the consumer is.
 *
 * @example
 * const queue = new BoundedEventQueue(64);
 * queue.push({ type: 'live', position });
 * for await (const event of queue) ...
 */
export class BoundedEventQueue implements AsyncIterableIterator<SubscriptionEvent> {
  readonly #capacity: number;
  readonly #onReturn: () => void;
  #buffer: SubscriptionEvent[] = [];
  #head = 0;
  #waiter: ((result: IteratorResult<SubscriptionEvent>) => void) | undefined;
  #closed = false;
  #overflows = 0;

  /** `onReturn` runs once when the consumer stops iterating (return() / break). */
  constructor(capacity: number, onReturn: () => void = () => {}) {
    this.#capacity = capacity;
    this.#onReturn = onReturn;
  }

  /** Events waiting for the consumer. */
  get length(): number {
    return this.#buffer.length - this.#head;
  }

  /** How many times the buffer overflowed into a refetch-all. */
  get overflows(): number {
    return this.#overflows;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Enqueues an event, or hands it straight to a waiting consumer. No-op once closed. */
  push(event: SubscriptionEvent): void {
    if (this.#closed) return;
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter({ value: event, done: false });
      return;
    }
    const last = this.length > 0 ? this.#buffer[this.#buffer.length - 1] : undefined;
    if (event.type === 'refetch-all') {
      // Refetching everything covers every buffered invalidation: keep only the newest instruction.
      this.#reset([event]);
    } else if (last?.type === 'refetch-all') {
      this.#buffer[this.#buffer.length - 1] = { ...last, position: event.position };
    } else if (this.length >= this.#capacity) {
      this.#overflows++;
      this.#reset([{ type: 'refetch-all', position: event.position, reason: 'subscriber buffer overflow' }]);
    } else {
      this.#buffer.push(event);
    }
  }

  /** Ends iteration: buffered events are discarded and a pending next() resolves as done. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reset([]);
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<SubscriptionEvent>> {
    if (this.#head < this.#buffer.length) {
      const value = this.#buffer[this.#head]!;
      this.#head++;
      if (this.#head === this.#buffer.length) this.#reset([]);
      return Promise.resolve({ value, done: false });
    }
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    if (this.#waiter !== undefined) {
      return Promise.reject(new Error('BoundedEventQueue supports one pending next() at a time'));
    }
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  /**
   * `next()` for a consumer that takes events synchronously: `consumer` gets the next event now
   * if one is buffered, else from the `push()` that brings it, in the publisher's call stack. No
   * promise and no microtask per event: a publish reaching 1,000 subscribers made 1,000 of each.
   * The consumer must not throw (it runs inside the publisher's loop). One pending take or next.
   */
  take(consumer: (result: IteratorResult<SubscriptionEvent>) => void): void {
    if (this.#head < this.#buffer.length) {
      const value = this.#buffer[this.#head]!;
      this.#head++;
      if (this.#head === this.#buffer.length) this.#reset([]);
      consumer({ value, done: false });
      return;
    }
    if (this.#closed) {
      consumer({ value: undefined, done: true });
      return;
    }
    if (this.#waiter !== undefined) throw new Error('BoundedEventQueue supports one pending take at a time');
    this.#waiter = consumer;
  }

  return(): Promise<IteratorResult<SubscriptionEvent>> {
    const wasOpen = !this.#closed;
    this.close();
    if (wasOpen) this.#onReturn();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #reset(events: SubscriptionEvent[]): void {
    this.#buffer = events;
    this.#head = 0;
  }
}
