import { DbError } from './errors.ts';

interface CommonOpenOptions {
  /** Database file. */
  readonly path: string;
  /** Lock wait before BUSY, per connection. Default 5000. */
  readonly busyTimeoutMs?: number;
  /** Prepared statements cached per connection. Default 128. */
  readonly statementCacheSize?: number;
  /** Extension files `loadExtension` may load (compared by realpath); everything else is refused. */
  readonly allowedExtensions?: readonly string[];
}

export interface LocalOpenOptions extends CommonOpenOptions {
  readonly mode: 'local';
  /** Poll interval for commits by other processes on the same file; 0 disables. Default 250. */
  readonly externalChangePollMs?: number;
}

export interface ReplicaOpenOptions extends CommonOpenOptions {
  readonly mode: 'replica';
  /** The primary (sqld's HTTP port locally, a Turso URL in production). */
  readonly syncUrl: string;
  readonly authToken?: string;
  /** Periodic background sync; 0 or absent syncs only on demand. */
  readonly syncIntervalMs?: number;
}

export type OpenOptions = LocalOpenOptions | ReplicaOpenOptions;

/** Validates open options by hand (db-core has no schema library) with typed INVALID_OPTIONS errors. */
export function validateOpenOptions(input: unknown): OpenOptions {
  if (typeof input !== 'object' || input === null) fail('options must be an object');
  const o = input as Record<string, unknown>;
  if (o.mode !== 'local' && o.mode !== 'replica')
    fail(`mode must be 'local' or 'replica', got ${String(o.mode)}`);
  if (typeof o.path !== 'string' || o.path.length === 0) fail('path must be a non-empty string');
  if (o.path === ':memory:') fail('path must be a file: readers and the writer share it through WAL');
  optionalNonNegativeInt(o, 'busyTimeoutMs');
  optionalNonNegativeInt(o, 'statementCacheSize');
  if (o.allowedExtensions !== undefined) {
    if (!Array.isArray(o.allowedExtensions) || !o.allowedExtensions.every((p) => typeof p === 'string')) {
      fail('allowedExtensions must be an array of paths');
    }
  }
  if (o.mode === 'local') {
    optionalNonNegativeInt(o, 'externalChangePollMs');
    for (const key of ['syncUrl', 'authToken', 'syncIntervalMs']) {
      if (o[key] !== undefined) fail(`${key} is only valid in replica mode`);
    }
    return o as unknown as LocalOpenOptions;
  }
  if (typeof o.syncUrl !== 'string' || !/^(https?|libsql|wss?):\/\//.test(o.syncUrl)) {
    fail('syncUrl must be an http(s):// or libsql:// URL');
  }
  if (o.authToken !== undefined && typeof o.authToken !== 'string') fail('authToken must be a string');
  optionalNonNegativeInt(o, 'syncIntervalMs');
  return o as unknown as ReplicaOpenOptions;
}

function optionalNonNegativeInt(o: Record<string, unknown>, key: string): void {
  const value = o[key];
  if (value !== undefined && !(typeof value === 'number' && Number.isInteger(value) && value >= 0)) {
    fail(`${key} must be a non-negative integer`);
  }
}

function fail(message: string): never {
  throw new DbError('INVALID_OPTIONS', message);
}
