import { WebSocket } from 'ws';

/**
 * Child process of `fanout-sweep.bench.ts`: N plain `ws` clients that only count messages, so the
 * parent can wait until a sweep has fully arrived before the next one (every sweep then starts
 * with empty socket buffers). Protocol over IPC: parent → `{ url, count }`, child → `'ready'`;
 * child → `'round'` each time every client has received one more message.
 */
const received: number[] = [];
let round = 0;
/** Clients that have the current round's message. */
let done = 0;

process.once('message', (message: { url: string; count: number }) => {
  void (async () => {
    for (let i = 0; i < message.count; i++) {
      const socket = new WebSocket(message.url, { perMessageDeflate: false });
      const index = i;
      received.push(0);
      socket.on('message', () => {
        received[index]!++;
        if (received[index] === round + 1 && ++done === message.count) {
          round++;
          done = 0;
          process.send?.('round');
        }
      });
      await new Promise<void>((resolve, reject) => socket.once('open', resolve).once('error', reject));
    }
    process.send?.('ready');
  })().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
});
process.on('disconnect', () => process.exit(0));
