import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerConfigInput } from '../config.ts';
import {
  createLiveframeServer,
  type LiveframeServer,
  type LiveframeServerOptions,
} from '../http/liveframe-server.ts';

/**
 * The bearer-token secret of test servers unless `config.authSecret` says otherwise; sign test
 * tokens with it (`signToken(identity, TEST_AUTH_SECRET)`).
 */
export const TEST_AUTH_SECRET = 'liveframe-test-secret';

export interface StartServerOptions {
  /** `replica` needs `primaryUrl`; defaults to `local`. */
  readonly mode?: 'local' | 'replica';
  readonly primaryUrl?: string;
  /** Database file; a fresh temp file (removed on dispose) when omitted. */
  readonly dbPath?: string;
  /**
   * Any other server option (port is always 0 unless given). Test servers opt in to anonymous
   * access as the `admin` of `demo` and to {@link TEST_AUTH_SECRET}; override them here
   * (`{ anonymous: false }`).
   */
  readonly config?: ServerConfigInput;
  readonly authenticate?: LiveframeServerOptions['authenticate'];
  readonly permissions?: LiveframeServerOptions['permissions'];
  readonly router: LiveframeServerOptions['router'];
  readonly migrations?: LiveframeServerOptions['migrations'];
  readonly schema?: LiveframeServerOptions['schema'];
  readonly prepareDatabase?: LiveframeServerOptions['prepareDatabase'];
  /** The app's context on liveframe's (e.g. a query builder on `base.client`). */
  readonly createContext?: LiveframeServerOptions['createContext'];
}

/** The test's database file: `dbPath`, or a fresh temp file that `cleanup` removes. */
export async function resolvePaths(
  options: Pick<StartServerOptions, 'dbPath'>,
): Promise<{ dbPath: string; cleanup: () => Promise<void> }> {
  if (options.dbPath !== undefined) return { dbPath: options.dbPath, cleanup: async () => {} };
  const dir = await mkdtemp(join(tmpdir(), 'liveframe-server-'));
  return { dbPath: join(dir, 'app.db'), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** The server config of a test server: port 0, silent, anonymous admin and the test secret, then `config`. */
export function configFor(
  options: Pick<StartServerOptions, 'mode' | 'primaryUrl' | 'config'>,
  dbPath: string,
): ServerConfigInput {
  if ((options.mode ?? 'local') === 'replica' && options.primaryUrl === undefined) {
    throw new Error('startServer: replica mode needs primaryUrl');
  }
  return {
    port: 0,
    logLevel: 'silent',
    // The library's defaults are safe (no anonymous access, no secret); tests opt in explicitly.
    anonymous: true,
    anonymousRole: 'admin',
    authSecret: TEST_AUTH_SECRET,
    ...options.config,
    dbPath,
    ...(options.mode === 'replica' && options.primaryUrl !== undefined
      ? { primaryUrl: options.primaryUrl }
      : {}),
  };
}

/**
 * An in-process server on port 0 for tests, disposable (house rule 7).
 *
 * @example
 * await using server = await startServer({ router: appRouter, schema: APP_SQL });
 * const client = createWSClient({ url: server.wsUrl, WebSocket });
 */
export async function startServer(options: StartServerOptions): Promise<LiveframeServer> {
  const { dbPath, cleanup } = await resolvePaths(options);
  try {
    const server = await createLiveframeServer({
      config: configFor(options, dbPath),
      ...(options.authenticate === undefined ? {} : { authenticate: options.authenticate }),
      ...(options.permissions === undefined ? {} : { permissions: options.permissions }),
      router: options.router,
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
