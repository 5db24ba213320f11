/**
 * liveframe's React client: live queries on tRPC + TanStack Query, one multiplexed WebSocket,
 * read-your-writes by frame, connection state, and optimistic updates.
 *
 * @example
 * import type { AppRouter } from '@liveframe/server';
 * import { createLiveClient, LiveProvider, useLiveClient, useLiveQuery } from '@liveframe/web/client';
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
  LiveEventData,
  LiveRegistration,
  LiveUpdateInput,
  LiveUpdateResult,
} from './live-channel.ts';
export { LiveProvider, useLiveClient } from './live-provider.tsx';
export { inputOfQueryKey, type TRPCPathInfo, withLiveFetch } from './live-query-options.ts';
export {
  type LiveFetch,
  type LiveQueryRegistration,
  LiveQueryRegistry,
  type LiveQueryRegistryOptions,
  type LiveRegistryStatus,
} from './live-query-registry.ts';
export { liveframeCodeOf, type MinFrameEnvelope, minFrameLink } from './min-frame-link.ts';
export { type OptimisticHandlers, optimisticUpdate } from './optimistic-update.ts';
export { DEFAULT_LIVE_PATHS, type LiveProcedurePaths, trpcLiveChannel } from './trpc-live-channel.ts';
export { useConnectionState } from './use-connection-state.ts';
export { useLiveQuery, useSuspenseLiveQuery } from './use-live-query.ts';
export { useInvalidationLog, useLiveStatus } from './use-live-status.ts';
