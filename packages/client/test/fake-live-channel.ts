import { registrationDigest } from '@liveframe/reactive';
import { TRPCClientError } from '@trpc/client';
import type {
  LiveChannel,
  LiveDelivery,
  LiveEventData,
  LiveRegistration,
  LiveUpdateInput,
  LiveUpdateResult,
} from '../src/live-channel.ts';

/**
 * An in-memory live server for registry tests: it records `live.update` calls, keeps the
 * registered keys, and lets tests push events. `stale` answers follow PROTOCOL.md: keys without
 * `since`, or with `since` older than `changedAfter`, are stale.
 */
export class FakeLiveChannel implements LiveChannel {
  readonly updates: LiveUpdateInput[] = [];
  readonly registered = new Map<string, LiveRegistration>();
  subscriptions = 0;
  position = 'g1:0';
  /** Frame of the newest change the server knows of: registrations with an older `since` are stale. */
  changedAt = 0;
  /** What the registry asked for when it subscribed (delivery mode). */
  subscribeOptions: { readonly delivery?: LiveDelivery; readonly patches?: boolean } | undefined;
  /** Procedure paths the server refuses to register (like a non-live query): the whole call fails. */
  readonly rejectPaths = new Set<string>();
  #onEvent: ((id: string | undefined, data: LiveEventData) => void) | null = null;
  #onError: ((error: unknown) => void) | null = null;

  subscribe(
    _subscriptionId: string,
    handlers: {
      onEvent: (id: string | undefined, data: LiveEventData) => void;
      onError: (error: unknown) => void;
    },
    options?: { readonly delivery?: LiveDelivery; readonly patches?: boolean },
  ): () => void {
    this.subscriptions++;
    this.subscribeOptions = options;
    this.#onEvent = handlers.onEvent;
    this.#onError = handlers.onError;
    return () => {
      this.#onEvent = null;
    };
  }

  async update(input: LiveUpdateInput): Promise<LiveUpdateResult> {
    this.updates.push(input);
    const rejected = (input.add ?? []).find((registration) => this.rejectPaths.has(registration.path));
    if (rejected !== undefined) {
      throw new TRPCClientError(`${rejected.path} is not a live query`, {
        result: { error: { code: -32600, message: 'x', data: { liveframe: { code: 'UNKNOWN_PROCEDURE' } } } },
      } as never);
    }
    if (input.replace === true) this.registered.clear();
    for (const key of input.remove ?? []) this.registered.delete(key);
    const stale: string[] = [];
    for (const registration of input.add ?? []) {
      this.registered.set(registration.key, registration);
      const since = registration.since === null ? -1 : Number(registration.since.split(':')[1]);
      if (since < this.changedAt) stale.push(registration.key);
    }
    return { position: this.position, stale, frame: this.position };
  }

  emit(data: LiveEventData): void {
    this.position = data.position;
    this.#onEvent?.(data.position, data);
  }

  /** A `live` ack claiming `held` keys (default: what this fake holds), as the server computes it. */
  ack(frame: number, held: readonly string[] = [...this.registered.keys()]): void {
    this.emit({
      type: 'live',
      position: `g1:${frame}`,
      subscriptionId: 's',
      registered: held.length,
      digest: registrationDigest(held),
    });
  }

  invalidate(frame: number, queries: string[], tables: string[] = ['orders']): void {
    this.changedAt = frame;
    this.emit({ type: 'invalidate', position: `g1:${frame}`, queries, tables });
  }

  fail(error: unknown): void {
    this.#onError?.(error);
  }
}
