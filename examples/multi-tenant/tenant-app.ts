import { type AppRouter, createDemoServer, seedDemoData } from '@liveframe/demo-server';
import { sendRequestsPromptly } from '@liveframe/reactive';
import { type LiveEventData, type LiveframeServer, signToken, tablePermissions } from '@liveframe/server';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import superjson from 'superjson';
import { WebSocket } from 'ws';

/**
 * Multi-tenant liveframe on the server library: every row carries `tenant_id`, every procedure
 * filters by the caller's tenant (row level), roles decide which tables may be read at all
 * (table level, enforced under every statement through its engine-derived read-set), and the
 * live events a client receives name only tables its role may read and never carry row data.
 */
export const AUTH_SECRET = 'multi-tenant-example-secret';

/** Table rights per role: `support` may look at customers and the activity feed, nothing else. */
export const ROLES = {
  admin: '*',
  analyst: ['products', 'orders', 'order_items', 'events'],
  support: ['customers', 'events'],
} as const satisfies Record<string, '*' | readonly string[]>;

export type Role = keyof typeof ROLES;

export const TENANTS = ['acme', 'globex'] as const;

/** A server on a free port with two seeded tenants; anonymous access is off. */
export async function startTenantServer(dbPath: string): Promise<LiveframeServer> {
  const server = await createDemoServer({
    config: { port: 0, dbPath, authSecret: AUTH_SECRET, anonymous: false, seed: false, logLevel: 'silent' },
    permissions: tablePermissions(ROLES),
  });
  try {
    for (const tenantId of TENANTS) {
      await seedDemoData(server.services.database.driver, { tenantId, customers: 10, orders: 30 });
    }
  } catch (error) {
    await server.close();
    throw error;
  }
  return server;
}

/** A bearer token in the default format (in production your identity provider issues these). */
export function tokenFor(userId: string, tenantId: string, role: Role): string {
  return signToken({ userId, tenantId, role }, AUTH_SECRET);
}

/** Waits for the next live event, failing after a deadline instead of hanging. */
export interface EventInbox {
  next(deadlineMs?: number): Promise<LiveEventData>;
}

/** A signed-in user: a typed tRPC client over one WebSocket plus the live subscription's events. */
export interface TenantClient extends AsyncDisposable {
  readonly trpc: ReturnType<typeof createTRPCClient<AppRouter>>;
  readonly subscriptionId: string;
  readonly events: EventInbox;
  /** Opens the live subscription and resolves with its first event (the ack). */
  subscribe(): Promise<LiveEventData>;
  /** Registers live queries (key -> procedure path + input) from the ack's position on. */
  watch(
    since: string,
    queries: Record<string, { path: string; input?: unknown }>,
  ): Promise<{ stale: string[] }>;
}

let clients = 0;

export function connect(server: LiveframeServer, token: string): TenantClient {
  const wsClient = createWSClient({
    url: server.wsUrl,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    connectionParams: { token },
  });
  sendRequestsPromptly(wsClient); // no batching timer in front of each request
  const trpc = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient, transformer: superjson })] });
  const subscriptionId = `example-${process.pid}-${++clients}`;
  const queue: LiveEventData[] = [];
  let wake: (() => void) | undefined;
  let subscription: { unsubscribe(): void } | undefined;
  const events: EventInbox = {
    async next(deadlineMs = 10_000) {
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
    },
  };
  return {
    trpc,
    subscriptionId,
    events,
    subscribe() {
      subscription = trpc.live.events.subscribe(
        { subscriptionId },
        {
          onData: ({ data }) => {
            queue.push(data);
            wake?.();
          },
        },
      );
      return events.next();
    },
    async watch(since, queries) {
      const add = Object.entries(queries).map(([key, q]) => ({ key, path: q.path, input: q.input, since }));
      const { stale } = await trpc.live.update.mutate({ subscriptionId, add });
      return { stale };
    },
    async [Symbol.asyncDispose]() {
      subscription?.unsubscribe();
      await wsClient.close();
    },
  };
}

/** The liveframe error code of a failed call (`error.data.liveframe.code`), if any. */
export function liveframeCode(error: unknown): string | undefined {
  const data = (error as { data?: { liveframe?: { code?: string } } } | null)?.data;
  return data?.liveframe?.code;
}

/** Runs `call` and returns its liveframe error code, or 'ok'. */
export async function outcome(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return 'ok';
  } catch (error) {
    return liveframeCode(error) ?? 'unknown error';
  }
}
