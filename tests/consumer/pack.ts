// Packs the publishable packages with `npm pack` and installs them, offline, into a consumer app
// outside the repository (tests/consumer/app): shared by consumer.test.ts and
// bench/packaging.bench.ts.
//
// Why the consumer gets a lockfile: npm 11 resolves every manifest of a lockfile-less install
// with full packuments, and the npm cache that `npm ci` filled holds tarballs and abbreviated
// packuments only, so `npm install --offline` from a bare package.json fails with ENOTCACHED.
// The consumer's lockfile is cut from the repo's (the same versions, integrity included), so the
// install needs nothing but the cache — as an app that commits its lockfile would.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const APP_SOURCE = join(REPO_ROOT, 'tests/consumer/app');

/** Workspace folders of the publishable packages, dependencies first. */
export const PUBLISHABLE = ['native', 'db-core', 'reactive', 'server', 'client', 'react'] as const;
export type PublishableDir = (typeof PUBLISHABLE)[number];

/** What an app brings itself, at the versions of the repo's lockfile (so they are in the cache). */
const APP_DEPENDENCIES = [
  '@trpc/server',
  '@trpc/client',
  'superjson',
  'zod',
  'ws',
  '@tanstack/react-query',
  'react',
  // Typed queries on ctx.client / requestClient(): Drizzle's libSQL driver imports @libsql/client.
  'drizzle-orm',
  '@libsql/client',
] as const;
const APP_DEV_DEPENDENCIES = ['typescript', '@types/node', '@types/ws', '@types/react'] as const;

export interface PackageManifest {
  readonly name: string;
  readonly version: string;
  readonly scripts?: Record<string, string>;
  readonly exports?: Record<string, unknown>;
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  readonly optionalDependencies?: Record<string, string>;
}

export interface PackedPackage {
  readonly dir: PublishableDir;
  readonly name: string;
  readonly version: string;
  /** Absolute path of the tarball. */
  readonly tarball: string;
  /** Tarball size in bytes. */
  readonly size: number;
  readonly integrity: string;
  /** Paths inside the tarball. */
  readonly files: readonly string[];
  readonly manifest: PackageManifest;
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/**
 * The environment for child npm/node processes: without the `npm_*` variables of an enclosing
 * `npm test` (its prefix, package and lifecycle would leak into the consumer's npm), keeping the
 * cache location and registry.
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);
  for (const [key, value] of Object.entries(process.env)) {
    if (key.toLowerCase().startsWith('npm_') && !keep.has(key.toLowerCase())) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** Kills the whole process group of a child started with `detached: true`. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** Runs a command to completion, or kills it (and its children) at the deadline and throws. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<RunResult> {
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      killGroup(child, 'SIGKILL');
      reject(
        new Error(
          `${command} ${args.join(' ')} did not finish within ${options.timeoutMs} ms\n${stdout}\n${stderr}`,
        ),
      );
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** Like {@link run}, but a non-zero exit is an error carrying the output. */
export async function runOk(
  command: string,
  args: readonly string[],
  options: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<RunResult> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} (in ${options.cwd}) exited with ${result.code ?? result.signal}\n` +
        `--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
    );
  }
  return result;
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Fails with what to run when a package has not been built (npm test builds them first). */
export function assertBuilt(): void {
  const missing = PUBLISHABLE.filter(
    (dir) => !existsSync(join(REPO_ROOT, 'packages', dir, 'dist', 'index.js')),
  );
  if (missing.length > 0) {
    throw new Error(
      `packages not built (no dist/index.js): ${missing.join(', ')}. Run ` +
        '`TURBO_TELEMETRY_DISABLED=1 npx turbo run build --output-logs=errors-only` (npm test does) first.',
    );
  }
}

/** `npm pack` of every publishable package into `destination` (native's prepack builds its prebuilt). */
export async function packAll(destination: string): Promise<PackedPackage[]> {
  await mkdir(destination, { recursive: true });
  const packed: PackedPackage[] = [];
  for (const dir of PUBLISHABLE) {
    const cwd = join(REPO_ROOT, 'packages', dir);
    const result = await runOk(npm, ['pack', '--json', '--pack-destination', destination], {
      cwd,
      timeoutMs: 300_000,
    });
    // Lifecycle scripts (native's prepack) print to stdout before the JSON.
    const json = result.stdout.slice(result.stdout.indexOf('\n[') + 1 || result.stdout.indexOf('['));
    const [info] = JSON.parse(json) as Array<{
      name: string;
      version: string;
      filename: string;
      size: number;
      integrity: string;
      files: Array<{ path: string }>;
    }>;
    if (info === undefined) throw new Error(`npm pack printed no result for ${dir}:\n${result.stdout}`);
    const manifest = JSON.parse(await readFile(join(cwd, 'package.json'), 'utf8')) as PackageManifest;
    packed.push({
      dir,
      name: info.name,
      version: info.version,
      tarball: join(destination, info.filename),
      size: info.size,
      integrity: info.integrity,
      files: info.files.map((file) => file.path),
      manifest,
    });
  }
  return packed;
}

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  peer?: boolean;
  hasInstallScript?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

interface Lockfile {
  packages: Record<string, LockEntry>;
}

async function repoLock(): Promise<Lockfile> {
  return JSON.parse(await readFile(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as Lockfile;
}

/** The version the repo's lockfile has at the top of node_modules. */
function lockedVersion(lock: Lockfile, name: string): string {
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (version === undefined) throw new Error(`${name} is not in the repo's package-lock.json`);
  return version;
}

const REGISTRY = (process.env.npm_config_registry ?? 'https://registry.npmjs.org/').replace(/\/?$/, '/');

/**
 * The registry tarball URL of a lock entry. The repo's lockfile omits them
 * (omit-lockfile-registry-resolved); without one npm would fetch the packument to find it, and
 * not every packument is in the cache — the tarballs are, by integrity.
 */
function registryTarball(location: string, entry: LockEntry): string {
  const name = location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length);
  const base = name.slice(name.lastIndexOf('/') + 1);
  return `${REGISTRY}${name}/-/${base}-${entry.version}.tgz`;
}

/** Where Node would find `name` from the package installed at `location` (walking up node_modules). */
function resolveLocation(
  packages: Record<string, LockEntry>,
  location: string,
  name: string,
): string | undefined {
  let base = location;
  for (;;) {
    const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (packages[candidate] !== undefined) return candidate;
    if (base === '') return undefined;
    const index = base.lastIndexOf('/node_modules/');
    base = index === -1 ? '' : base.slice(0, index);
  }
}

/**
 * The consumer's package.json and package-lock.json: the tarballs (as `file:` dependencies) plus
 * what an app brings, and every package they need at the location and version the repo has.
 */
function consumerManifests(
  lock: Lockfile,
  packed: readonly PackedPackage[],
  appDir: string,
): { packageJson: object; packageLock: object } {
  const dependencies: Record<string, string> = {};
  const devDependencies: Record<string, string> = {};
  const packages: Record<string, LockEntry> = {};
  for (const pkg of packed) {
    const resolved = `file:${relative(appDir, pkg.tarball)}`;
    dependencies[pkg.name] = resolved;
    const {
      scripts,
      dependencies: deps,
      peerDependencies,
      peerDependenciesMeta,
      optionalDependencies,
    } = pkg.manifest;
    packages[`node_modules/${pkg.name}`] = {
      version: pkg.version,
      resolved,
      integrity: pkg.integrity,
      ...(scripts?.install !== undefined ||
      scripts?.preinstall !== undefined ||
      scripts?.postinstall !== undefined
        ? { hasInstallScript: true }
        : {}),
      ...(deps !== undefined ? { dependencies: deps } : {}),
      ...(optionalDependencies !== undefined ? { optionalDependencies } : {}),
      ...(peerDependencies !== undefined ? { peerDependencies } : {}),
      ...(peerDependenciesMeta !== undefined ? { peerDependenciesMeta } : {}),
    };
  }
  for (const name of APP_DEPENDENCIES) dependencies[name] = lockedVersion(lock, name);
  for (const name of APP_DEV_DEPENDENCIES) devDependencies[name] = lockedVersion(lock, name);

  // Everything reachable, first from the production roots, then from the dev ones.
  const reached = new Map<string, 'prod' | 'dev'>();
  const visit = (roots: Iterable<[string, string]>, kind: 'prod' | 'dev') => {
    const queue: Array<[string, string]> = [...roots];
    while (queue.length > 0) {
      const [from, name] = queue.shift()!;
      const location = resolveLocation({ ...lock.packages, ...packages }, from, name);
      if (location === undefined) continue; // an optional dependency the repo did not install
      if (reached.has(location)) continue;
      reached.set(location, kind);
      const entry = packages[location] ?? lock.packages[location]!;
      if (entry.link === true) throw new Error(`${location} is a workspace link in the repo's lockfile`);
      const optionalPeers = entry.peerDependenciesMeta ?? {};
      for (const dep of Object.keys({
        ...entry.dependencies,
        ...entry.optionalDependencies,
        ...Object.fromEntries(
          Object.entries(entry.peerDependencies ?? {}).filter(
            ([peer]) => optionalPeers[peer]?.optional !== true,
          ),
        ),
      })) {
        queue.push([location, dep]);
      }
    }
  };
  visit(
    Object.keys(dependencies).map((name) => ['', name]),
    'prod',
  );
  visit(
    Object.keys(devDependencies).map((name) => ['', name]),
    'dev',
  );
  for (const [location, kind] of reached) {
    if (packages[location] !== undefined) continue;
    const { dev: _dev, devOptional, optional, peer: _peer, ...entry } = lock.packages[location]!;
    packages[location] = {
      ...entry,
      resolved: entry.resolved ?? registryTarball(location, entry),
      ...(kind === 'dev' ? { dev: true } : {}),
      ...(optional === true || devOptional === true ? { optional: true } : {}),
    };
  }
  const sorted = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a < b ? -1 : 1)));
  const root = { name: 'liveframe-consumer', version: '1.0.0', dependencies, devDependencies };
  return {
    packageJson: { ...root, private: true, type: 'module' },
    packageLock: {
      name: root.name,
      version: root.version,
      lockfileVersion: 3,
      requires: true,
      packages: { '': root, ...sorted },
    },
  };
}

export interface Consumer extends AsyncDisposable {
  /** The consumer app's directory (outside the repository). */
  readonly dir: string;
  readonly packed: readonly PackedPackage[];
  /** Wall time of `npm install --offline`. */
  readonly installMs: number;
  /** npm install's output, for diagnostics. */
  readonly installLog: string;
}

/**
 * Packs the packages, creates the consumer app in a fresh temp directory, installs it offline.
 * Disposing it removes the directory.
 */
export async function createConsumer(): Promise<Consumer> {
  assertBuilt();
  const root = await mkdtemp(join(tmpdir(), 'liveframe-consumer-'));
  try {
    const dir = join(root, 'app');
    const tarballs = join(root, 'packs');
    const packed = await packAll(tarballs);
    await cp(APP_SOURCE, dir, {
      recursive: true,
      filter: (source) => !/[/\\](node_modules|dist)([/\\]|$)/.test(source),
    });
    const { packageJson, packageLock } = consumerManifests(await repoLock(), packed, dir);
    await writeFile(join(dir, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
    await writeFile(join(dir, 'package-lock.json'), `${JSON.stringify(packageLock, null, 2)}\n`);
    const install = await runOk(
      npm,
      ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts=false', '--foreground-scripts'],
      { cwd: dir, timeoutMs: 600_000 },
    );
    return {
      dir,
      packed,
      installMs: install.ms,
      installLog: `${install.stdout}\n${install.stderr}`,
      [Symbol.asyncDispose]: () => rm(root, { recursive: true, force: true }),
    };
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

/** Typechecks and emits the consumer app with its own installed TypeScript. */
export function compileConsumer(dir: string): Promise<RunResult> {
  return runOk(process.execPath, [join(dir, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
    cwd: dir,
    timeoutMs: 300_000,
  });
}

export interface RunningServer extends AsyncDisposable {
  readonly port: number;
  /** Spawn to the `LISTENING <port>` line. */
  readonly startupMs: number;
  /** Output so far. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts the consumer's server with `node <...nodeArgs>` in `dir` and waits (with a deadline)
 * for its `LISTENING <port>` line. Each server gets its own database file under `dir`.
 */
export function startConsumerServer(
  dir: string,
  nodeArgs: readonly string[],
  options: { dbPath: string; timeoutMs?: number },
): Promise<RunningServer> {
  const started = performance.now();
  const child = spawn(process.execPath, nodeArgs, {
    cwd: dir,
    env: childEnv({ CONSUMER_DB_PATH: options.dbPath, NODE_ENV: 'development' }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    killGroup(child, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const forced = new Promise<'timeout'>((resolveTimeout) => {
      timer = setTimeout(() => resolveTimeout('timeout'), 10_000);
    });
    if ((await Promise.race([exited, forced])) === 'timeout') {
      killGroup(child, 'SIGKILL');
      await exited;
    }
    clearTimeout(timer);
  };
  return new Promise((resolveStart, reject) => {
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop().then(() => reject(error));
    };
    const timer = setTimeout(
      () =>
        fail(
          new Error(`server did not print LISTENING within ${options.timeoutMs ?? 30_000} ms:\n${output}`),
        ),
      options.timeoutMs ?? 30_000,
    );
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const match = /^LISTENING (\d+)$/m.exec(output);
      if (match === null || settled) return;
      settled = true;
      clearTimeout(timer);
      const startupMs = performance.now() - started;
      resolveStart({
        port: Number(match[1]),
        startupMs,
        output: () => output,
        stop,
        [Symbol.asyncDispose]: stop,
      });
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.once('exit', (code, signal) =>
      fail(new Error(`server exited (${code ?? signal}) before listening:\n${output}`)),
    );
    child.once('error', (error) => fail(error));
  });
}
