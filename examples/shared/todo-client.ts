import { sendRequestsPromptly } from '@liveframe/reactive';
import type { LiveEventData } from '@liveframe/server';
import { createTRPCClient, createWSClient, type TRPCClient, wsLink } from '@trpc/client';
import type { AnyRouter } from '@trpc/server';
import superjson from 'superjson';
import { WebSocket } from 'ws';

/**
 * A signed-in Node client of a todo example: a typed tRPC client over one WebSocket and its live
 * subscription (invalidate delivery, PROTOCOL.md), with deadline-bounded waits for events.
 */
export interface TodoClient<TRouter extends AnyRouter> extends AsyncDisposable {
  readonly trpc: TRPCClient<TRouter>;
  /** Subscribes, waits for the ack and registers live queries (key -> procedure path, or path and input). */
  watch(queries: Record<string, string | { path: string; input: unknown }>): Promise<void>;
  /** The next live event (rejects after the deadline instead of hanging). */
  next(deadlineMs?: number): Promise<{ id: string; data: LiveEventData }>;
}

let clients = 0;

export function connectTodoClient<TRouter extends AnyRouter>(
  wsUrl: string,
  token: string,
): TodoClient<TRouter> {
  const wsClient = createWSClient({
    url: wsUrl,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    connectionParams: { token },
  });
  sendRequestsPromptly(wsClient); // no batching timer in front of each request
  const trpc = createTRPCClient<TRouter>({ links: [wsLink({ client: wsClient, transformer: superjson })] });
  // The live protocol's procedures, which every liveframe router mounts at `live`.
  const live = (trpc as unknown as { live: LiveProcedures }).live;
  const subscriptionId = `todo-example-${process.pid}-${++clients}`;
  const queue: { id: string; data: LiveEventData }[] = [];
  let wake: (() => void) | undefined;
  let subscription: { unsubscribe(): void } | undefined;
  const next = async (deadlineMs = 10_000) => {
    const end = Date.now() + deadlineMs;
    for (;;) {
      const event = queue.shift();
      if (event !== undefined) return event;
      const left = end - Date.now();
      if (left <= 0) throw new Error(`no live event within ${deadlineMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  };
  return {
    trpc,
    next,
    async watch(queries) {
      subscription = live.events.subscribe(
        { subscriptionId },
        {
          onData: (event) => {
            queue.push(event);
            wake?.();
          },
        },
      );
      const ack = await next();
      await live.update.mutate({
        subscriptionId,
        add: Object.entries(queries).map(([key, query]) =>
          typeof query === 'string' ? { key, path: query, since: ack.id } : { key, ...query, since: ack.id },
        ),
      });
    },
    async [Symbol.asyncDispose]() {
      subscription?.unsubscribe();
      await wsClient.close();
    },
  };
}

interface LiveProcedures {
  events: {
    subscribe(
      input: { subscriptionId: string },
      handlers: { onData(event: { id: string; data: LiveEventData }): void },
    ): { unsubscribe(): void };
  };
  update: {
    mutate(input: {
      subscriptionId: string;
      add: { key: string; path: string; input?: unknown; since: string }[];
    }): Promise<{ stale: string[] }>;
  };
}
