import type { LiveframeServer } from '@liveframe/server';
import { configFor, resolvePaths, type StartServerOptions } from '@liveframe/server/testing';
import { createDemoServer } from '../demo-server.ts';

/** Test server options: the library's, with the demo's router, schema, seed and roles as defaults. */
export type DemoTestServerOptions = Omit<StartServerOptions, 'router'> & {
  readonly router?: StartServerOptions['router'];
};

/**
 * An in-process demo server on port 0 for tests, disposable (house rule 7): the library's
 * test defaults (anonymous admin of `demo`, the test secret) with the shop domain.
 *
 * @example
 * await using server = await startServer();
 * const client = createWSClient({ url: server.wsUrl, WebSocket });
 */
export async function startServer(options: DemoTestServerOptions = {}): Promise<LiveframeServer> {
  const { dbPath, cleanup } = await resolvePaths(options);
  try {
    const server = await createDemoServer({
      config: configFor(options, dbPath),
      ...(options.authenticate === undefined ? {} : { authenticate: options.authenticate }),
      ...(options.permissions === undefined ? {} : { permissions: options.permissions }),
      ...(options.router === undefined ? {} : { router: options.router }),
      ...(options.migrations === undefined ? {} : { migrations: options.migrations }),
      ...(options.schema === undefined ? {} : { schema: options.schema }),
      ...(options.prepareDatabase === undefined ? {} : { prepareDatabase: options.prepareDatabase }),
      ...(options.createContext === undefined ? {} : { createContext: options.createContext }),
    });
    const close = async () => {
      await server.close();
      await cleanup();
    };
    return { ...server, close, [Symbol.asyncDispose]: close };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
