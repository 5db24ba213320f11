import type { SubscriptionEvent } from '@liveframe/reactive';

/**
 * Events of one live subscription, before serialization: reactive's `SubscriptionEvent`.
 * Positions never go backwards within one subscription.
 */
export type HubEvent = SubscriptionEvent;

/**
 * What the client receives as the data of each `tracked(position, data)` event of `live.events`
 * (PROTOCOL.md). Positions are `formatPosition` strings.
 */
export type LiveEventData =
  | {
      readonly type: 'live';
      readonly position: string;
      readonly subscriptionId: string;
      /** How many live queries this server holds for the subscription. */
      readonly registered: number;
      /** `registrationDigest` of their keys: skip re-registering only when it equals the client's. */
      readonly digest: string;
    }
  | {
      readonly type: 'invalidate';
      readonly position: string;
      readonly queries: string[];
      readonly tables: string[];
    }
  | { readonly type: 'refetch-all'; readonly position: string; readonly reason: string }
  | {
      /**
       * Push delivery: current results of changed live queries: the superjson text of the
       * procedure output (`data`), or, for subscriptions that asked for patches, a jsondiffpatch
       * delta (`patch`) of its parsed form against the result last pushed for the key (at `base`).
       * `at` (the position the result was read at) is omitted when it equals `position`.
       */
      readonly type: 'results';
      readonly position: string;
      readonly results: (
        | { readonly key: string; readonly data: string; readonly at?: string }
        | { readonly key: string; readonly patch: unknown; readonly base: string; readonly at?: string }
      )[];
      /** Results too large to push: refetch these keys. */
      readonly invalidate: string[];
    };
