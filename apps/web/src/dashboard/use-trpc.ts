import type { AppRouter } from '@liveframe/server';
import type { TRPCOptionsProxy } from '@trpc/tanstack-react-query';
import { useLiveClient } from '../client/index.ts';

/** The dashboard's typed query/mutation option factories. */
export function useTRPC(): TRPCOptionsProxy<AppRouter> {
  return useLiveClient<AppRouter>().trpc;
}
