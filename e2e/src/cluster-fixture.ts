import { type SqldProcess, startSqld } from '@liveframe/native/testing';
import { type ServerProcess, startServerProcess } from '@liveframe/server/testing';
import { type StaticSite, serveStatic } from './static-site.ts';
import { webDistDir } from './web-build.ts';

/**
 * The scale-out setup of the e2e tests: one sqld primary, N liveframe servers in replica mode
 * (child processes, so a kill is a real SIGKILL), and the built dashboard. Everything is on
 * free loopback ports and stops on dispose, in reverse order.
 *
 * @example
 * await using cluster = await startCluster({ servers: 2 });
 * await page.goto(cluster.pageFor(cluster.servers[1]));
 */
export class Cluster implements AsyncDisposable {
  readonly sqld: SqldProcess;
  readonly servers: readonly ServerProcess[];
  readonly site: StaticSite;

  private constructor(sqld: SqldProcess, servers: readonly ServerProcess[], site: StaticSite) {
    this.sqld = sqld;
    this.servers = servers;
    this.site = site;
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
      const servers: ServerProcess[] = [];
      // One at a time: each one creates the schema and seeds the primary if it is empty.
      for (let i = 0; i < options.servers; i++) {
        const server =
          options.mode === 'local'
            ? await startServerProcess({ mode: 'local' })
            : await startServerProcess({ mode: 'replica', primaryUrl: sqld.url });
        servers.push(use(server));
      }
      const site = use(await serveStatic(webDistDir()));
      const cluster = new Cluster(sqld, servers, site);
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

  /** The dashboard URL of a browser talking to `server`. */
  pageFor(server: ServerProcess): string {
    return this.site.pageFor(server.url);
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
}

/** Starts a disposable cluster; see {@link Cluster}. */
export function startCluster(options: ClusterOptions): Promise<Cluster> {
  return Cluster.start(options);
}
