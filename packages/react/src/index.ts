/**
 * liveframe for React: live queries on tRPC + TanStack Query over one multiplexed WebSocket,
 * read-your-writes by frame, connection state and optimistic updates. Re-exports what a React app
 * needs from `@liveframe/client`, so it imports from here only.
 *
 * @example
 * import { createLiveClient, LiveProvider, useLiveClient, useLiveQuery } from '@liveframe/react';
 * import type { AppRouter } from 'my-server';
 * const live = createLiveClient<AppRouter>();
 * createRoot(el).render(<LiveProvider client={live}><App /></LiveProvider>);
 */
export {
  type ConnectionState,
  DEFAULT_LIVE_PATHS,
  defaultRetryDelayMs,
  type FramePosition,
  type InvalidationRecord,
  inputOfQueryKey,
  type LiveClient,
  type LiveClientOptions,
  type LiveProcedurePaths,
  type LiveRegistryStatus,
  liveframeCodeOf,
  type OptimisticHandlers,
  optimisticUpdate,
  type TRPCPathInfo,
  withLiveFetch,
} from '@liveframe/client';
export { createLiveClient, type ReactLiveClient } from './create-live-client.ts';
export { LiveProvider, useLiveClient } from './live-provider.tsx';
export { useConnectionState } from './use-connection-state.ts';
export { useInvalidationLog } from './use-invalidation-log.ts';
export { useLiveQuery } from './use-live-query.ts';
export { useLiveStatus } from './use-live-status.ts';
export { useSuspenseLiveQuery } from './use-suspense-live-query.ts';
