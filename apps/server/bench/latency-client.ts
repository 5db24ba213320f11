import { connectLiveClient } from '../test/support/live-client.ts';

/**
 * Child process of server.bench.ts: the same-server latency loop with its two tRPC clients (a
 * writer and a subscribed reader) in their own process, as real clients are. In the bench
 * process they would share the server's event loop, and their own work (tRPC client links,
 * superjson, result objects) would queue behind and in front of the server's.
 *
 * Protocol (IPC): receives `{ type: 'run', wsUrl, rounds, warmup }`, answers
 * `{ type: 'done', samples: number[] }` (ms from sending the mutation to the reader having the
 * event of the frame it returned), then exits.
 */
interface RunMessage {
  readonly type: 'run';
  readonly wsUrl: string;
  readonly rounds: number;
  readonly warmup: number;
}

const status = (i: number) => (i % 2 ? 'paid' : 'shipped');

async function run({ wsUrl, rounds, warmup }: RunMessage): Promise<number[]> {
  await using writer = connectLiveClient(wsUrl);
  await using reader = connectLiveClient(wsUrl);
  reader.subscribe();
  const ack = await reader.events.next(30_000);
  await reader.trpc.live.update.mutate({
    subscriptionId: reader.subscriptionId,
    add: [{ key: 'kpis', path: 'dashboard.kpis', input: {}, since: ack.id }],
  });
  const samples: number[] = [];
  for (let i = 0; i < warmup + rounds; i++) {
    const t0 = performance.now();
    const { frame } = await writer.trpc.orders.setStatus.mutate({ id: 1 + (i % 50), status: status(i) });
    await reader.events.until((e) => e.id === frame);
    if (i >= warmup) samples.push(performance.now() - t0);
  }
  return samples;
}

process.once('message', (message: RunMessage) => {
  run(message).then(
    (samples) => process.send?.({ type: 'done', samples }, () => process.exit(0)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
});
