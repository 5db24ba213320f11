import { type QueryFunction, type QueryKey, skipToken } from '@tanstack/query-core';
import type { LiveQueryRegistry } from './live-query-registry.ts';

/** What `trpc.x.y.queryOptions(input)` adds to react-query options: the procedure path. */
export interface TRPCPathInfo {
  readonly trpc: { readonly path: string };
}

/** The minimum of react-query options a live query needs. */
export interface LiveQueryOptionsLike<TQueryFnData, TQueryKey extends QueryKey> extends TRPCPathInfo {
  readonly queryKey: TQueryKey;
  readonly queryFn?: QueryFunction<TQueryFnData, TQueryKey> | typeof skipToken;
}

/**
 * The procedure input inside a tRPC query key (`[path[], { input, type }]`); undefined when the
 * procedure takes none.
 *
 * @example inputOfQueryKey([['orders', 'list'], { input: { page: 2 }, type: 'query' }]) // { page: 2 }
 */
export function inputOfQueryKey(queryKey: QueryKey): unknown {
  const meta = queryKey[1];
  if (typeof meta !== 'object' || meta === null || !('input' in meta)) return undefined;
  return meta.input;
}

/**
 * Wraps the query function so every fetch reports to the registry which frame its data is at
 * least at: the basis for skipping refetches of data that already includes an event's frame.
 *
 * @example useQuery(withLiveFetch(trpc.orders.list.queryOptions({ page: 1 }), registry))
 */
export function withLiveFetch<
  TQueryFnData,
  TQueryKey extends QueryKey,
  TOptions extends LiveQueryOptionsLike<TQueryFnData, TQueryKey>,
>(options: TOptions, registry: LiveQueryRegistry): TOptions {
  const queryFn = options.queryFn;
  if (queryFn === undefined || queryFn === skipToken) return options;
  const liveQueryFn: QueryFunction<TQueryFnData, TQueryKey> = async (context) => {
    // Synchronous once the subscription is acknowledged: the request then leaves in this task.
    const started = registry.beginFetch(context.queryKey);
    const fetch = started instanceof Promise ? await started : started;
    let succeeded = false;
    try {
      const data = await queryFn(context);
      succeeded = true;
      return data;
    } finally {
      registry.completeFetch(context.queryKey, fetch, succeeded);
    }
  };
  return { ...options, queryFn: liveQueryFn };
}
