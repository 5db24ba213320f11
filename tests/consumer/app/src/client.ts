// A real client of the consumer app: subscribes to live.events, registers a live query with
// live.update, adds a todo over HTTP and waits for the invalidation of that query.
// Usage: node dist/client.js <port>. Prints one JSON line with what it saw; exit 0 on success.
import { createTRPCClient, createWSClient, httpLink, wsLink } from '@trpc/client';
import superjson from 'superjson';
import { WebSocket } from 'ws';
import type { AppRouter } from './router.js';

type LiveEvent =
  | { type: 'live'; position: string; subscriptionId: string }
  | { type: 'invalidate'; position: string; queries: string[]; tables: string[] }
  | { type: 'refetch-all'; position: string; reason: string };

const port = Number(process.argv[2]);
const base = `127.0.0.1:${port}`;
const DEADLINE_MS = 10_000;

const wsClient = createWSClient({
  url: `ws://${base}/trpc`,
  WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
  connectionParams: { token: 'token-ada' },
});
const ws = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient, transformer: superjson })] });
const http = createTRPCClient<AppRouter>({
  links: [
    httpLink({
      url: `http://${base}/trpc`,
      transformer: superjson,
      headers: { authorization: 'Bearer token-ada' },
    }),
  ],
});

const events: LiveEvent[] = [];
const waiters = new Set<() => void>();

/** The next event matching `predicate`, or an error once the deadline passed. */
function waitFor(predicate: (event: LiveEvent) => boolean, what: string): Promise<LiveEvent> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const index = events.findIndex(predicate);
      if (index === -1) return false;
      const [event] = events.splice(index, 1);
      clearTimeout(timer);
      waiters.delete(onEvent);
      resolve(event!);
      return true;
    };
    const onEvent = (): void => void check();
    const timer = setTimeout(() => {
      waiters.delete(onEvent);
      reject(new Error(`no ${what} within ${DEADLINE_MS} ms; seen: ${JSON.stringify(events)}`));
    }, DEADLINE_MS);
    if (!check()) waiters.add(onEvent);
  });
}

const subscriptionId = 'consumer-app-subscription';
const subscription = ws.live.events.subscribe(
  { subscriptionId },
  {
    onData: (envelope) => {
      events.push((envelope as { data: LiveEvent }).data);
      for (const wake of [...waiters]) wake();
    },
  },
);

try {
  const ack = await waitFor((event) => event.type === 'live', 'live acknowledgement');
  await ws.live.update.mutate({
    subscriptionId,
    add: [
      { key: 'todos', path: 'todos.list', since: ack.position },
      { key: 'todos-orm', path: 'todos.listOrm', since: ack.position },
    ],
  });
  const added = await http.todos.add.mutate({ title: 'ship the packages' });
  const invalidate = await waitFor(
    (event) => event.type === 'invalidate' && event.queries.includes('todos'),
    'invalidation of todos',
  );
  const todos = await ws.todos.list.query();
  const todosOrm = await ws.todos.listOrm.query();
  console.log(JSON.stringify({ ack, added, invalidate, todos, todosOrm }));
} finally {
  subscription.unsubscribe();
  await wsClient.close();
}
