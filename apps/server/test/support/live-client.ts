import { sendRequestsPromptly } from '@liveframe/reactive';
import type { LiveEventData } from '@liveframe/server';
import { createTRPCClient, createWSClient, httpLink, wsLink } from '@trpc/client';
import superjson from 'superjson';
import { WebSocket } from 'ws';
import type { AppRouter } from '../../src/index.ts';

const arrivals = new WeakMap<object, number>();

/** When an event object reached its queue (`performance.now()`), for benchmarks timing delivery itself. */
export function arrivedAt(event: object): number | undefined {
  return arrivals.get(event);
}

/** An async queue of events with deadline-bounded waits (no sleeps as synchronisation). */
export class EventQueue<T> {
  readonly #items: T[] = [];
  #wake: (() => void) | undefined;

  push(item: T): void {
    if (typeof item === 'object' && item !== null) arrivals.set(item, performance.now());
    this.#items.push(item);
    this.#wake?.();
  }

  get size(): number {
    return this.#items.length;
  }

  /** The next event; rejects when none arrives before the deadline. */
  async next(deadlineMs = 10_000): Promise<T> {
    const end = Date.now() + deadlineMs;
    for (;;) {
      const item = this.#items.shift();
      if (item !== undefined) return item;
      const left = end - Date.now();
      if (left <= 0) throw new Error(`no event within ${deadlineMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  /** Skips events until one satisfies `predicate`. */
  async until(predicate: (item: T) => boolean, deadlineMs = 10_000): Promise<T> {
    const end = Date.now() + deadlineMs;
    for (;;) {
      const item = await this.next(Math.max(1, end - Date.now()));
      if (predicate(item)) return item;
    }
  }
}

export interface LiveClient extends AsyncDisposable {
  readonly trpc: ReturnType<typeof createTRPCClient<AppRouter>>;
  readonly events: EventQueue<{ id: string; data: LiveEventData }>;
  readonly subscriptionId: string;
  /** Subscribes (again) with an optional lastEventId, in invalidate (default) or push delivery. */
  subscribe(lastEventId?: string, delivery?: 'invalidate' | 'push', options?: { patches?: boolean }): void;
  unsubscribe(): void;
  close(): Promise<void>;
}

let counter = 0;

/**
 * A real WebSocket tRPC client (the `ws` package) for tests, with one live subscription whose
 * events land in `events`.
 */
export function connectLiveClient(
  wsUrl: string,
  options: {
    token?: string;
    subscriptionId?: string;
    retryDelayMs?: number;
    /** Keep tRPC's batching timer in front of each request (benchmark baselines). */
    stockBatching?: boolean;
  } = {},
): LiveClient {
  const wsClient = createWSClient({
    url: wsUrl,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    connectionParams: options.token === undefined ? null : { token: options.token },
    retryDelayMs: () => options.retryDelayMs ?? 50,
  });
  // As the web client does: without it every request waits ≥1 ms for tRPC's batching timer.
  if (options.stockBatching !== true) sendRequestsPromptly(wsClient);
  const trpc = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient, transformer: superjson })] });
  const subscriptionId = options.subscriptionId ?? `test-sub-${process.pid}-${++counter}-${Date.now()}`;
  const events = new EventQueue<{ id: string; data: LiveEventData }>();
  let active: { unsubscribe(): void } | undefined;
  const client: LiveClient = {
    trpc,
    events,
    subscriptionId,
    subscribe(lastEventId, delivery, subscribeOptions) {
      active?.unsubscribe();
      active = trpc.live.events.subscribe(
        {
          subscriptionId,
          ...(lastEventId === undefined ? {} : { lastEventId }),
          ...(delivery === undefined ? {} : { delivery }),
          ...(subscribeOptions?.patches === true ? { patches: true } : {}),
        },
        { onData: (event) => events.push(event as { id: string; data: LiveEventData }) },
      );
    },
    unsubscribe() {
      active?.unsubscribe();
      active = undefined;
    },
    async close() {
      active?.unsubscribe();
      await wsClient.close();
    },
    [Symbol.asyncDispose]() {
      return client.close();
    },
  };
  return client;
}

/** A plain HTTP tRPC client. */
export function httpClient(url: string, headers: Record<string, string> = {}) {
  return createTRPCClient<AppRouter>({
    links: [httpLink({ url: `${url}/trpc`, transformer: superjson, headers })],
  });
}

type LiveUpdateInput = Parameters<LiveClient['trpc']['live']['update']['mutate']>[0];
/** A live query to register, without its `since` (set to the subscription's ack position). */
export type LiveQueryRegistration = Omit<NonNullable<LiveUpdateInput['add']>[number], 'since'>;

/**
 * Subscribes `client`, waits for the ack event and registers `queries` since its position.
 * Returns the ack and the registration result.
 */
export async function subscribeWithQueries(client: LiveClient, queries: LiveQueryRegistration[]) {
  client.subscribe();
  const ack = await client.events.next();
  const registration = await client.trpc.live.update.mutate({
    subscriptionId: client.subscriptionId,
    add: queries.map((query) => ({ ...query, since: ack.id })),
  });
  return { ack, registration };
}
