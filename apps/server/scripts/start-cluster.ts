import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSqld } from '@liveframe/native/testing';

/**
 * Scale-out on one machine: a local sqld primary (fresh, in a temp dir) plus two liveframe
 * servers in replica mode (ports 3001 and 3002 unless LIVEFRAME_CLUSTER_PORTS="a,b"), each with
 * its own replica file under data/cluster (wiped at start: the primary is new every run), each
 * serving the dashboard (apps/web/dist, if built) on its own origin, and each telling the other
 * to sync after its writes (`--peers`). Ctrl-C stops everything.
 *
 * Replica mode gets none of the demo CLI's development defaults, so this script opts in: the
 * servers share LIVEFRAME_AUTH_SECRET when it is set, else a random one made for this run (bearer
 * tokens and sync hints), and requests without a token are the anonymous admin of the demo tenant
 * (the dashboard sends no token).
 */
const here = dirname(fileURLToPath(import.meta.url));
// Compiled (`npm run start:cluster` after the build) this file is dist/scripts/start-cluster.js.
const compiled = import.meta.url.endsWith('.js');
const appDir = resolve(here, ...(compiled ? ['..', '..'] : ['..']));
const main = compiled ? join(appDir, 'dist', 'src', 'main.js') : join(appDir, 'src', 'main.ts');
const dataDir = join(appDir, 'data', 'cluster');
rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });
const ports = (process.env.LIVEFRAME_CLUSTER_PORTS ?? '3001,3002').split(',').map(Number);
const env = {
  ...process.env,
  LIVEFRAME_AUTH_SECRET: process.env.LIVEFRAME_AUTH_SECRET || randomBytes(32).toString('base64url'),
};

const sqld = await startSqld();
console.log(`sqld primary at ${sqld.url}`);
const children: ChildProcess[] = [];
for (const [index, port] of ports.entries()) {
  const child = spawn(
    process.execPath,
    [
      ...(compiled ? [] : ['--import', 'tsx']),
      main,
      '--port',
      String(port),
      '--db',
      join(dataDir, `replica-${index}.db`),
      '--primary',
      sqld.url,
      '--anonymous',
      '--anonymous-role',
      'admin',
      '--sync-interval-ms',
      process.env.LIVEFRAME_SYNC_INTERVAL_MS ?? '25',
      // Each server hints the others to sync right after a write, so cross-server events do
      // not wait for the next poll.
      '--peers',
      ports
        .filter((_, other) => other !== index)
        .map((p) => `http://127.0.0.1:${p}`)
        .join(','),
      ...(index > 0 ? ['--no-seed'] : []),
    ],
    { stdio: 'inherit', env },
  );
  children.push(child);
  console.log(`server ${index + 1}: http://127.0.0.1:${port}`);
}
const stop = async () => {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(
    children.map(
      (c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.once('exit', resolve))),
    ),
  );
  await sqld.stop();
  await sqld[Symbol.asyncDispose]();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
