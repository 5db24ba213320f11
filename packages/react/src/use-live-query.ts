import type { TRPCPathInfo } from '@liveframe/client';
import {
  type DefaultError,
  type QueryKey,
  type UseQueryOptions,
  type UseQueryResult,
  useQuery,
} from '@tanstack/react-query';
import type { AnyTRPCRouter } from '@trpc/server';
import { useLiveClient } from './live-provider.tsx';
import { liveQueryOptions, useLiveRegistration } from './use-live-registration.ts';

/**
 * An ordinary react-query query that the server keeps fresh: while mounted it is registered with
 * the live subscription, and a change to anything it read refetches exactly this query (unless
 * its data already includes that change). Accepts everything `useQuery` does, `select` included.
 *
 * @example
 * const { trpc } = useLiveClient<AppRouter>();
 * const orders = useLiveQuery(trpc.orders.list.queryOptions({ page: 1 }));
 * const count = useLiveQuery({ ...trpc.orders.list.queryOptions({ page: 1 }), select: (d) => d.total });
 */
export function useLiveQuery<
  TQueryFnData = unknown,
  TError = DefaultError,
  TData = TQueryFnData,
  TQueryKey extends QueryKey = QueryKey,
>(
  options: UseQueryOptions<TQueryFnData, TError, TData, TQueryKey> & TRPCPathInfo,
): UseQueryResult<TData, TError> {
  const live = useLiveClient<AnyTRPCRouter>();
  const liveOptions = liveQueryOptions(live, options);
  useLiveRegistration(live, options);
  return useQuery(liveOptions);
}
