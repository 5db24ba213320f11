import { createServer } from 'node:net';

/**
 * Asks the kernel for a free loopback TCP port (bind to port 0, read it, release it).
 * For programs like sqld that cannot listen on port 0 themselves and report the port back.
 *
 * @example const port = await freePort();
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not determine a free port'));
      });
    });
  });
}
