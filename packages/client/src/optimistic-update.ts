import type { QueryClient, QueryKey } from '@tanstack/query-core';

/** Mutation callbacks for react-query's `useMutation`, made by {@link optimisticUpdate}. */
export interface OptimisticHandlers<TVariables> {
  onMutate: (variables: TVariables) => Promise<{ rollback: () => void }>;
  onError: (error: unknown, variables: TVariables, context: { rollback: () => void } | undefined) => void;
  onSuccess: () => Promise<void>;
}

/**
 * Optimistic updates that roll back on error: applies `update` to every cached query matching
 * `queryKey` before the mutation is sent, and restores the previous data if it fails. On success
 * the same queries are refetched at once: the read carries the write's frame as `minFrame`, so
 * it shows the real rows without waiting for the server's event, and that event is then
 * skipped for them (their data is already at its frame).
 *
 * @example
 * const create = useMutation({
 *   ...trpc.orders.create.mutationOptions(),
 *   ...optimisticUpdate(queryClient, trpc.orders.list.queryKey(), (old, input) => prepend(old, input)),
 * });
 */
export function optimisticUpdate<TData, TVariables>(
  queryClient: QueryClient,
  queryKey: QueryKey,
  update: (data: TData, variables: TVariables) => TData,
): OptimisticHandlers<TVariables> {
  return {
    async onMutate(variables) {
      // A refetch landing now would overwrite the optimistic data with pre-write data.
      await queryClient.cancelQueries({ queryKey });
      const previous = queryClient.getQueriesData<TData>({ queryKey });
      for (const [key, data] of previous) {
        if (data !== undefined) queryClient.setQueryData<TData>(key, update(data, variables));
      }
      return {
        rollback: () => {
          for (const [key, data] of previous) queryClient.setQueryData(key, data);
        },
      };
    },
    onError(_error, _variables, context) {
      context?.rollback();
    },
    async onSuccess() {
      await queryClient.invalidateQueries({ queryKey }, { cancelRefetch: false });
    },
  };
}
