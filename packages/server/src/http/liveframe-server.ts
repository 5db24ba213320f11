import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Identity } from '../auth/identity.ts';
import type { ServerConfig } from '../config.ts';
import type { LiveframeServices } from '../live/live-services.ts';
import { createLiveframe, type LiveframeOptions } from './create-liveframe.ts';
import { staticFiles } from './static-files.ts';

/** {@link LiveframeOptions}; the server listens on `config.host`/`config.port` and serves `config.staticDir`. */
export type LiveframeServerOptions<TIdentity extends object = Identity> = LiveframeOptions<TIdentity>;

/** A running server; dispose it (or `close()`) to drain clients and stop. */
export interface LiveframeServer extends AsyncDisposable {
  readonly url: string;
  readonly wsUrl: string;
  readonly port: number;
  readonly config: ServerConfig;
  readonly services: LiveframeServices;
  close(): Promise<void>;
}

/**
 * liveframe on an HTTP server of its own: {@link createLiveframe}'s handlers plus static files
 * (a built dashboard, `config.staticDir`) on one port. Apps with a server of their own mount the
 * handlers instead.
 *
 * Safe by default: no anonymous access and no built-in secret; without an auth secret (and
 * without a custom `authenticate`) replica mode and `NODE_ENV=production` refuse to start with a
 * `ServerError` `INSECURE_CONFIG`, and local mode rejects every token.
 *
 * @example
 * await using server = await createLiveframeServer({ router, schema, config: { port: 0, dbPath: file, authSecret } });
 * console.log(server.url);
 */
export async function createLiveframeServer<TIdentity extends object = Identity>(
  options: LiveframeServerOptions<TIdentity>,
): Promise<LiveframeServer> {
  const liveframe = await createLiveframe(options);
  const { config, services } = liveframe;
  const logger = services.logger;
  const staticDir = config.staticDir === '' ? undefined : config.staticDir;
  const serveStatic = staticDir === undefined ? undefined : staticFiles(staticDir);
  const httpServer = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (liveframe.handleRequest(req, res)) return;
    if (serveStatic?.(req, res) === true) return;
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  httpServer.keepAliveTimeout = 5000;
  httpServer.on('upgrade', (req, socket, head) => {
    if (liveframe.handleUpgrade(req, socket, head)) return;
    socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
  });
  try {
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.port, config.host, () => {
        httpServer.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await liveframe.close();
    throw error;
  }
  const port = (httpServer.address() as AddressInfo).port;
  const url = `http://${config.host}:${port}`;
  const driver = services.database.driver;
  logger.info(
    { url, mode: driver.mode, position: driver.position(), staticDir: staticDir ?? null },
    'liveframe server listening',
  );

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await liveframe.close();
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      });
    })();
    return closing;
  };
  return {
    url,
    wsUrl: `ws://${config.host}:${port}/trpc`,
    port,
    config,
    services,
    close,
    [Symbol.asyncDispose]: close,
  };
}
