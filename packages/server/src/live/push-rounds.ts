import type { FramePosition, PushedResult, ResultsEvent } from '@liveframe/reactive';
import { ResultPatches } from './result-patches.ts';

/**
 * One query's result for the subscriptions of one run: the same object for every subscription
 * that gets it, so subscriptions with the same items share one event (and one encoding).
 */
export interface PushItem {
  readonly id: number;
  readonly key: string;
  /** undefined: larger than the push limit, sent as an invalidation of `key`. */
  readonly result: PushedResult | undefined;
}

/** Longest a computed result waits for the other runs of its round before it is sent. */
const MAX_PUSH_DELAY_MS = 25;

export interface PushRoundsOptions {
  /** Pushed results larger than this (encoded bytes) go out as an invalidation of that key. */
  readonly maxPushBytes: number;
  /** Hands an event to a subscription's stream; false when it has none any more. */
  readonly offer: (subscriptionId: string, event: ResultsEvent) => boolean;
  /** These results did not reach the subscription (its stream ended before the round went out). */
  readonly notSent: (subscriptionId: string, results: readonly PushedResult[]) => void;
}

/**
 * Push delivery's rounds: the results of a round's runs wait here and go out together, one
 * `results` event per subscription, when the round's last run finished ({@link flush}) or after
 * at most 25 ms. Work per subscription is small on purpose (it runs for every viewer on every
 * change): items are shared objects with small ids, and the event of a subscription is looked up
 * by the ids it got.
 */
export class PushRounds {
  readonly #options: PushRoundsOptions;
  readonly #pending = new Map<string, { items: PushItem[]; at: FramePosition }>();
  /** Items of a run: by key, then by the base text they patch ('' for the whole result). */
  readonly #byRun = new WeakMap<object, Map<string, Map<string, PushItem>>>();
  readonly #patches = new ResultPatches();
  #nextId = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: PushRoundsOptions) {
    this.#options = options;
  }

  /**
   * The item of `key` for the subscriptions a run serves that hold `base` (the text and position
   * last pushed to them; undefined: they hold nothing pushed, or want no patches): made once per
   * run, key and base. A patch when one is smaller than the result.
   */
  itemOf(
    run: object,
    key: string,
    data: string,
    at: FramePosition,
    bytes: number,
    base?: { readonly text: string; readonly at: FramePosition },
  ): PushItem {
    let byKey = this.#byRun.get(run);
    if (byKey === undefined) {
      byKey = new Map();
      this.#byRun.set(run, byKey);
    }
    let byBase = byKey.get(key);
    if (byBase === undefined) {
      byBase = new Map();
      byKey.set(key, byBase);
    }
    const baseText = base?.text ?? '';
    let item = byBase.get(baseText);
    if (item === undefined) {
      const patch = base === undefined ? undefined : this.#patches.patch(base.text, data, bytes);
      item =
        patch === undefined || base === undefined
          ? this.item(key, data, at, bytes)
          : { id: ++this.#nextId, key, result: { key, patch, base: base.at, at } };
      byBase.set(baseText, item);
    }
    return item;
  }

  /** An item of its own (a resume's result for one subscription): the whole result, or too large. */
  item(key: string, data: string, at: FramePosition, bytes = Buffer.byteLength(data)): PushItem {
    const result = bytes > this.#options.maxPushBytes ? undefined : { key, data, at };
    return { id: ++this.#nextId, key, result };
  }

  queue(subscriptionId: string, item: PushItem, at: FramePosition): void {
    // A run that keeps the round open (a replica wait) holds the others back by at most this.
    this.#timer ??= setTimeout(() => this.flush(), MAX_PUSH_DELAY_MS);
    let pending = this.#pending.get(subscriptionId);
    if (pending === undefined) {
      pending = { items: [], at };
      this.#pending.set(subscriptionId, pending);
    } else {
      if (at.generation === pending.at.generation && at.frame > pending.at.frame) pending.at = at;
      // A later run of the same query in this round replaces the earlier result, unless it is a
      // patch: that one is based on the earlier result, which must then arrive first.
      if (item.result === undefined || !('patch' in item.result)) {
        pending.items = pending.items.filter((queued) => queued.key !== item.key);
      }
    }
    pending.items.push(item);
  }

  /** Sends every waiting result: one event per subscription, shared by equal item lists. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.size === 0) return;
    const shared = new Map<string, ResultsEvent>();
    // Consecutive subscriptions nearly always got the same items: compared in place first.
    let previous: { pending: { items: PushItem[]; at: FramePosition }; event: ResultsEvent } | undefined;
    for (const [subscriptionId, pending] of this.#pending) {
      if (previous !== undefined && samePending(previous.pending, pending)) {
        if (!this.#options.offer(subscriptionId, previous.event))
          this.#options.notSent(subscriptionId, previous.event.results);
        continue;
      }
      // Item ids name the exact result objects: equal signatures carry equal results.
      let signature = `${pending.at.generation}:${pending.at.frame}`;
      for (const item of pending.items) signature += `,${item.id}`;
      let event = shared.get(signature);
      if (event === undefined) {
        const results: PushedResult[] = [];
        const invalidate: string[] = [];
        for (const item of pending.items) {
          if (item.result === undefined) invalidate.push(item.key);
          else results.push(item.result);
        }
        event = { type: 'results', position: pending.at, results, invalidate };
        shared.set(signature, event);
      }
      previous = { pending, event };
      if (!this.#options.offer(subscriptionId, event)) this.#options.notSent(subscriptionId, event.results);
    }
    this.#pending.clear();
  }

  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending.clear();
  }
}

/** Whether two subscriptions' waiting results are the same items at the same position. */
function samePending(
  a: { readonly items: readonly PushItem[]; readonly at: FramePosition },
  b: { readonly items: readonly PushItem[]; readonly at: FramePosition },
): boolean {
  if (a.items.length !== b.items.length) return false;
  if (a.at.frame !== b.at.frame || a.at.generation !== b.at.generation) return false;
  for (let i = 0; i < a.items.length; i++) if (a.items[i] !== b.items[i]) return false;
  return true;
}
