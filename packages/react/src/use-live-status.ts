import type { LiveRegistryStatus } from '@liveframe/client';
import type { AnyTRPCRouter } from '@trpc/server';
import { useSyncExternalStore } from 'react';
import { useLiveClient } from './live-provider.tsx';

/**
 * The live subscription's position (current frame) and how many live queries are mounted.
 *
 * @example const { position, liveQueries } = useLiveStatus();
 */
export function useLiveStatus(): LiveRegistryStatus {
  const { registry } = useLiveClient<AnyTRPCRouter>();
  return useSyncExternalStore(registry.subscribe, registry.getStatus, registry.getStatus);
}
