import { createRequire } from 'node:module';
import path from 'node:path';
import type { LibsqlDatabase, LibsqlDatabaseConstructor, LibsqlOpenOptions } from './libsql-types.ts';
import { NativeError } from './native-error.ts';
import { assertNotInCallback, installLibsqlGuard } from './reentrancy-guard.ts';

/** Environment variable that overrides where the `libsql` package is loaded from. */
export const LIBSQL_PATH_ENV = 'LIVEFRAME_LIBSQL_PATH';

export interface LoadLibsqlOptions {
  /**
   * A module specifier or path (package directory or entry file) of a libsql-js build.
   * Defaults to `$LIVEFRAME_LIBSQL_PATH`, then the `libsql` dependency.
   */
  path?: string;
}

/**
 * The npm package holding the prebuilt libsql-js binary for this platform, named the way
 * libsql-js itself picks it (`@libsql/linux-x64-gnu`, `@libsql/darwin-arm64`, ...).
 */
export function libsqlPlatformPackage(platform = process.platform, arch = process.arch): string {
  if (platform === 'win32') return `@libsql/win32-${arch}-msvc`;
  if (platform === 'darwin') return `@libsql/darwin-${arch}`;
  if (arch === 'arm') return `@libsql/linux-arm-${isMusl() ? 'musleabihf' : 'gnueabihf'}`;
  return `@libsql/${platform}-${arch}-${isMusl() ? 'musl' : 'gnu'}`;
}

function isMusl(): boolean {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime === undefined;
}

const loaded = new Map<string, LibsqlDatabaseConstructor>();

function resolveEntry(spec: string): string {
  const require = createRequire(import.meta.url);
  const candidate = spec.startsWith('.') ? path.resolve(spec) : spec;
  try {
    return require.resolve(candidate);
  } catch (error) {
    throw new NativeError('LIBSQL_LOAD_FAILED', `cannot find the libsql package at "${spec}"`, {
      cause: error,
    });
  }
}

/**
 * Loads the libsql-js binding and returns its Database constructor, typed and guarded against
 * re-entrant use from our callbacks (which would abort the process).
 *
 * @example
 * const Database = loadLibsql();
 * const db = new Database('/data/app.db');
 * db.exec('PRAGMA journal_mode=WAL');
 */
export function loadLibsql(options: LoadLibsqlOptions = {}): LibsqlDatabaseConstructor {
  const spec = options.path ?? process.env[LIBSQL_PATH_ENV] ?? 'libsql';
  const entry = resolveEntry(spec);
  const cached = loaded.get(entry);
  if (cached !== undefined) return cached;

  const platformPackage = libsqlPlatformPackage();
  const fromLibsql = createRequire(entry);
  try {
    fromLibsql.resolve(platformPackage);
  } catch (error) {
    throw new NativeError(
      'LIBSQL_BINARY_MISSING',
      `libsql-js has no native binary for ${process.platform}-${process.arch}: install the ` +
        `"${platformPackage}" package next to ${path.dirname(entry)} (it is an optional dependency of libsql; ` +
        `npm skips it when installing with --omit=optional or on another platform)`,
      { cause: error },
    );
  }

  let Base: LibsqlDatabaseConstructor;
  try {
    Base = fromLibsql(entry) as LibsqlDatabaseConstructor;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const code = message.includes('@libsql/') ? 'LIBSQL_BINARY_MISSING' : 'LIBSQL_LOAD_FAILED';
    throw new NativeError(code, `cannot load libsql from ${entry}: ${message}`, { cause: error });
  }
  if (typeof Base !== 'function') {
    throw new NativeError('LIBSQL_LOAD_FAILED', `${entry} does not export a Database constructor`);
  }
  installLibsqlGuard(Base);
  const Guarded = guardConstructor(Base);
  loaded.set(entry, Guarded);
  return Guarded;
}

function guardConstructor(Base: LibsqlDatabaseConstructor): LibsqlDatabaseConstructor {
  return class Database extends (Base as new (path: string, options?: LibsqlOpenOptions) => object) {
    constructor(file: string, options?: LibsqlOpenOptions) {
      assertNotInCallback('new Database()');
      super(file, options);
      // inTransaction is a non-configurable own getter created by libsql's constructor that
      // enters Rust too, so it can only be guarded through a proxy.
      // biome-ignore lint/correctness/noConstructorReturn: the proxy is the guarded instance
      return new Proxy(this, {
        get(target, property) {
          if (property === 'inTransaction') assertNotInCallback('Database.inTransaction');
          return Reflect.get(target, property, target);
        },
      });
    }
  } as unknown as new (
    path: string,
    options?: LibsqlOpenOptions,
  ) => LibsqlDatabase;
}
