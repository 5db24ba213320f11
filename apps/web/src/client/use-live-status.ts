import type { AnyTRPCRouter } from '@trpc/server';
import { useSyncExternalStore } from 'react';
import type { InvalidationRecord } from './invalidation-log.ts';
import { useLiveClient } from './live-provider.tsx';
import type { LiveRegistryStatus } from './live-query-registry.ts';

/**
 * The live subscription's position (current frame) and how many live queries are mounted.
 *
 * @example const { position, liveQueries } = useLiveStatus();
 */
export function useLiveStatus(): LiveRegistryStatus {
  const { registry } = useLiveClient<AnyTRPCRouter>();
  return useSyncExternalStore(registry.subscribe, registry.getStatus, registry.getStatus);
}

/**
 * Recent invalidations, newest first: what changed, which queries refetched, how long it took.
 *
 * @example const [latest] = useInvalidationLog();
 */
export function useInvalidationLog(): readonly InvalidationRecord[] {
  const { log } = useLiveClient<AnyTRPCRouter>();
  return useSyncExternalStore(log.subscribe, log.getSnapshot, log.getSnapshot);
}
