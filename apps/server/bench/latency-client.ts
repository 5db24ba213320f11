import { arrivedAt, connectLiveClient } from '../test/support/live-client.ts';

/**
 * Child process of server.bench.ts: the same-server latency loop with its two tRPC clients (a
 * writer and a subscribed reader) in their own process, as real clients are. In the bench
 * process they would share the server's event loop, and their own work (tRPC client links,
 * superjson, result objects) would queue behind and in front of the server's.
 *
 * Protocol (IPC): receives `{ type: 'run', wsUrl, rounds, warmup }`, answers
 * `{ type: 'done', samples, withResponse }` (ms from sending the mutation to the event's arrival
 * at the reader; and to when both the event and the writer's response were in), then exits.
 */
interface RunMessage {
  readonly type: 'run';
  readonly wsUrl: string;
  readonly rounds: number;
  readonly warmup: number;
}

const status = (i: number) => (i % 2 ? 'paid' : 'shipped');

async function run({
  wsUrl,
  rounds,
  warmup,
}: RunMessage): Promise<{ samples: number[]; withResponse: number[] }> {
  await using writer = connectLiveClient(wsUrl);
  await using reader = connectLiveClient(wsUrl);
  reader.subscribe();
  const ack = await reader.events.next(30_000);
  await reader.trpc.live.update.mutate({
    subscriptionId: reader.subscriptionId,
    add: [{ key: 'kpis', path: 'dashboard.kpis', input: {}, since: ack.id }],
  });
  const samples: number[] = [];
  const withResponse: number[] = [];
  for (let i = 0; i < warmup + rounds; i++) {
    const t0 = performance.now();
    const { frame } = await writer.trpc.orders.setStatus.mutate({ id: 1 + (i % 50), status: status(i) });
    const responded = performance.now();
    const event = await reader.events.until((e) => e.id === frame);
    // The event often reaches the reader before the writer has its response: time the event's
    // arrival (when the reader's tRPC client handed it over), not when this loop looked.
    const arrived = arrivedAt(event) ?? performance.now();
    if (i >= warmup) {
      samples.push(arrived - t0);
      withResponse.push(Math.max(responded, arrived) - t0);
    }
  }
  return { samples, withResponse };
}

process.once('message', (message: RunMessage) => {
  run(message).then(
    (result) => process.send?.({ type: 'done', ...result }, () => process.exit(0)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
});
