import { inputOfQueryKey, type LiveClient, type TRPCPathInfo, withLiveFetch } from '@liveframe/client';
import { hashKey, type QueryKey } from '@tanstack/react-query';
import type { AnyTRPCRouter } from '@trpc/server';
import { useEffect, useMemo } from 'react';

/**
 * The options every live hook hands to react-query: fetches report their frame to the registry,
 * and data stays fresh until the server says otherwise (no refetch on mount, focus or timers).
 */
export function liveQueryOptions<TOptions extends { queryKey: QueryKey; staleTime?: unknown } & TRPCPathInfo>(
  live: LiveClient<AnyTRPCRouter>,
  options: TOptions,
): TOptions {
  const withDefaults = { staleTime: Number.POSITIVE_INFINITY, ...options };
  return withLiveFetch(withDefaults as TOptions & { queryFn?: never }, live.registry) as TOptions;
}

/** Registers the query with the live subscription while the calling component is mounted. */
export function useLiveRegistration(
  live: LiveClient<AnyTRPCRouter>,
  options: { queryKey: QueryKey } & TRPCPathInfo,
): void {
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
