/** What `orders.create` answers: the new id and the frame the write reached. */
export interface CreatedOrder {
  readonly id: number;
  readonly frame: string;
}

/**
 * Places an order through a server's tRPC HTTP endpoint (superjson envelope), as another user
 * or the load generator would, without a browser.
 *
 * @example const { id } = await writeOrder(serverA.url);
 */
export async function writeOrder(
  serverUrl: string,
  customerId = 1,
  productId = 1,
  status: 'pending' | 'paid' | 'shipped' | 'cancelled' = 'paid',
): Promise<CreatedOrder> {
  const response = await fetch(new URL('/trpc/orders.create', serverUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ json: { customerId, items: [{ productId, quantity: 1 }], status } }),
    signal: AbortSignal.timeout(15_000),
  });
  const body = (await response.json()) as { result?: { data?: { json?: CreatedOrder } } };
  const created = body.result?.data?.json;
  if (!response.ok || created === undefined) {
    throw new Error(`orders.create on ${serverUrl} failed (${response.status}): ${JSON.stringify(body)}`);
  }
  return created;
}
