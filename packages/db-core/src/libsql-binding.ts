/**
 * The single place db-core touches the libsql-js binding. Everything else works with these
 * narrow interfaces, so switching the loader (to @liveframe/native's) is a one-file change.
 */
import { createRequire } from 'node:module';
import type { SqlValue } from './values.ts';

export interface NativeColumn {
  readonly name: string;
  readonly column: string | null;
  readonly table: string | null;
  readonly database: string | null;
  readonly type: string | null;
}

export type NativeArgs = SqlValue[] | Record<string, SqlValue>;

export interface NativeStatement {
  raw(toggle?: boolean): NativeStatement;
  get(args: NativeArgs): unknown;
  all(args: NativeArgs): unknown[];
  iterate(args: NativeArgs): Iterator<unknown>;
  run(args: NativeArgs): { changes: number; lastInsertRowid: number | bigint };
  columns(): NativeColumn[];
  readonly reader: boolean;
}

export interface NativeConnection {
  prepare(sql: string): NativeStatement;
  exec(sql: string): void;
  close(): void;
  interrupt(): void;
  loadExtension(path: string): void;
  readonly inTransaction: boolean;
}

type NativeConstructor = new (path: string, options?: Record<string, unknown>) => NativeConnection;

let constructorCache: NativeConstructor | undefined;

function nativeConstructor(): NativeConstructor {
  // libsql is CommonJS; createRequire keeps its load synchronous and lazy.
  constructorCache ??= createRequire(import.meta.url)('libsql') as NativeConstructor;
  return constructorCache;
}

/** Opens a plain local libsql-js connection (never a replica: see the replica driver for those). */
export function openNativeConnection(path: string): NativeConnection {
  const Ctor = nativeConstructor();
  return new Ctor(path);
}
