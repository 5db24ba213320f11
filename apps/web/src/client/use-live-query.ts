import {
  type DefaultError,
  hashKey,
  type QueryKey,
  type UseQueryOptions,
  type UseQueryResult,
  type UseSuspenseQueryOptions,
  type UseSuspenseQueryResult,
  useQuery,
  useSuspenseQuery,
} from '@tanstack/react-query';
import type { AnyTRPCRouter } from '@trpc/server';
import { useEffect, useMemo } from 'react';
import type { LiveClient } from './create-live-client.ts';
import { useLiveClient } from './live-provider.tsx';
import { inputOfQueryKey, type TRPCPathInfo, withLiveFetch } from './live-query-options.ts';

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
  const liveOptions = useLiveOptions(live, options);
  useLiveRegistration(live, options);
  return useQuery(liveOptions);
}

/**
 * {@link useLiveQuery} for Suspense: suspends until the first data, then stays live.
 *
 * @example const { data } = useSuspenseLiveQuery(trpc.kpis.summary.queryOptions());
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
  const liveOptions = useLiveOptions(live, options);
  useLiveRegistration(live, options);
  return useSuspenseQuery(liveOptions);
}

function useLiveOptions<TOptions extends { queryKey: QueryKey; staleTime?: unknown } & TRPCPathInfo>(
  live: LiveClient<AnyTRPCRouter>,
  options: TOptions,
): TOptions {
  // Fresh until the server says otherwise: no refetch on mount, focus or timers.
  const withDefaults = { staleTime: Number.POSITIVE_INFINITY, ...options };
  return withLiveFetch(withDefaults as TOptions & { queryFn?: never }, live.registry) as TOptions;
}

function useLiveRegistration(
  live: LiveClient<AnyTRPCRouter>,
  options: { queryKey: QueryKey } & TRPCPathInfo,
) {
  const hash = hashKey(options.queryKey);
  const path = options.trpc.path;
  // The key's hash is the identity: a new options object for the same query keeps its registration.
  // biome-ignore lint/correctness/useExhaustiveDependencies: registration follows the key hash only
  const registration = useMemo(
    () => ({ queryKey: options.queryKey, path, input: inputOfQueryKey(options.queryKey) }),
    [hash, path],
  );
  useEffect(() => live.registry.register(registration), [live, registration]);
}
