import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ServerConfigInput } from '@liveframe/server';
import { configFor, resolvePaths } from '@liveframe/server/testing';
import type { DemoTestServerOptions } from './start-demo-server.ts';

/** A server in its own process (for SIGKILL tests); `kill()` and `restart()` keep the same port and file. */
export interface ServerProcess extends AsyncDisposable {
  readonly url: string;
  readonly wsUrl: string;
  readonly port: number;
  readonly dbPath: string;
  readonly pid: number | undefined;
  /** The process's JSON log lines so far (pino writes them to stdout; `config.logLevel` decides which). */
  logs(): Record<string, unknown>[];
  kill(signal?: NodeJS.Signals): Promise<void>;
  restart(): Promise<void>;
}

// Run from sources (this repo's tests) through tsx; compiled (dist/) as plain JS.
const COMPILED = import.meta.url.endsWith('.js');
const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', COMPILED ? 'main.js' : 'main.ts');

async function spawnMain(
  config: ServerConfigInput,
  port: number,
  logs: Record<string, unknown>[] = [],
): Promise<{ child: ChildProcess; port: number }> {
  const args = [
    ...(COMPILED ? [] : ['--import', 'tsx']),
    MAIN,
    '--port',
    String(port),
    '--db',
    String(config.dbPath),
  ];
  if (config.primaryUrl !== undefined) args.push('--primary', config.primaryUrl);
  if (config.logLevel !== undefined) args.push('--log-level', config.logLevel);
  if (config.seed === false) args.push('--no-seed');
  if (config.staticDir !== undefined) args.push('--static-dir', config.staticDir);
  if (config.migrationsDir !== undefined) args.push('--migrations', config.migrationsDir);
  if (config.peers !== undefined) args.push('--peers', [config.peers].flat().join(','));
  if (config.syncIntervalMs !== undefined) args.push('--sync-interval-ms', String(config.syncIntervalMs));
  if (config.maxPushBytes !== undefined) args.push('--max-push-bytes', String(config.maxPushBytes));
  if (config.anonymous !== undefined) args.push(config.anonymous ? '--anonymous' : '--no-anonymous');
  if (config.anonymousTenant !== undefined) args.push('--anonymous-tenant', config.anonymousTenant);
  if (config.anonymousRole !== undefined) args.push('--anonymous-role', config.anonymousRole);
  // Secrets through the environment, not the command line (which `ps` shows).
  const env = { ...process.env };
  if (config.authSecret !== undefined) env.LIVEFRAME_AUTH_SECRET = config.authSecret;
  if (config.peerSecret !== undefined) env.LIVEFRAME_PEER_SECRET = config.peerSecret;
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const lines = createInterface({ input: child.stdout! });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('server process did not start in 30 s')), 30_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\n${stderr.join('')}`));
    };
    child.once('exit', (code, signal) => fail(new Error(`server process exited (${code ?? signal})`)));
    lines.on('line', (line) => {
      try {
        const message = JSON.parse(line) as { liveframe?: string; port?: number };
        if (message.liveframe === undefined) logs.push(message);
        if (message.liveframe === 'listening' && message.port !== undefined) {
          clearTimeout(timer);
          child.removeAllListeners('exit');
          resolve({ child, port: message.port });
        }
      } catch {
        // a log line
      }
    });
  });
}

/**
 * Starts `src/main.ts` in a child process on a free port; dispose kills it and removes its files.
 *
 * @example
 * await using server = await startServerProcess();
 * await server.kill('SIGKILL'); await server.restart();
 */
export async function startServerProcess(options: DemoTestServerOptions = {}): Promise<ServerProcess> {
  const { dbPath, cleanup } = await resolvePaths(options);
  const config = configFor(options, dbPath);
  const logs: Record<string, unknown>[] = [];
  let { child, port } = await spawnMain(config, 0, logs);
  const exited = (c: ChildProcess) =>
    c.exitCode !== null || c.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => c.once('exit', () => resolve()));
  const handle: ServerProcess = {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get wsUrl() {
      return `ws://127.0.0.1:${port}/trpc`;
    },
    get port() {
      return port;
    },
    dbPath,
    get pid() {
      return child.pid;
    },
    logs: () => [...logs],
    async kill(signal = 'SIGKILL') {
      child.kill(signal);
      await exited(child);
    },
    async restart() {
      ({ child, port } = await spawnMain({ ...config, seed: false }, port, logs));
    },
    async [Symbol.asyncDispose]() {
      child.kill('SIGKILL');
      await exited(child);
      await cleanup();
    },
  };
  return handle;
}
