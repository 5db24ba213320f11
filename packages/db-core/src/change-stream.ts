import type { CaptureEvent, ChangeSet, TableChange } from './change-set.ts';
import type { ChangeStreamOptions } from './driver.ts';
import type { FramePosition } from './position.ts';

const DEFAULT_BUFFER = 1024;
/** Merging stops at this many changes per pending set, so coalescing never builds unbounded arrays. */
const MAX_MERGED_CHANGES = 100_000;

interface Subscriber {
  readonly buffer: CaptureEvent[];
  readonly capacity: number;
  overflowed: boolean;
  wake: (() => void) | undefined;
  closed: boolean;
}

/**
 * Fans one ordered event source out to any number of consumers (house rule 4). Each consumer
 * has its own bounded buffer; while it lags, adjacent change sets of one generation are merged
 * (coalescing), and when the buffer is still full it is emptied and replaced by a single
 * `refetch-all`, so a slow consumer costs bounded memory and never silently misses anything.
 * Used by both drivers.
 *
 * @example
 * const stream = new ChangeBroadcaster(() => driver.position());
 * for await (const event of stream.subscribe({ signal })) console.log(event.type);
 */
export class ChangeBroadcaster {
  readonly #subscribers = new Set<Subscriber>();
  readonly #position: () => FramePosition;
  #closed = false;

  constructor(position: () => FramePosition) {
    this.#position = position;
  }

  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  publish(event: CaptureEvent): void {
    for (const sub of this.#subscribers) {
      if (sub.overflowed) continue;
      const last = sub.buffer.at(-1);
      if (event.type === 'changes' && last?.type === 'changes' && canMerge(last.changeSet, event.changeSet)) {
        sub.buffer[sub.buffer.length - 1] = {
          type: 'changes',
          changeSet: merge(last.changeSet, event.changeSet),
        };
      } else if (sub.buffer.length >= sub.capacity) {
        sub.buffer.length = 0;
        sub.overflowed = true;
      } else {
        sub.buffer.push(event);
      }
      sub.wake?.();
    }
  }

  /** Ends every stream (their loops finish normally). */
  close(): void {
    this.#closed = true;
    for (const sub of this.#subscribers) {
      sub.closed = true;
      sub.wake?.();
    }
    this.#subscribers.clear();
  }

  subscribe(options: ChangeStreamOptions = {}): AsyncIterableIterator<CaptureEvent> {
    const sub: Subscriber = {
      buffer: [],
      capacity: Math.max(1, options.bufferSize ?? DEFAULT_BUFFER),
      overflowed: false,
      wake: undefined,
      closed: this.#closed,
    };
    const signal = options.signal;
    const finish = () => {
      sub.closed = true;
      this.#subscribers.delete(sub);
      signal?.removeEventListener('abort', onAbort);
      sub.wake?.();
    };
    const onAbort = () => finish();
    if (signal?.aborted) sub.closed = true;
    else {
      this.#subscribers.add(sub);
      signal?.addEventListener('abort', onAbort, { once: true });
    }
    const iterator: AsyncIterableIterator<CaptureEvent> = {
      next: async () => {
        for (;;) {
          if (sub.overflowed) {
            sub.overflowed = false;
            return {
              done: false,
              value: {
                type: 'refetch-all',
                position: this.#position(),
                reason: 'change stream buffer overflow',
              },
            };
          }
          const event = sub.buffer.shift();
          if (event !== undefined) return { done: false, value: event };
          if (sub.closed) return { done: true, value: undefined };
          await new Promise<void>((resolve) => {
            sub.wake = resolve;
          });
          sub.wake = undefined;
        }
      },
      return: async () => {
        finish();
        sub.buffer.length = 0;
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }
}

function canMerge(a: ChangeSet, b: ChangeSet): boolean {
  return a.generation === b.generation && a.changes.length + b.changes.length <= MAX_MERGED_CHANGES;
}

function merge(a: ChangeSet, b: ChangeSet): ChangeSet {
  const seen = new Set<string>();
  const changes: TableChange[] = [];
  for (const change of [...a.changes, ...b.changes]) {
    const key = `${change.table}\0${change.op}\0${change.rowid}`;
    if (seen.has(key)) continue;
    seen.add(key);
    changes.push(change);
  }
  return { generation: b.generation, frame: Math.max(a.frame, b.frame), changes };
}
