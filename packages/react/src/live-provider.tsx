import { QueryClientProvider } from '@tanstack/react-query';
import type { AnyTRPCRouter } from '@trpc/server';
import { createContext, type ReactNode, useContext } from 'react';
import type { ReactLiveClient } from './create-live-client.ts';

const LiveClientContext = createContext<ReactLiveClient<AnyTRPCRouter> | null>(null);

/**
 * Makes a live client (and its react-query client) available to the hooks below it.
 *
 * @example
 * const live = createLiveClient<AppRouter>();
 * createRoot(el).render(<LiveProvider client={live}><Dashboard /></LiveProvider>);
 */
export function LiveProvider<TRouter extends AnyTRPCRouter>(props: {
  client: ReactLiveClient<TRouter>;
  children: ReactNode;
}): ReactNode {
  return (
    <LiveClientContext.Provider value={props.client as unknown as ReactLiveClient<AnyTRPCRouter>}>
      <QueryClientProvider client={props.client.queryClient}>{props.children}</QueryClientProvider>
    </LiveClientContext.Provider>
  );
}

/**
 * The live client of the nearest `<LiveProvider>`; `useLiveClient<AppRouter>().trpc` gives typed
 * query options.
 *
 * @example const { trpc } = useLiveClient<AppRouter>();
 */
export function useLiveClient<TRouter extends AnyTRPCRouter>(): ReactLiveClient<TRouter> {
  const client = useContext(LiveClientContext);
  if (client === null) throw new Error('useLiveClient: wrap your app in <LiveProvider client={...}>');
  return client as unknown as ReactLiveClient<TRouter>;
}
