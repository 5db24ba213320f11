import type { TRPCPathInfo } from '@liveframe/client';
import {
  type DefaultError,
  type QueryKey,
  type UseSuspenseQueryOptions,
  type UseSuspenseQueryResult,
  useSuspenseQuery,
} from '@tanstack/react-query';
import type { AnyTRPCRouter } from '@trpc/server';
import { useLiveClient } from './live-provider.tsx';
import { liveQueryOptions, useLiveRegistration } from './use-live-registration.ts';

/**
 * {@link useLiveQuery} for Suspense: suspends until the first data, then stays live. The first
 * fetch runs before the component mounts (so before it is registered); the registry still
 * records which frame that data is at, so the registration that follows needs no refetch.
 *
 * @example const { data } = useSuspenseLiveQuery(trpc.dashboard.kpis.queryOptions());
 */
export function useSuspenseLiveQuery<
  TQueryFnData = unknown,
  TError = DefaultError,
  TData = TQueryFnData,
  TQueryKey extends QueryKey = QueryKey,
>(
  options: UseSuspenseQueryOptions<TQueryFnData, TError, TData, TQueryKey> & TRPCPathInfo,
): UseSuspenseQueryResult<TData, TError> {
  const live = useLiveClient<AnyTRPCRouter>();
  const liveOptions = liveQueryOptions(live, options);
  useLiveRegistration(live, options);
  return useSuspenseQuery(liveOptions);
}
