import {
  createLiveClient as createFrameworkFreeLiveClient,
  type LiveClient,
  type LiveClientOptions,
} from '@liveframe/client';
import type { AnyTRPCRouter } from '@trpc/server';
import { createTRPCOptionsProxy, type TRPCOptionsProxy } from '@trpc/tanstack-react-query';

/** A {@link LiveClient} with typed react-query option factories, made by {@link createLiveClient}. */
export interface ReactLiveClient<TRouter extends AnyTRPCRouter> extends LiveClient<TRouter> {
  /** `trpc.x.y.queryOptions(input)` / `mutationOptions()` factories for react-query. */
  readonly trpc: TRPCOptionsProxy<TRouter>;
}

/**
 * Creates the one WebSocket, the tRPC client with read-your-writes, the live-query registry, the
 * connection tracker and the `trpc` query-option factories. Pass it to `<LiveProvider>`. Made
 * outside React (not in a component) so StrictMode's double renders do not open two sockets.
 *
 * @example
 * import type { AppRouter } from 'my-server';
 * const live = createLiveClient<AppRouter>({ url: 'http://localhost:3000' });
 * root.render(<LiveProvider client={live}><App /></LiveProvider>);
 */
export function createLiveClient<TRouter extends AnyTRPCRouter>(
  options: LiveClientOptions = {},
): ReactLiveClient<TRouter> {
  const live = createFrameworkFreeLiveClient<TRouter>(options);
  // Options built on the live client's own link chain, so queries from `trpc` carry `minFrame`.
  const trpc = createTRPCOptionsProxy<TRouter>({ client: live.untypedClient, queryClient: live.queryClient });
  return { ...live, trpc };
}
