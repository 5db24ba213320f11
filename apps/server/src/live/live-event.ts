import type { FramePosition } from '../db/database-contract.ts';

/**
 * Events of one live subscription, before serialization (reactive's `SubscriptionEvent`).
 * Positions never go backwards within one subscription.
 */
export type HubEvent =
  | { readonly type: 'live'; readonly position: FramePosition }
  | {
      readonly type: 'invalidate';
      readonly position: FramePosition;
      readonly queries: readonly string[];
      readonly tables: readonly string[];
    }
  | { readonly type: 'refetch-all'; readonly position: FramePosition; readonly reason: string };

/**
 * What the client receives as the data of each `tracked(position, data)` event of `live.events`
 * (PROTOCOL.md). Positions are `formatPosition` strings.
 */
export type LiveEventData =
  | {
      readonly type: 'live';
      readonly position: string;
      readonly subscriptionId: string;
      readonly registered: number;
    }
  | {
      readonly type: 'invalidate';
      readonly position: string;
      readonly queries: string[];
      readonly tables: string[];
    }
  | { readonly type: 'refetch-all'; readonly position: string; readonly reason: string };
