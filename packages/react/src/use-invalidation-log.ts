import type { InvalidationRecord } from '@liveframe/client';
import type { AnyTRPCRouter } from '@trpc/server';
import { useSyncExternalStore } from 'react';
import { useLiveClient } from './live-provider.tsx';

/**
 * Recent invalidations, newest first: what changed, which queries refetched, how long it took.
 * For devtools panels; the totals are on `useLiveClient().log.totals`.
 *
 * @example const [latest] = useInvalidationLog();
 */
export function useInvalidationLog(): readonly InvalidationRecord[] {
  const { log } = useLiveClient<AnyTRPCRouter>();
  return useSyncExternalStore(log.subscribe, log.getSnapshot, log.getSnapshot);
}
