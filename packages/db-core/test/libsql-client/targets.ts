import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient as createUpstreamClient } from '@libsql/client';
import type { Client, IntMode, ResultSet } from '@libsql/core/api';
import { startSqld } from '@liveframe/native/testing';
import { afterAll, beforeAll } from 'vitest';
import { type Database, openDatabase } from '../../src/database.ts';
import { createLibsqlClient, type LibsqlClientOptions } from '../../src/libsql-client/libsql-client.ts';

/** One client under test plus what it runs on; dispose releases all of it. */
export interface TargetClient extends AsyncDisposable {
  readonly client: Client;
  readonly database?: Database;
}

export interface Target {
  readonly name: 'upstream' | 'local' | 'replica';
  open(options?: { intMode?: IntMode } & LibsqlClientOptions): Promise<TargetClient>;
}

let counter = 0;

/**
 * The three clients the contract compares: `@libsql/client` itself on a local file (the
 * reference), liveframe's client over a local db-core Database, and over a replica of a real
 * sqld. Each `open` gets a fresh file; replicas share the file's sqld (cases reset their tables).
 */
export function contractTargets(): Target[] {
  const dir = { path: '' };
  let sqld: Awaited<ReturnType<typeof startSqld>> | undefined;
  beforeAll(async () => {
    dir.path = mkdtempSync(join(tmpdir(), 'lf-libsql-client-'));
    sqld = await startSqld();
  });
  afterAll(async () => {
    await sqld?.[Symbol.asyncDispose]();
    rmSync(dir.path, { recursive: true, force: true });
  });
  const file = () => join(dir.path, `db-${++counter}.db`);
  return [
    {
      name: 'upstream',
      async open(options = {}) {
        const client = createUpstreamClient({ url: `file:${file()}`, intMode: options.intMode ?? 'number' });
        return { client, [Symbol.asyncDispose]: async () => client.close() };
      },
    },
    {
      name: 'local',
      async open(options = {}) {
        const database = await openDatabase({ mode: 'local', path: file() });
        const client = createLibsqlClient(database, options);
        return {
          client,
          database,
          [Symbol.asyncDispose]: async () => {
            client.close();
            await database.close();
          },
        };
      },
    },
    {
      name: 'replica',
      async open(options = {}) {
        if (sqld === undefined) throw new Error('sqld did not start');
        const database = await openDatabase({ mode: 'replica', path: file(), syncUrl: sqld.url });
        const client = createLibsqlClient(database, options);
        return {
          client,
          database,
          [Symbol.asyncDispose]: async () => {
            client.close();
            await database.close();
          },
        };
      },
    },
  ];
}

/** A value with its type, so the comparison sees bigint vs number vs string and blob bytes. */
export function tag(value: unknown): unknown {
  if (value instanceof ArrayBuffer) return ['ArrayBuffer', [...new Uint8Array(value)]];
  if (typeof value === 'bigint') return ['bigint', value.toString()];
  if (value === null) return null;
  return [typeof value, value];
}

/** Everything observable about a ResultSet, row shape included (indexes, enumerable keys, length). */
export function snapshot(rs: ResultSet): unknown {
  return {
    columns: rs.columns,
    columnTypes: rs.columnTypes,
    rows: rs.rows.map((row) => ({
      values: Array.from({ length: row.length }, (_, i) => tag(row[i])),
      keys: Object.keys(row),
      named: Object.fromEntries(Object.keys(row).map((k) => [k, tag(row[k])])),
      length: row.length,
      proto: Object.getPrototypeOf(row) === Object.prototype,
      // Every own property with its attributes, in order (index, length and name properties).
      own: Object.getOwnPropertyNames(row).map((name) => {
        const { enumerable, writable, configurable } = Object.getOwnPropertyDescriptor(row, name)!;
        return [name, enumerable, writable, configurable];
      }),
    })),
    rowsAffected: rs.rowsAffected,
    lastInsertRowid: tag(rs.lastInsertRowid),
    json: JSON.stringify(rs.toJSON()),
  };
}

/** An error as a caller can see it: class, codes, message, batch index. */
export function errorShape(error: unknown): unknown {
  if (!(error instanceof Error)) return { thrown: error };
  const e = error as Error & {
    code?: unknown;
    extendedCode?: unknown;
    rawCode?: unknown;
    statementIndex?: unknown;
  };
  return {
    name: e.name,
    code: e.code,
    extendedCode: e.extendedCode,
    rawCode: e.rawCode,
    message: e.message,
    statementIndex: e.statementIndex,
  };
}

/** The outcome of `fn`: its value made comparable, or the error's shape. */
export async function outcome<T>(fn: () => Promise<T>, map: (value: T) => unknown): Promise<unknown> {
  try {
    return { ok: map(await fn()) };
  } catch (error) {
    return { error: errorShape(error) };
  }
}
