import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Serves a built single-page app (the dashboard) from `root` on the server's own origin, so the
 * page talks to the server that served it: files as they are (hashed assets cached for a year),
 * any other GET path without a file extension falls back to `index.html`. Returns false when the
 * request is not a static GET it can answer.
 *
 * @example const serveStatic = staticFiles('/srv/web/dist'); if (!serveStatic(req, res)) notFound(res);
 */
export function staticFiles(root: string): (req: IncomingMessage, res: ServerResponse) => boolean {
  const base = resolve(root);
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    let path: string;
    try {
      path = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
    } catch {
      return false;
    }
    let file = normalize(join(base, path));
    if (file !== base && !file.startsWith(base + sep)) return false; // traversal
    if (!isFile(file)) {
      if (extname(path) !== '') return false;
      file = join(base, 'index.html');
      if (!isFile(file)) return false;
    }
    const immutable = file.includes(`${sep}assets${sep}`);
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
    return true;
  };
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
