import { sendRequestsPromptly } from '@liveframe/reactive';
import { QueryClient } from '@tanstack/query-core';
import {
  createTRPCClientProxy,
  createTRPCUntypedClient,
  createWSClient,
  httpBatchLink,
  splitLink,
  type TRPCClient,
  type TRPCLink,
  type TRPCUntypedClient,
  type TRPCWebSocketClient,
  wsLink,
} from '@trpc/client';
import type { AnyTRPCRouter } from '@trpc/server';
import { ConnectionTracker, trackWebSocketClient } from './connection-tracker.ts';
import { FrameClock } from './frame-clock.ts';
import { InvalidationLog } from './invalidation-log.ts';
import type { LiveDelivery } from './live-channel.ts';
import { LiveQueryRegistry } from './live-query-registry.ts';
import { minFrameLink } from './min-frame-link.ts';
import { receivedTransformer } from './received-transformer.ts';
import { DEFAULT_LIVE_PATHS, type LiveProcedurePaths, trpcLiveChannel } from './trpc-live-channel.ts';

export interface LiveClientOptions {
  /** Base URL of the liveframe server (`http(s)://host:port`); defaults to the page's origin. */
  readonly url?: string;
  /**
   * Path of the server's tRPC endpoint (WebSocket and HTTP), as the server mounts it
   * (`createLiveframe({ paths: { trpc } })`); default `/trpc`.
   */
  readonly trpcPath?: string;
  /**
   * Bearer token, read on every (re)connect and HTTP request. Without one the server answers
   * `UNAUTHENTICATED` unless it allows anonymous access.
   */
  readonly token?: () => string | null | undefined;
  /** Bring your own TanStack Query client; a new one with live-friendly defaults otherwise. */
  readonly queryClient?: QueryClient;
  /**
   * `push` (default): changed results arrive with the event and go straight into the cache (one
   * execution per distinct query on the server); `invalidate`: events name the queries to refetch.
   */
  readonly delivery?: LiveDelivery;
  /** Decodes pushed results: the server router's transformer (superjson's `parse` by default). */
  readonly decode?: (data: string) => unknown;
  /** Send queries and mutations as HTTP batches; the live subscription always uses the socket. */
  readonly http?: boolean;
  /** Stable per tab; generated when omitted. */
  readonly subscriptionId?: string;
  /** Reconnect backoff; defaults to 100 ms doubling up to 5 s. */
  readonly retryDelayMs?: (attempt: number) => number;
  /** How many recent invalidations the log keeps. */
  readonly logCapacity?: number;
  readonly livePaths?: LiveProcedurePaths;
  /** Errors of the live machinery (not of your queries); defaults to `console.warn`. */
  readonly onError?: (error: unknown) => void;
}

/**
 * The live machinery of one browser tab, made by {@link createLiveClient}. Framework adapters
 * (`@liveframe/react`) add their query-option factories on top of it.
 */
export interface LiveClient<TRouter extends AnyTRPCRouter> extends AsyncDisposable {
  /** The vanilla tRPC client (`client.orders.create.mutate(...)`). */
  readonly client: TRPCClient<TRouter>;
  readonly queryClient: QueryClient;
  readonly registry: LiveQueryRegistry;
  readonly connection: ConnectionTracker;
  readonly clock: FrameClock;
  readonly log: InvalidationLog;
  readonly wsClient: TRPCWebSocketClient;
  /** The link chain's client; adapters build their typed proxies on it. */
  readonly untypedClient: TRPCUntypedClient<TRouter>;
  /** Closes the socket and stops the live subscription. */
  close(): Promise<void>;
}

/** Default reconnect backoff: fast first retries (a restarted server is back within a second). */
export function defaultRetryDelayMs(attempt: number): number {
  return Math.min(100 * 2 ** attempt, 5_000);
}

/**
 * Creates the one WebSocket, the tRPC client with read-your-writes, the live-query registry and
 * the connection tracker, without any UI framework. React apps use `createLiveClient` of
 * `@liveframe/react`, which adds `trpc` query options.
 *
 * @example
 * import type { AppRouter } from 'my-server';
 * const live = createLiveClient<AppRouter>({ url: 'http://localhost:3000' });
 * const unregister = live.registry.register({ queryKey, path: 'orders.list', input: { page: 1 } });
 * await live.client.orders.create.mutate({ customerId: 1, items: [] });
 */
export function createLiveClient<TRouter extends AnyTRPCRouter>(
  options: LiveClientOptions = {},
): LiveClient<TRouter> {
  const base = new URL(options.url ?? globalThis.location.origin);
  const trpcPath = `/${(options.trpcPath ?? '/trpc').replace(/^\/+|\/+$/g, '')}`;
  const wsUrl = `${base.protocol === 'https:' ? 'wss:' : 'ws:'}//${base.host}${trpcPath}`;
  const onError = options.onError ?? ((error: unknown) => console.warn('[liveframe]', error));
  const queryClient =
    options.queryClient ??
    new QueryClient({
      // Live queries are refreshed by server events, not by timers or window focus.
      defaultOptions: {
        queries: { refetchOnWindowFocus: false, retry: 3, retryDelay: (n) => Math.min(200 * 2 ** n, 3_000) },
      },
    });
  const clock = new FrameClock();
  const log = new InvalidationLog(options.logCapacity ?? 50);
  const connection = new ConnectionTracker();
  const tokenParams = () => {
    const token = options.token?.();
    return token === null || token === undefined ? {} : { token };
  };
  const wsClient = createWSClient({
    url: wsUrl,
    connectionParams: tokenParams,
    retryDelayMs: options.retryDelayMs ?? defaultRetryDelayMs,
    keepAlive: { enabled: true, intervalMs: 5_000, pongTimeoutMs: 2_000 },
  });
  // Refetches leave in the task that asked for them, not after tRPC's batching timer.
  sendRequestsPromptly(wsClient);
  const socket = wsLink<TRouter>({ client: wsClient, transformer: receivedTransformer });
  const terminating: TRPCLink<TRouter> =
    options.http === true
      ? splitLink<TRouter>({
          condition: (op) => op.type === 'subscription',
          true: socket,
          // Typed against any router: a generic TRouter hides whether it declares a transformer.
          false: httpBatchLink<AnyTRPCRouter>({
            url: new URL(trpcPath, base).toString(),
            transformer: receivedTransformer,
            headers: (): Record<string, string> => {
              const token = options.token?.();
              return token === null || token === undefined ? {} : { authorization: `Bearer ${token}` };
            },
          }) as TRPCLink<TRouter>,
        })
      : socket;
  let registry: LiveQueryRegistry | undefined;
  const untyped = createTRPCUntypedClient<TRouter>({
    links: [
      minFrameLink<TRouter>({
        clock,
        ignorePaths: [(options.livePaths ?? DEFAULT_LIVE_PATHS).update],
        onGenerationChanged: () => registry?.refetchAll('generation changed'),
      }),
      terminating,
    ],
  });
  registry = new LiveQueryRegistry({
    queryClient,
    channel: trpcLiveChannel(untyped, options.livePaths ?? DEFAULT_LIVE_PATHS),
    log,
    clock,
    ...(options.subscriptionId === undefined ? {} : { subscriptionId: options.subscriptionId }),
    onAcknowledged: () => connection.dispatch({ type: 'subscription-acknowledged' }),
    onError,
    delivery: options.delivery ?? 'push',
    ...(options.decode === undefined ? {} : { decode: options.decode }),
  });
  const liveRegistry = registry;
  const stopTracking = trackWebSocketClient(wsClient, connection, () => liveRegistry.connectionLost());
  liveRegistry.start();
  const client = createTRPCClientProxy(untyped);
  const close = async () => {
    liveRegistry.close();
    stopTracking();
    connection.dispatch({ type: 'client-closed' });
    await wsClient.close();
  };
  return {
    client,
    untypedClient: untyped,
    queryClient,
    registry: liveRegistry,
    connection,
    clock,
    log,
    wsClient,
    close,
    [Symbol.asyncDispose]: close,
  };
}
