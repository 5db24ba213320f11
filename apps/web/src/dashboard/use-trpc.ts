import type { AppRouter } from '@liveframe/demo-server';
import { useLiveClient } from '@liveframe/react';
import type { TRPCOptionsProxy } from '@trpc/tanstack-react-query';

/** The dashboard's typed query/mutation option factories. */
export function useTRPC(): TRPCOptionsProxy<AppRouter> {
  return useLiveClient<AppRouter>().trpc;
}
