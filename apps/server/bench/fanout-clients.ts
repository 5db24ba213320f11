import { WebSocket } from 'ws';

/**
 * Child process of the server bench: N subscribed WebSocket clients, so the server process's
 * CPU and memory figures are its own. The clients are raw `ws` sockets speaking tRPC's WebSocket
 * protocol by hand (subscribe to `live.events`, register one live query with `live.update`) and,
 * while measuring, only timestamp each message's arrival and look for the frame's bytes in it:
 * no superjson or tRPC client machinery per event, so what is measured is the server's fan-out
 * (and the kernel), not 1,000 clients decoding in one process. The bench runs several of these
 * processes. Protocol over IPC:
 * parent → `{ type: 'start', wsUrl, count }`, child → `{ type: 'ready' }`;
 * parent → `{ type: 'expect', frame }`, child → `{ type: 'arrived', frame, last }` once every
 * client has it, `last` being the wall-clock time (`performance.timeOrigin + now()`) of the last
 * arrival; parent → `{ type: 'stop' }`.
 */
type Message =
  | { type: 'start'; wsUrl: string; count: number }
  | { type: 'expect'; frame: string }
  | { type: 'stop' };

interface RawClient {
  readonly socket: WebSocket;
  /** Messages since the last `expect`: arrival time and bytes. */
  readonly arrivals: { at: number; data: Buffer }[];
  wake: (() => void) | undefined;
}

const clients: RawClient[] = [];
const send = (message: unknown) => process.send?.(message);
const now = () => performance.timeOrigin + performance.now();
let counter = 0;

function nextMessage(client: RawClient, from: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (client.arrivals.length > from) {
        client.wake = undefined;
        resolve(client.arrivals.length - 1);
      } else if (client.socket.readyState > WebSocket.OPEN) reject(new Error('socket closed'));
      else client.wake = check;
    };
    check();
  });
}

/** Waits for the first message (from index `from` on) whose text satisfies `test`; returns it parsed. */
async function waitFor(client: RawClient, test: (text: string) => boolean, from = 0): Promise<unknown> {
  for (let i = from; ; i++) {
    await nextMessage(client, i);
    const text = client.arrivals[i]?.data.toString('utf8') ?? '';
    if (test(text)) return JSON.parse(text);
  }
}

async function connect(wsUrl: string): Promise<RawClient> {
  const socket = new WebSocket(wsUrl, { perMessageDeflate: false });
  const client: RawClient = { socket, arrivals: [], wake: undefined };
  socket.on('message', (data: Buffer) => {
    // tRPC's keep-alive ping (sent as text `PING`), answered like its client does.
    if (data.length === 4 && data.toString() === 'PING') return socket.send('PONG');
    client.arrivals.push({ at: now(), data });
    client.wake?.();
  });
  socket.on('close', () => client.wake?.());
  await new Promise<void>((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const subscriptionId = `bench-${process.pid}-${++counter}`;
  socket.send(
    JSON.stringify({
      id: 1,
      method: 'subscription',
      params: { path: 'live.events', input: { json: { subscriptionId } } },
    }),
  );
  const ack = (await waitFor(client, (t) => t.includes('"type":"data"'))) as { result: { id: string } };
  const from = client.arrivals.length;
  socket.send(
    JSON.stringify({
      id: 2,
      method: 'mutation',
      params: {
        path: 'live.update',
        input: {
          json: {
            subscriptionId,
            add: [{ key: 'kpis', path: 'dashboard.kpis', input: {}, since: ack.result.id }],
          },
        },
      },
    }),
  );
  const reply = (await waitFor(client, (t) => t.startsWith('{"id":2'), from)) as { error?: unknown };
  if (reply.error !== undefined) throw new Error(`live.update failed: ${JSON.stringify(reply.error)}`);
  client.arrivals.length = 0;
  return client;
}

/** Arrival time of the first message carrying `frame` (as a JSON string). */
async function arrivalOf(client: RawClient, frame: string): Promise<number> {
  const needle = Buffer.from(JSON.stringify(frame));
  for (let i = 0; ; i++) {
    await nextMessage(client, i);
    const arrival = client.arrivals[i];
    if (arrival?.data.includes(needle)) return arrival.at;
  }
}

process.on('message', (message: Message) => {
  void (async () => {
    if (message.type === 'start') {
      const batch = 50;
      for (let i = 0; i < message.count; i += batch) {
        const size = Math.min(batch, message.count - i);
        clients.push(...(await Promise.all(Array.from({ length: size }, () => connect(message.wsUrl)))));
      }
      send({ type: 'ready' });
    } else if (message.type === 'expect') {
      const times = await Promise.all(clients.map((c) => arrivalOf(c, message.frame)));
      for (const client of clients) client.arrivals.length = 0;
      send({ type: 'arrived', frame: message.frame, last: Math.max(...times) });
    } else {
      for (const client of clients) client.socket.close();
      process.exit(0);
    }
  })().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
});
