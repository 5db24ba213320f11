// The consumer app's server: a plain node:http server with a route of its own, liveframe
// mounted on it. Prints `LISTENING <port>` once it accepts connections.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLiveframe } from '@liveframe/server';
import { type AppContext, appRouter, authenticate, type Member, SCHEMA } from './router.js';

const dbPath = process.env.CONSUMER_DB_PATH ?? 'consumer.db';

const liveframe = await createLiveframe<Member>({
  router: appRouter,
  schema: SCHEMA,
  authenticate,
  createContext: (base, { req }): AppContext => ({
    ...base,
    via: req === undefined ? 'derive' : req.headers.upgrade === 'websocket' ? 'ws' : 'http',
  }),
  config: { dbPath, logLevel: 'warn' },
});

const server = createServer((req, res) => {
  if (liveframe.handleRequest(req, res)) return;
  if (req.url === '/hello') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ hello: 'from the app' }));
    return;
  }
  res.writeHead(404);
  res.end();
});
server.on('upgrade', (req, socket, head) => {
  if (!liveframe.handleUpgrade(req, socket, head)) socket.destroy();
});

server.listen(0, '127.0.0.1', () => {
  console.log(`LISTENING ${(server.address() as AddressInfo).port}`);
});

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await liveframe.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
