import type { ConnectionState } from '@liveframe/client';
import type { AnyTRPCRouter } from '@trpc/server';
import { useSyncExternalStore } from 'react';
import { useLiveClient } from './live-provider.tsx';

/**
 * The live connection as users should see it: `connecting`, `live`, `reconnecting` or `offline`.
 *
 * @example
 * const state = useConnectionState();
 * return state === 'live' ? null : <Banner>{state}…</Banner>;
 */
export function useConnectionState(): ConnectionState {
  const { connection } = useLiveClient<AnyTRPCRouter>();
  return useSyncExternalStore(connection.subscribe, connection.getState, connection.getState);
}
