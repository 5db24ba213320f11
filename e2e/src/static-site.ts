import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.map': 'application/json',
};

/**
 * The built dashboard (`apps/web/dist`) on a loopback port of its own. Pages open it with
 * `?server=<liveframe server url>`, so one static site serves browsers of several servers.
 *
 * @example
 * await using site = await serveStatic(webDistDir());
 * await page.goto(`${site.url}/?server=${encodeURIComponent(server.url)}`);
 */
export class StaticSite implements AsyncDisposable {
  readonly url: string;
  readonly #server: Server;

  private constructor(server: Server) {
    this.#server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  static async start(root: string): Promise<StaticSite> {
    const server = createServer((request, response) => {
      void (async () => {
        const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
        const file = normalize(join(root, path));
        // Never serve outside the root; unknown paths get the SPA's index.html.
        const inside = file === root || file.startsWith(root + sep);
        const target = inside && (await isFile(file)) ? file : join(root, 'index.html');
        response.writeHead(200, {
          'content-type': CONTENT_TYPES[extname(target)] ?? 'application/octet-stream',
        });
        createReadStream(target).pipe(response);
      })().catch(() => {
        response.writeHead(500).end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return new StaticSite(server);
  }

  /** The dashboard URL for a browser that should talk to `serverUrl`. */
  pageFor(serverUrl: string): string {
    return `${this.url}/?server=${encodeURIComponent(serverUrl)}`;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Serves a directory of static files; see {@link StaticSite}. */
export function serveStatic(root: string): Promise<StaticSite> {
  return StaticSite.start(root);
}
