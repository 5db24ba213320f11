import type { PushedWireResult } from './pushed-results.ts';

/**
 * What `live.events` sends as the data of each tracked event (apps/server/PROTOCOL.md).
 * Positions are `"<generation>:<frame>"` strings; they never go backwards in one subscription.
 */
export type LiveEventData =
  /** The acknowledgement: every change after `position` will be delivered. */
  | {
      readonly type: 'live';
      readonly position: string;
      readonly subscriptionId: string;
      /** How many live queries the server holds for this subscription. */
      readonly registered: number;
      /** `registrationDigest` of their keys (older servers: absent, the count alone decides). */
      readonly digest?: string;
    }
  /** Refetch exactly `queries` (our keys); `tables` says what changed, for display. */
  | {
      readonly type: 'invalidate';
      readonly position: string;
      readonly queries: readonly string[];
      readonly tables: readonly string[];
    }
  /** Continuity was lost (generation change, unknown resume point, slow socket): refetch all. */
  | { readonly type: 'refetch-all'; readonly position: string; readonly reason: string }
  /**
   * Push delivery: the new results of changed live queries (`data`: the procedure's output as
   * superjson text, or with `patches` a `patch` against the result last pushed for the key, at
   * `base`; `at`: the position it was read at, omitted when it is the event's); `invalidate`:
   * results too large to push.
   */
  | {
      readonly type: 'results';
      readonly position: string;
      readonly results: readonly PushedWireResult[];
      readonly invalidate: readonly string[];
    };

/** How the server tells this client about changes: refetch instructions, or the new results. */
export type LiveDelivery = 'invalidate' | 'push';

/** One live query as `live.update` registers it. */
export interface LiveRegistration {
  readonly key: string;
  readonly path: string;
  readonly input?: unknown;
  /** The position we had when this query's data was fetched; null means "always stale". */
  readonly since: string | null;
}

export interface LiveUpdateInput {
  readonly subscriptionId: string;
  readonly add?: readonly LiveRegistration[];
  readonly remove?: readonly string[];
  readonly replace?: boolean;
}

export interface LiveUpdateResult {
  readonly position: string;
  /** Added keys whose data may have missed a change: refetch them once. */
  readonly stale: readonly string[];
  readonly frame: string;
}

/**
 * The two server procedures behind live queries, as the registry needs them. The tRPC
 * implementation runs both over the one WebSocket; unit tests use an in-memory fake.
 *
 * @example
 * const stop = channel.subscribe(subscriptionId, { onEvent, onError });
 * await channel.update({ subscriptionId, add: [{ key, path: 'orders.list', input, since: null }] });
 */
export interface LiveChannel {
  subscribe(
    subscriptionId: string,
    handlers: {
      readonly onEvent: (id: string | undefined, data: LiveEventData) => void;
      readonly onError: (error: unknown) => void;
    },
    options?: { readonly delivery?: LiveDelivery; readonly patches?: boolean },
  ): () => void;
  update(input: LiveUpdateInput): Promise<LiveUpdateResult>;
}
