import { createTRPCClient, httpLink } from '@trpc/client';
import superjson from 'superjson';
import type { AppRouter } from './app-router.ts';

export interface LoadGeneratorOptions {
  /** Servers to write through, round-robin (e.g. both servers of a cluster). */
  readonly urls: readonly string[];
  readonly writesPerSecond: number;
  readonly token?: string;
  readonly signal?: AbortSignal;
}

/**
 * Writes demo traffic (new orders, status changes) at a fixed rate through the servers' public
 * tRPC API, so the dashboard has something to show. Resolves when aborted.
 *
 * @example await runLoadGenerator({ urls: ['http://127.0.0.1:3000'], writesPerSecond: 20, signal });
 */
export async function runLoadGenerator(
  options: LoadGeneratorOptions,
): Promise<{ writes: number; errors: number }> {
  const clients = options.urls.map((url) =>
    createTRPCClient<AppRouter>({
      links: [
        httpLink({
          url: `${url}/trpc`,
          transformer: superjson,
          headers: options.token === undefined ? {} : { authorization: `Bearer ${options.token}` },
        }),
      ],
    }),
  );
  const first = clients[0];
  if (first === undefined) throw new Error('load generator needs at least one url');
  const products = await first.catalog.products.query();
  const customers = await first.catalog.customers.query({ limit: 100 });
  let writes = 0;
  let errors = 0;
  const interval = 1000 / options.writesPerSecond;
  let next = Date.now();
  while (options.signal?.aborted !== true) {
    const client = clients[writes % clients.length]!;
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(Math.random() * xs.length)]!;
    try {
      if (Math.random() < 0.7 || writes < 5) {
        await client.orders.create.mutate({
          customerId: pick(customers).id,
          items: [{ productId: pick(products).id, quantity: 1 + Math.floor(Math.random() * 3) }],
          status: 'paid',
        });
      } else {
        const recent = await client.orders.list.query({ pageSize: 20 });
        const order = pick(recent.rows);
        await client.orders.setStatus.mutate({
          id: order.id,
          status: pick(['shipped', 'cancelled', 'paid'] as const),
        });
      }
      writes++;
    } catch {
      errors++;
    }
    next += interval;
    // Pacing a load generator is what timers are for (not synchronisation).
    const wait = next - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    else next = Date.now();
  }
  return { writes, errors };
}
