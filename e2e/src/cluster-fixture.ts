import { type ServerProcess, startServerProcess } from '@liveframe/demo-server/testing';
import { type SqldProcess, startSqld } from '@liveframe/native/testing';
import { webDistDir } from './web-build.ts';

/**
 * The scale-out setup of the e2e tests: one sqld primary and N liveframe servers in replica mode
 * (child processes, so a kill is a real SIGKILL), each serving the built dashboard on its own
 * port, as `npm start` does. Everything is on free ports and stops on dispose, in reverse order.
 *
 * @example
 * await using cluster = await startCluster({ servers: 2 });
 * await page.goto(cluster.pageFor(cluster.servers[1]));
 */
export class Cluster implements AsyncDisposable {
  readonly sqld: SqldProcess;
  readonly servers: readonly ServerProcess[];

  private constructor(sqld: SqldProcess, servers: readonly ServerProcess[]) {
    this.sqld = sqld;
    this.servers = servers;
  }

  static async start(options: ClusterOptions): Promise<Cluster> {
    // AsyncDisposableStack needs Node 22: keep the started resources in a list instead.
    const started: AsyncDisposable[] = [];
    const use = <T extends AsyncDisposable>(resource: T): T => {
      started.push(resource);
      return resource;
    };
    try {
      const sqld = use(await startSqld());
      const servers: ServerProcess[] = new Array(options.servers);
      // One at a time (each one creates the schema and seeds the primary if it is empty), last
      // to first, so each server can be told the URLs of the ones after it: with
      // `syncHints`, server 0 (where the benches write) hints every other server to sync now.
      for (let i = options.servers - 1; i >= 0; i--) {
        const later = servers.slice(i + 1).map((server) => server.url);
        const config = {
          staticDir: webDistDir(),
          ...(options.syncHints === true && later.length > 0 ? { peers: later } : {}),
          ...(options.maxPushBytes === undefined ? {} : { maxPushBytes: options.maxPushBytes }),
        };
        servers[i] = use(
          options.mode === 'local'
            ? await startServerProcess({ mode: 'local', config })
            : await startServerProcess({ mode: 'replica', primaryUrl: sqld.url, config }),
        );
      }
      const cluster = new Cluster(sqld, servers);
      cluster.#started = started;
      return cluster;
    } catch (error) {
      await disposeAll(started);
      throw error;
    }
  }

  #started: AsyncDisposable[] = [];

  server(index: number): ServerProcess {
    const server = this.servers[index];
    if (server === undefined) throw new Error(`no server ${index} in a cluster of ${this.servers.length}`);
    return server;
  }

  /** The dashboard as `server` serves it: the page talks to the server it came from. */
  pageFor(server: ServerProcess): string {
    return `${server.url}/`;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await disposeAll(this.#started);
  }
}

/** Disposes in reverse start order; keeps going past failures and reports the first. */
async function disposeAll(resources: AsyncDisposable[]): Promise<void> {
  let firstError: unknown;
  for (const resource of resources.splice(0).reverse()) {
    try {
      await resource[Symbol.asyncDispose]();
    } catch (error) {
      firstError ??= error;
    }
  }
  if (firstError !== undefined) throw firstError;
}

export interface ClusterOptions {
  readonly servers: number;
  /**
   * `replica` (default): every server is an embedded replica of the sqld primary. `local`: each
   * server has its own local file (the `npm start` default); they do not share data.
   */
  readonly mode?: 'replica' | 'local';
  /**
   * Replica mode: server 0 tells the others to sync right after each of its writes (`--peers`)
   * instead of leaving it to their next poll.
   */
  readonly syncHints?: boolean;
  /** Push delivery: results larger than this go out as invalidations (default the server's). */
  readonly maxPushBytes?: number;
}

/** Starts a disposable cluster; see {@link Cluster}. */
export function startCluster(options: ClusterOptions): Promise<Cluster> {
  return Cluster.start(options);
}
