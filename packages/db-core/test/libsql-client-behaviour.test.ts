import { join } from 'node:path';
import { LibsqlError } from '@libsql/core/api';
import { startSqld } from '@liveframe/native/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../src/database.ts';
import { DbError } from '../src/errors.ts';
import { createClient } from '../src/libsql-client/create-client.ts';
import { guardLibsqlSource } from '../src/libsql-client/guarded-source.ts';
import { createLibsqlClient } from '../src/libsql-client/libsql-client.ts';
import { collectUntil } from './contract/driver-contract.ts';
import { tempDir } from './helpers/temp-dir.ts';

/** What liveframe's client adds or decides beyond upstream's behaviour, in both modes. */
let sqld: Awaited<ReturnType<typeof startSqld>> | undefined;
const dir = tempDir('lf-client-behaviour-');
beforeAll(async () => {
  sqld = await startSqld();
});
afterAll(async () => {
  await sqld?.[Symbol.asyncDispose]();
  dir[Symbol.dispose]();
});

let files = 0;
const file = () => dir.file(`db-${++files}.db`);
const modes = {
  local: () => openDatabase({ mode: 'local', path: file() }),
  replica: () => openDatabase({ mode: 'replica', path: file(), syncUrl: sqld!.url }),
};

/** A fresh table name per test: replicas share one primary. */
let tables = 0;
const table = () => `bt_${process.pid}_${++tables}`;

/** Rejects after `ms` so a wait that should end never hangs the suite. */
function deadline<T>(promise: Promise<T>, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms);
    }),
  ]);
}

describe('statementKind decides read vs write from the engine', () => {
  it('classifies reads, writes, DDL, transaction control and state-changing PRAGMAs', async () => {
    await using db = await modes.local();
    await db.exec('CREATE TABLE k(id INTEGER PRIMARY KEY, v TEXT)');
    const kinds = Object.fromEntries(
      [
        'SELECT * FROM k',
        'WITH x AS (SELECT 1) SELECT * FROM x',
        'SELECT 1',
        'PRAGMA table_info(k)',
        'PRAGMA user_version',
        'INSERT INTO k(v) VALUES (1) RETURNING id',
        'WITH x AS (SELECT 1 AS v) INSERT INTO k(v) SELECT v FROM x',
        'UPDATE k SET v = 1',
        'CREATE TABLE k2(x)',
        'BEGIN',
        'PRAGMA foreign_keys = OFF',
        'PRAGMA user_version = 3',
        'PRAGMA journal_mode',
        'SELECT * FROM not_synced_yet',
      ].map((sql) => [sql, db.statementKind(sql)]),
    );
    expect(kinds).toEqual({
      'SELECT * FROM k': 'read',
      'WITH x AS (SELECT 1) SELECT * FROM x': 'read',
      'SELECT 1': 'read',
      'PRAGMA table_info(k)': 'read',
      'PRAGMA user_version': 'read',
      'INSERT INTO k(v) VALUES (1) RETURNING id': 'write',
      'WITH x AS (SELECT 1 AS v) INSERT INTO k(v) SELECT v FROM x': 'write',
      'UPDATE k SET v = 1': 'write',
      'CREATE TABLE k2(x)': 'write',
      BEGIN: 'write',
      'PRAGMA foreign_keys = OFF': 'write',
      'PRAGMA user_version = 3': 'write',
      'PRAGMA journal_mode': 'write',
      // Does not prepare here: the write path (the primary in replica mode) answers it.
      'SELECT * FROM not_synced_yet': 'write',
    });
  });
});

for (const mode of ['local', 'replica'] as const) {
  describe(`liveframe client, ${mode} mode`, () => {
    it('an abandoned transaction is rolled back at its deadline and frees the writer', async () => {
      await using db = await modes[mode]();
      const t = table();
      await db.exec(`CREATE TABLE ${t}(id INTEGER PRIMARY KEY, v TEXT)`);
      const client = createLibsqlClient(db, { transactionTimeoutMs: 300 });
      const tx = await client.transaction('write');
      await tx.execute(`INSERT INTO ${t}(v) VALUES ('abandoned')`);
      // db-core's own writes wait behind the client's transaction, then go through once it expires.
      const write = await deadline(db.run(`INSERT INTO ${t}(v) VALUES ('after')`));
      expect(write.changes).toBe(1);
      expect(tx.closed).toBe(true);
      await expect(tx.execute('SELECT 1')).rejects.toMatchObject({ code: 'TRANSACTION_TIMEOUT' });
      await expect(tx.commit()).rejects.toMatchObject({ code: 'TRANSACTION_TIMEOUT' });
      expect(db.all(`SELECT v FROM ${t}`)).toEqual([{ v: 'after' }]);
    });

    it("writes wait for the client's own open transaction up to `timeout`, else SQLITE_BUSY; reads never wait", async () => {
      await using db = await modes[mode]();
      const t = table();
      await db.exec(`CREATE TABLE ${t}(id INTEGER PRIMARY KEY, v TEXT)`);
      const impatient = createLibsqlClient(db);
      const tx = await impatient.transaction('write');
      await expect(impatient.execute(`INSERT INTO ${t}(v) VALUES ('x')`)).rejects.toMatchObject({
        code: 'SQLITE_BUSY',
        rawCode: 5,
      });
      expect((await impatient.execute(`SELECT count(*) AS n FROM ${t}`)).rows[0]?.n).toBe(0);
      await tx.rollback();

      const patient = createLibsqlClient(db, { timeout: 10_000 });
      const tx2 = await patient.transaction('write');
      await tx2.execute(`INSERT INTO ${t}(v) VALUES ('in tx')`);
      const waiting = patient.execute(`INSERT INTO ${t}(v) VALUES ('after tx')`);
      await tx2.commit();
      await deadline(waiting);
      expect(db.all(`SELECT v FROM ${t} ORDER BY id`)).toEqual([{ v: 'in tx' }, { v: 'after tx' }]);
    });

    it('close() rolls back the open transactions of the client and frees the writer', async () => {
      await using db = await modes[mode]();
      const t = table();
      await db.exec(`CREATE TABLE ${t}(id INTEGER PRIMARY KEY, v TEXT)`);
      const client = createLibsqlClient(db);
      const tx = await client.transaction('write');
      await tx.execute(`INSERT INTO ${t}(v) VALUES ('never')`);
      client.close();
      expect(tx.closed).toBe(true);
      await deadline(db.run(`INSERT INTO ${t}(v) VALUES ('next')`));
      expect(db.all(`SELECT v FROM ${t}`)).toEqual([{ v: 'next' }]);
      await expect(tx.execute('SELECT 1')).rejects.toMatchObject({ code: 'TRANSACTION_CLOSED' });
    });

    it('exposes the newest write position (lastWritePosition, onWrite) for read-your-writes', async () => {
      await using db = await modes[mode]();
      const t = table();
      await db.exec(`CREATE TABLE ${t}(id INTEGER PRIMARY KEY, v TEXT)`);
      const seen: unknown[] = [];
      const client = createLibsqlClient(db, { onWrite: (p) => seen.push(p) });
      expect(client.lastWritePosition).toBeNull();
      await client.execute(`SELECT * FROM ${t}`);
      expect(client.lastWritePosition).toBeNull();
      await client.execute(`INSERT INTO ${t}(v) VALUES ('a')`);
      const first = client.lastWritePosition!;
      await client.batch([`INSERT INTO ${t}(v) VALUES ('b')`], 'write');
      const tx = await client.transaction('write');
      await tx.execute(`INSERT INTO ${t}(v) VALUES ('c')`);
      await tx.commit();
      const last = client.lastWritePosition!;
      expect(seen).toHaveLength(3);
      expect(seen.at(-1)).toEqual(last);
      expect(last.frame).toBeGreaterThan(first.frame);
      expect(await db.waitForFrame(last, { timeoutMs: 5_000 })).toMatchObject({ status: 'reached' });
      expect(db.all(`SELECT v FROM ${t} ORDER BY id`)).toEqual([{ v: 'a' }, { v: 'b' }, { v: 'c' }]);
    });

    it('a read transaction sees a snapshot and refuses writes (upstream lets them through locally)', async () => {
      await using db = await modes[mode]();
      const t = table();
      await db.exec(`CREATE TABLE ${t}(id INTEGER PRIMARY KEY, v TEXT)`);
      await db.run(`INSERT INTO ${t}(v) VALUES ('a')`);
      const client = createLibsqlClient(db);
      const tx = await client.transaction('read');
      expect((await tx.execute(`SELECT v FROM ${t}`)).rows.map((r) => r.v)).toEqual(['a']);
      await expect(tx.execute(`INSERT INTO ${t}(v) VALUES ('b')`)).rejects.toMatchObject({
        code: 'SQLITE_READONLY',
      });
      await tx.commit();
      await expect(client.batch([`INSERT INTO ${t}(v) VALUES ('b')`], 'read')).rejects.toMatchObject({
        code: 'SQLITE_READONLY',
        statementIndex: 0,
      });
    });

    it('multi-statement texts in execute fail with SQL_MANY_STATEMENTS (upstream runs the first only)', async () => {
      await using db = await modes[mode]();
      const client = createLibsqlClient(db);
      await expect(client.execute('SELECT 1; SELECT 2')).rejects.toMatchObject({
        code: 'SQL_MANY_STATEMENTS',
      });
      await expect(client.execute('SELECT :a', { nope: 1 })).rejects.toMatchObject({ code: 'ARGS_INVALID' });
    });
  });
}

describe('guardLibsqlSource: every statement passes the check first (the server’s request-scoped wrapper)', () => {
  it('checks reads, writes, batches, scripts and transaction statements; a refusal reaches the caller', async () => {
    await using db = await modes.local();
    await db.exec('CREATE TABLE open_t(id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE secret(x)');
    const seen: [string, unknown][] = [];
    const client = createLibsqlClient(
      guardLibsqlSource(db, (sql, params) => {
        if (/secret/i.test(sql)) throw new DbError('AUTHORIZATION_DENIED', 'no access to secret', { sql });
        seen.push([sql, params]);
      }),
    );
    await client.execute({ sql: 'INSERT INTO open_t(v) VALUES (?)', args: ['a'] });
    await client.execute('SELECT v FROM open_t WHERE id = :id', { id: 1 });
    await client.batch(['SELECT 1', "INSERT INTO open_t(v) VALUES ('b')"], 'write');
    await client.executeMultiple("INSERT INTO open_t(v) VALUES ('c'); DELETE FROM open_t WHERE v = 'c'");
    const tx = await client.transaction('write');
    await tx.execute("UPDATE open_t SET v = 'A' WHERE id = 1");
    await tx.executeMultiple("INSERT INTO open_t(v) VALUES ('d')");
    await tx.commit();
    expect(seen).toEqual([
      ['INSERT INTO open_t(v) VALUES (?)', ['a']],
      ['SELECT v FROM open_t WHERE id = :id', { id: 1 }],
      ['SELECT 1', []],
      ["INSERT INTO open_t(v) VALUES ('b')", []],
      ["INSERT INTO open_t(v) VALUES ('c')", undefined],
      ["DELETE FROM open_t WHERE v = 'c'", undefined],
      ["UPDATE open_t SET v = 'A' WHERE id = 1", []],
      ["INSERT INTO open_t(v) VALUES ('d')", undefined],
    ]);
    await expect(client.execute('SELECT * FROM secret')).rejects.toMatchObject({
      name: 'LibsqlError',
      code: 'AUTHORIZATION_DENIED',
    });
    await expect(client.batch(['SELECT 1', 'SELECT * FROM secret'])).rejects.toMatchObject({
      name: 'LibsqlBatchError',
      code: 'AUTHORIZATION_DENIED',
    });
    await expect(client.executeMultiple('SELECT 1; DELETE FROM secret')).rejects.toMatchObject({
      code: 'AUTHORIZATION_DENIED',
    });
    const tx2 = await client.transaction('write');
    await expect(tx2.execute('DELETE FROM secret')).rejects.toMatchObject({ code: 'AUTHORIZATION_DENIED' });
    await tx2.rollback();
    expect(db.all('SELECT v FROM open_t ORDER BY id')).toEqual([{ v: 'A' }, { v: 'b' }, { v: 'd' }]);
  });
});

describe('replica mode specifics', () => {
  it('sync() reports { frame_no, frames_synced } and brings other servers’ writes; local mode refuses it', async () => {
    await using a = await modes.replica();
    await using b = await modes.replica();
    const t = table();
    const clientA = createLibsqlClient(a);
    const clientB = createLibsqlClient(b);
    await clientA.executeMultiple(`CREATE TABLE ${t}(id INTEGER PRIMARY KEY, v TEXT)`);
    await clientA.execute(`INSERT INTO ${t}(v) VALUES ('from a')`);
    const synced = await clientB.sync();
    expect(synced).toEqual({ frame_no: expect.any(Number), frames_synced: expect.any(Number) });
    expect(synced!.frame_no).toBeGreaterThanOrEqual(clientA.lastWritePosition!.frame);
    expect((await clientB.execute(`SELECT v FROM ${t}`)).rows.map((r) => r.v)).toEqual(['from a']);
    await using local = await modes.local();
    await expect(createLibsqlClient(local).sync()).rejects.toMatchObject({ code: 'SYNC_NOT_SUPPORTED' });
  });

  it('writes through the client reach the change stream (replicated change log)', async () => {
    await using db = await modes.replica();
    const t = table();
    await db.exec(`CREATE TABLE ${t}(id INTEGER PRIMARY KEY, v TEXT)`);
    await db.installChangeLog();
    const client = createLibsqlClient(db);
    const abort = new AbortController();
    const collected = collectUntil(db.changes({ signal: abort.signal }), (events) =>
      events.some((e) => e.type === 'changes' && e.changeSet.changes.some((c) => c.table === t)),
    );
    await client.execute({ sql: `INSERT INTO ${t}(v) VALUES (?)`, args: ['x'] });
    const events = await collected;
    abort.abort();
    const change = events
      .flatMap((e) => (e.type === 'changes' ? e.changeSet.changes : []))
      .find((c) => c.table === t);
    expect(change).toEqual({ table: t, op: 'insert', rowid: 1 });
  });
});

describe('createClient: the drop-in', () => {
  it('opens a local file, runs, and closes its database', async () => {
    const path = file();
    const client = createClient({ url: `file:${path}`, intMode: 'bigint' });
    await client.execute('CREATE TABLE d(id INTEGER PRIMARY KEY, v TEXT)');
    await client.execute({ sql: 'INSERT INTO d(v) VALUES (?)', args: ['x'] });
    expect((await client.execute('SELECT id, v FROM d')).rows[0]?.id).toBe(1n);
    await client.closeAsync();
    expect(client.closed).toBe(true);
    await expect(client.execute('SELECT 1')).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
    client.reconnect();
    expect((await client.execute('SELECT count(*) AS n FROM d')).rows[0]?.n).toBe(1n);
    await client.closeAsync();
  });

  it('opens an embedded replica with syncUrl', async () => {
    const t = table();
    const client = createClient({ url: `file:${file()}`, syncUrl: sqld!.url });
    await client.executeMultiple(`CREATE TABLE ${t}(id INTEGER PRIMARY KEY, v TEXT)`);
    const inserted = await client.execute(`INSERT INTO ${t}(v) VALUES ('r') RETURNING id`);
    expect(inserted.rows[0]?.id).toBe(1);
    expect(client.lastWritePosition?.frame).toBeGreaterThan(0);
    expect(await client.sync()).toMatchObject({ frame_no: expect.any(Number) });
    await client.closeAsync();
  });

  it('refuses what it cannot serve with upstream-style errors', () => {
    expect(() => createClient({ url: 'libsql://example.turso.io' })).toThrow(
      expect.objectContaining({ code: 'URL_SCHEME_NOT_SUPPORTED' }),
    );
    expect(() => createClient({ url: 'http://127.0.0.1:8080' })).toThrow(LibsqlError);
    expect(() => createClient({ url: ':memory:' })).toThrow(expect.objectContaining({ code: 'URL_INVALID' }));
    expect(() => createClient({ url: `file:${join(dir.path, 'x.db')}`, intMode: 'float' as never })).toThrow(
      TypeError,
    );
  });
});

// Keep the Database type import used for readers of this file.
export type { Database };
