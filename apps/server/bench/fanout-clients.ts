import { connectLiveClient, type LiveClient } from '../test/support/live-client.ts';

/**
 * Child process of the server bench: N subscribed WebSocket clients, so the server process's
 * CPU and memory figures are its own. Protocol over IPC:
 * parent → `{ type: 'start', wsUrl, count }`, child → `{ type: 'ready' }`;
 * parent → `{ type: 'expect', frame }`, child → `{ type: 'arrived', frame }` once every client has it;
 * parent → `{ type: 'stop' }`.
 */
type Message =
  | { type: 'start'; wsUrl: string; count: number }
  | { type: 'expect'; frame: string }
  | { type: 'stop' };

const clients: LiveClient[] = [];
const send = (message: unknown) => process.send?.(message);

process.on('message', (message: Message) => {
  void (async () => {
    if (message.type === 'start') {
      for (let i = 0; i < message.count; i++) {
        const client = connectLiveClient(message.wsUrl);
        client.subscribe();
        clients.push(client);
      }
      for (const client of clients) {
        const ack = await client.events.next(120_000);
        await client.trpc.live.update.mutate({
          subscriptionId: client.subscriptionId,
          add: [{ key: 'kpis', path: 'dashboard.kpis', input: {}, since: ack.id }],
        });
      }
      send({ type: 'ready' });
    } else if (message.type === 'expect') {
      await Promise.all(clients.map((c) => c.events.until((e) => e.id === message.frame, 60_000)));
      send({ type: 'arrived', frame: message.frame });
    } else {
      await Promise.all(clients.map((c) => c.close()));
      process.exit(0);
    }
  })().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
});
