/**
 * liveframe's framework-free client: one tRPC WebSocket per tab carrying the live subscription,
 * read-your-writes by frame, a live-query registry that refetches exactly the affected TanStack
 * Query entries, and the connection state users should see. `@liveframe/react` is the React
 * adapter on top of it.
 *
 * @example
 * import { createLiveClient } from '@liveframe/client';
 * import type { AppRouter } from 'my-server';
 * const live = createLiveClient<AppRouter>({ url: 'http://localhost:3000' });
 */
export type { ConnectionEvent, ConnectionSnapshot, ConnectionState } from './connection-state.ts';
export { INITIAL_CONNECTION, nextConnectionState } from './connection-state.ts';
export { ConnectionTracker, trackWebSocketClient } from './connection-tracker.ts';
export {
  createLiveClient,
  defaultRetryDelayMs,
  type LiveClient,
  type LiveClientOptions,
} from './create-live-client.ts';
export { FrameClock } from './frame-clock.ts';
export {
  type FramePosition,
  formatFramePosition,
  isAtOrPast,
  laterPosition,
  parseFramePosition,
} from './frame-position.ts';
export { InvalidationLog, type InvalidationRecord } from './invalidation-log.ts';
export type {
  LiveChannel,
  LiveDelivery,
  LiveEventData,
  LiveRegistration,
  LiveUpdateInput,
  LiveUpdateResult,
} from './live-channel.ts';
export {
  inputOfQueryKey,
  type LiveQueryOptionsLike,
  type TRPCPathInfo,
  withLiveFetch,
} from './live-query-options.ts';
export {
  type LiveFetch,
  type LiveQueryRegistration,
  LiveQueryRegistry,
  type LiveQueryRegistryOptions,
  type LiveRegistryStatus,
} from './live-query-registry.ts';
export { liveframeCodeOf, type MinFrameEnvelope, minFrameLink } from './min-frame-link.ts';
export { type OptimisticHandlers, optimisticUpdate } from './optimistic-update.ts';
export { PushedResults, type PushedWireResult } from './pushed-results.ts';
export { receivedTransformer } from './received-transformer.ts';
export { newSubscriptionId } from './subscription-id.ts';
export { DEFAULT_LIVE_PATHS, type LiveProcedurePaths, trpcLiveChannel } from './trpc-live-channel.ts';
export { WireKeys } from './wire-keys.ts';
