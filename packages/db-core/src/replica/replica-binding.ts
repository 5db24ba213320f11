import { createRequire } from 'node:module';
import type { NativeArgs } from '../libsql-binding.ts';

/**
 * The libsql-js embedded-replica connection, narrowed to what the replica worker may do with it.
 * Deliberately absent: `get()` and statement reuse (engine bugs on replica connections: a row
 * returned by `get()` pins a stale snapshot; a reused statement ignores new bind values). Every
 * call prepares a fresh statement and reads with `all()`.
 */
export interface ReplicaConnection {
  /** Pulls frames from the primary; `frameNo` is undefined before the primary's first frame. */
  sync(): { framesSynced: number; frameNo: number | undefined };
  run(sql: string, args: NativeArgs): { changes: number; lastInsertRowid: bigint };
  all(sql: string, args: NativeArgs): unknown[];
  exec(sql: string): void;
  readonly inTransaction: boolean;
  close(): void;
}

interface RawStatement {
  run(args: NativeArgs): { changes: number; lastInsertRowid: number | bigint };
  all(args: NativeArgs): unknown[];
}

interface RawReplica {
  sync(): { frames_synced: number; frame_no: number | undefined };
  prepare(sql: string): RawStatement;
  exec(sql: string): void;
  close(): void;
  readonly inTransaction: boolean;
}

type RawConstructor = new (path: string, options: Record<string, unknown>) => RawReplica;

/**
 * Opens (and, when missing, creates) the replica file. Must happen before any other connection
 * touches the file, or libsql refuses to sync it ("Can not sync a database without a wal_index").
 */
export function openReplicaConnection(
  file: string,
  syncUrl: string,
  authToken: string | undefined,
): ReplicaConnection {
  const Ctor = createRequire(import.meta.url)('libsql') as RawConstructor;
  const raw = new Ctor(file, { syncUrl, authToken: authToken ?? '', readYourWrites: true });
  return {
    sync() {
      const result = raw.sync();
      return { framesSynced: result.frames_synced, frameNo: result.frame_no ?? undefined };
    },
    run(sql, args) {
      const result = raw.prepare(sql).run(args);
      return { changes: result.changes, lastInsertRowid: BigInt(result.lastInsertRowid) };
    },
    all(sql, args) {
      return raw.prepare(sql).all(args);
    },
    exec(sql) {
      raw.exec(sql);
    },
    get inTransaction() {
      return raw.inTransaction;
    },
    close() {
      raw.close();
    },
  };
}
