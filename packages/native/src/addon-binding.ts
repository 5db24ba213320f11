import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { NativeError } from './native-error.ts';

/** Columnar batch exactly as the addon hands it over (see commit-batch.ts for the public view). */
export interface RawCommitBatch {
  readonly seq: number;
  readonly walFrames: number;
  readonly framesWritten: number;
  readonly ops: Uint8Array;
  readonly tableIndex: Uint32Array;
  readonly rowids: Float64Array;
  readonly tables: string[];
}

export interface RawFailure {
  readonly code: string;
  readonly message: string;
  readonly cause?: unknown;
}

export interface RawStats {
  readonly registered: boolean;
  readonly closed?: boolean;
  readonly pendingEvents?: number;
  readonly readyBatches?: number;
  readonly seq?: number;
  readonly savepointDepth?: number;
}

/** The functions exported by src/addon/addon-module.cc and js-functions.cc. */
export interface AddonBinding {
  claim(token: string): number;
  detach(id: number): void;
  drain(id: number): { closed: boolean; batches: RawCommitBatch[] } | undefined;
  setAutoDrainHandler(fn: () => void): void;
  setCommitListener(id: number, fn: ((pendingEvents: number) => unknown) | null): void;
  setAuthorizer(
    id: number,
    fn:
      | ((
          action: number,
          a1: string | null,
          a2: string | null,
          db: string | null,
          trigger: string | null,
        ) => number)
      | null,
  ): void;
  setPerEventListener(
    id: number,
    fn: ((op: number, table: string, rowid: number | null) => void) | null,
  ): void;
  setProgress(id: number, everyOps: number, fn: (() => unknown) | null): void;
  setDeadline(id: number, ms: number): void;
  setCapture(id: number, enabled: boolean): void;
  setAutoCheckpoint(id: number, frames: number): void;
  limit(id: number, limitId: number, value: number): number;
  takeFailure(id: number): RawFailure | undefined;
  stats(id: number): RawStats;
  registeredCount(): number;
  runOffThreadForTest(id: number, sql: string): { rc: number; message: string };
  defineFunction(
    id: number,
    name: string,
    arity: number,
    deterministic: boolean,
    fn: (...args: unknown[]) => unknown,
  ): void;
  defineAggregate(
    id: number,
    name: string,
    arity: number,
    deterministic: boolean,
    start: () => unknown,
    step: (acc: unknown, ...args: unknown[]) => unknown,
    result: ((acc: unknown) => unknown) | null,
  ): void;
}

/** Environment variable that overrides the path of the built addon (e.g. a debug build). */
export const ADDON_PATH_ENV = 'LIVEFRAME_ADDON_PATH';

/**
 * Absolute path of the shared object that is both our Node-API addon and the SQLite extension
 * passed to `db.loadExtension()`: `LIVEFRAME_ADDON_PATH`, else a local build (`build/Release`,
 * the repository and the source-build fallback of an install), else the prebuilt one the npm
 * package ships for this platform (`prebuilds/linux-x64-glibc`).
 */
export function addonPath(): string {
  const override = process.env[ADDON_PATH_ENV];
  if (override !== undefined && override !== '') return override;
  const built = fileURLToPath(new URL('../build/Release/liveframe_native.node', import.meta.url));
  if (existsSync(built)) return built;
  const prebuilt = fileURLToPath(
    new URL(`../prebuilds/${platformTag()}/liveframe_native.node`, import.meta.url),
  );
  return existsSync(prebuilt) ? prebuilt : built;
}

/** `linux-x64-glibc`: the directory name of a prebuilt addon (scripts/build-addon.mjs writes it). */
function platformTag(): string {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)
    ?.header;
  const libc =
    process.platform === 'linux' ? (header?.glibcVersionRuntime === undefined ? '-musl' : '-glibc') : '';
  return `${process.platform}-${process.arch}${libc}`;
}

let binding: AddonBinding | undefined;

export function loadAddon(): AddonBinding {
  if (binding !== undefined) return binding;
  const file = addonPath();
  if (!existsSync(file)) {
    throw new NativeError(
      'ADDON_MISSING',
      `the liveframe addon is not built (${file}): reinstall @liveframe/native (it ships a prebuilt for linux-x64-glibc and builds from source elsewhere: needs a C++ toolchain, Python and sqlite3ext.h), or in the liveframe repository run "npm run build -w @liveframe/native"`,
    );
  }
  try {
    binding = createRequire(import.meta.url)(file) as AddonBinding;
  } catch (error) {
    throw new NativeError('ADDON_MISSING', `cannot load the liveframe addon from ${file}`, { cause: error });
  }
  return binding;
}
