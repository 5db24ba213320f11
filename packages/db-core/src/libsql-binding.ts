/**
 * The single place db-core touches the libsql-js binding and our native extension. Everything
 * else works with these narrow interfaces. The binding comes from @liveframe/native's
 * `loadLibsql`, which also guards libsql-js against re-entrant calls from our callbacks (those
 * would abort the process).
 */
import {
  attachExtension,
  type LibsqlDatabase,
  loadLibsql,
  type NativeConnection as NativeExtension,
} from '@liveframe/native';
import type { SqlValue } from './values.ts';

export type { NativeExtension };

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
  safeIntegers(toggle?: boolean): NativeStatement;
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

/** Opens a plain local libsql-js connection (never a replica: see the replica driver for those). */
export function openNativeConnection(path: string): NativeConnection {
  const Database = loadLibsql();
  return new Database(path) as unknown as NativeConnection;
}

/**
 * Loads our extension (change capture, JS functions, limits, authorizer, deadlines) into a
 * local connection. Replica connections refuse it; db-core never asks them.
 */
export function attachNativeExtension(conn: NativeConnection): NativeExtension {
  return attachExtension(conn as unknown as LibsqlDatabase);
}
