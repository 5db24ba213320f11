import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DbError } from '../errors.ts';
import type { FramePosition } from '../position.ts';
import type {
  AdvanceEvent,
  ReplyMap,
  Request,
  SerializedError,
  WorkerMessage,
  WorkerOptions,
} from './protocol.ts';
import { deserializeError } from './replica-errors.ts';

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export interface WorkerClientOptions extends WorkerOptions {
  readonly cursorHeartbeatMs: number;
  readonly cursorTtlMs: number;
}

/**
 * Main-thread end of the replica worker: typed requests with ids, one reply each. If the worker
 * dies, every pending request rejects with DbError WORKER_EXITED (nothing waits forever), and so does
 * every later one.
 */
export class ReplicaWorkerClient {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #dead: DbError | undefined;
  #closing = false;
  #exited: Promise<void>;
  onAdvance: (event: AdvanceEvent) => void = () => {};
  onSyncError: (error: DbError) => void = () => {};

  private constructor(worker: Worker) {
    this.#worker = worker;
    this.#exited = new Promise((resolve) => worker.once('exit', () => resolve()));
  }

  /** Starts the worker; resolves once it created the replica file and finished the first sync. */
  static async start(
    options: WorkerClientOptions,
  ): Promise<{ client: ReplicaWorkerClient; position: FramePosition; logCursor: number | null }> {
    const worker = spawnWorker(options);
    const client = new ReplicaWorkerClient(worker);
    const ready = await new Promise<{ position: FramePosition; logCursor: number | null }>(
      (resolve, reject) => {
        const onExit = (code: number) =>
          reject(new DbError('WORKER_EXITED', `replica worker exited during open (code ${code})`));
        const onError = (error: Error) =>
          reject(new DbError('INTERNAL', `replica worker failed: ${error.message}`, { cause: error }));
        worker.once('exit', onExit);
        worker.once('error', onError);
        worker.once('message', (message: WorkerMessage) => {
          worker.off('exit', onExit);
          worker.off('error', onError);
          if (message.type === 'ready') resolve({ position: message.position, logCursor: message.logCursor });
          else if (message.type === 'open-failed') reject(deserializeError(message.error));
          else
            reject(new DbError('INTERNAL', `unexpected first message from replica worker: ${message.type}`));
        });
      },
    );
    client.#listen();
    return { client, ...ready };
  }

  #listen(): void {
    this.#worker.on('message', (message: WorkerMessage) => {
      switch (message.type) {
        case 'reply': {
          const pending = this.#pending.get(message.id);
          if (pending === undefined) return;
          this.#pending.delete(message.id);
          if (message.ok) pending.resolve(message.value);
          else pending.reject(deserializeError(message.error as SerializedError));
          return;
        }
        case 'advance':
          this.onAdvance(message);
          return;
        case 'sync-error':
          this.onSyncError(deserializeError(message.error));
          return;
        default:
          return;
      }
    });
    this.#worker.on('error', (error) => {
      this.#die(new DbError('WORKER_EXITED', `replica worker crashed: ${error.message}`, { cause: error }));
    });
    this.#worker.on('exit', (code) => {
      // An exit we asked for is a close, not a crash.
      this.#die(
        this.#closing
          ? new DbError('CLOSED', 'the replica is closed')
          : new DbError('WORKER_EXITED', `replica worker exited (code ${code})`),
      );
    });
  }

  #die(error: DbError): void {
    this.#dead ??= error;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(this.#dead);
  }

  /** Throws why the worker is gone (WORKER_EXITED, CLOSED); a write must not start on a dead replica. */
  assertAlive(): void {
    if (this.#dead !== undefined) throw this.#dead;
  }

  get alive(): boolean {
    return this.#dead === undefined;
  }

  request<K extends Request['type']>(request: Extract<Request, { type: K }>): Promise<ReplyMap[K]> {
    if (this.#dead !== undefined) return Promise.reject(this.#dead);
    const id = this.#nextId++;
    return new Promise<ReplyMap[K]>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#worker.postMessage({ id, request });
    });
  }

  /** Stops by message (terminate() during a libsql call aborts the process), then waits for the exit. */
  async close(): Promise<void> {
    this.#closing = true;
    if (this.#dead === undefined) {
      try {
        await this.request({ type: 'close' });
      } catch {
        // Already gone.
      }
    }
    await this.#exited;
  }

  /** Test hook: the worker exits as if it had crashed. */
  debugExit(): void {
    this.#worker.postMessage({ id: 0, request: { type: 'debug-exit' } });
  }
}

/**
 * Starts the worker module. Compiled (the published package, `dist/`), it is a plain `.js` entry.
 * Run from sources (this repository's tests), it is TypeScript, and on Node 20 loader hooks given
 * to a worker as `--import tsx` do not apply to its entry module, so a tiny eval'd bootstrap
 * imports it through tsx's `tsImport` (resolved from this package; tsx is then a dev dependency).
 */
function spawnWorker(workerData: unknown): Worker {
  if (import.meta.url.endsWith('.js')) {
    return new Worker(new URL('./replica-worker.js', import.meta.url), { workerData });
  }
  const entry = new URL('./replica-worker.ts', import.meta.url).href;
  const require = createRequire(import.meta.url);
  const tsxPackage = require.resolve('tsx/package.json');
  const exportsMap = (require(tsxPackage) as { exports: Record<string, { import?: { default?: string } }> })
    .exports;
  const apiPath = exportsMap['./esm/api']?.import?.default ?? './dist/esm/api/index.mjs';
  const api = new URL(apiPath, pathToFileURL(tsxPackage)).href;
  const bootstrap = [
    '(async () => {',
    `  const { tsImport } = await import(${JSON.stringify(api)});`,
    `  await tsImport(${JSON.stringify(entry)}, ${JSON.stringify(import.meta.url)});`,
    '})().catch((error) => { setImmediate(() => { throw error; }); });',
  ].join('\n');
  return new Worker(bootstrap, { eval: true, workerData });
}
