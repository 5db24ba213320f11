import { describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../src/database.ts';
import { tempDir } from './helpers/temp-dir.ts';

/** Never finishes on its own: only a deadline (or an interrupt) ends it. */
const ENDLESS = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) AS n FROM c';

async function openLocal(): Promise<Database & { [Symbol.asyncDispose](): Promise<void> }> {
  const dir = tempDir('db-core-native-');
  const db = await openDatabase({ mode: 'local', path: dir.file('native.db'), externalChangePollMs: 0 });
  await db.exec('CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, qty INTEGER)');
  await db.run("INSERT INTO items(name, qty) VALUES ('Apple Pie', 2), ('Banana Split', 3), ('Cherry', 4)");
  const close = db.close.bind(db);
  return Object.assign(db, {
    close: async () => {
      await close();
      dir[Symbol.dispose]();
    },
    [Symbol.asyncDispose]: async () => {
      await close();
      dir[Symbol.dispose]();
    },
  });
}

describe('native features on every connection (local mode)', () => {
  it('JS functions and aggregates work on reads, writes, cursors and read-only transactions', async () => {
    await using db = await openLocal();
    db.createFunction('slug', (s) => String(s).toLowerCase().replace(/\W+/g, '-'), { deterministic: true });
    db.createAggregate('product', { start: 1, step: (acc: number, x) => acc * Number(x) });
    expect(db.all('SELECT slug(name) AS s FROM items ORDER BY id')).toEqual([
      { s: 'apple-pie' },
      { s: 'banana-split' },
      { s: 'cherry' },
    ]);
    expect(db.get('SELECT product(qty) AS p FROM items')).toEqual({ p: 24 });
    await db.run("INSERT INTO items(name) VALUES (slug('Write Path'))"); // runs on the writer
    const fromCursor: unknown[] = [];
    for await (const row of db.cursor('SELECT slug(name) AS s FROM items WHERE id = 4')) fromCursor.push(row);
    expect(fromCursor).toEqual([{ s: 'write-path' }]);
    const { value } = await db.transaction(
      async (tx) => tx.get('SELECT product(qty) AS p FROM items WHERE qty > 0'),
      {
        behavior: 'read-only',
      },
    );
    expect(value).toEqual({ p: 24 });
  });

  it('a throwing function fails the statement with FUNCTION_ERROR and its cause', async () => {
    await using db = await openLocal();
    db.createFunction('boom', () => {
      throw new Error('no such luck');
    });
    let caught: unknown;
    try {
      db.all('SELECT boom() AS x');
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'FUNCTION_ERROR', sql: 'SELECT boom() AS x' });
    expect(db.all('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('limits apply everywhere, including connections opened later', async () => {
    await using db = await openLocal();
    const before = db.limit('LENGTH');
    expect(db.limit('LENGTH', 10)).toBe(before);
    expect(db.limit('LENGTH')).toBe(10);
    expect(() => db.get("SELECT 'much longer than ten' AS s")).toThrow(
      expect.objectContaining({ code: 'LIMIT_EXCEEDED' }),
    );
    await expect(db.run("INSERT INTO items(name) VALUES ('much longer than ten')")).rejects.toMatchObject({
      code: 'LIMIT_EXCEEDED',
    });
    await expect(async () => {
      for await (const _ of db.cursor("SELECT 'much longer than ten' AS s")) {
        // the cursor runs on a pooled connection opened after the limit was set
      }
    }).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
    expect(() => db.limit('NOT_A_LIMIT' as never, 1)).toThrow(
      expect.objectContaining({ code: 'BAD_PARAMS' }),
    );
  });

  it('the authorizer denies, including statements cached before it was set, and can be removed', async () => {
    await using db = await openLocal();
    expect(db.all('SELECT name FROM items WHERE id = 1')).toEqual([{ name: 'Apple Pie' }]);
    db.setAuthorizer((action, table) => (action === 'READ' && table === 'items' ? 'deny' : 'ok'));
    expect(() => db.all('SELECT name FROM items WHERE id = 1')).toThrow(
      expect.objectContaining({ code: 'AUTHORIZATION_DENIED' }),
    );
    await expect(db.run('UPDATE items SET qty = qty + 1')).rejects.toMatchObject({
      code: 'AUTHORIZATION_DENIED',
    });
    db.setAuthorizer(null);
    expect(db.all('SELECT name FROM items WHERE id = 1')).toEqual([{ name: 'Apple Pie' }]);
  });

  it('deadlines interrupt reads, cursors and transactions with DEADLINE_EXCEEDED', async () => {
    await using db = await openLocal();
    expect(() => db.get(ENDLESS, [], { timeoutMs: 50 })).toThrow(
      expect.objectContaining({ code: 'DEADLINE_EXCEEDED', sql: ENDLESS }),
    );
    expect(() => db.withDeadline(50, () => db.all(ENDLESS))).toThrow(
      expect.objectContaining({ code: 'DEADLINE_EXCEEDED' }),
    );
    await expect(async () => {
      for await (const _ of db.cursor(ENDLESS, [], { timeoutMs: 50 })) {
        // never yields: count(*) over an endless series
      }
    }).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    await expect(
      db.transaction(
        async (tx) => {
          await tx.run("INSERT INTO items(name) VALUES ('rolled back')");
          await tx.get(ENDLESS);
        },
        { timeoutMs: 50 },
      ),
    ).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(db.get("SELECT count(*) AS n FROM items WHERE name = 'rolled back'")).toEqual({ n: 0 });
    // The deadline ended with its call: the same connections run long statements again.
    expect(db.get('SELECT count(*) AS n FROM generate_series(1, 200000)')).toEqual({ n: 200000 });
    await db.run("INSERT INTO items(name) VALUES ('after')");
    expect(() => db.all('SELECT 1', [], { timeoutMs: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
  });

  it('a commit veto rolls the transaction back with COMMIT_VETOED and publishes nothing', async () => {
    await using db = await openLocal();
    const seen: number[] = [];
    db.setCommitVeto((pending) => {
      seen.push(pending);
      return pending < 2;
    });
    await db.run("INSERT INTO items(name) VALUES ('one row is fine')");
    await expect(
      db.transaction(async (tx) => {
        await tx.run("INSERT INTO items(name) VALUES ('a')");
        await tx.run("INSERT INTO items(name) VALUES ('b')");
      }),
    ).rejects.toMatchObject({ code: 'COMMIT_VETOED' });
    db.setCommitVeto(null);
    expect(seen).toEqual([1, 2]);
    expect(db.all("SELECT name FROM items WHERE name IN ('a', 'b')")).toEqual([]);
    await db.run("INSERT INTO items(name) VALUES ('a')");
    expect(db.all("SELECT name FROM items WHERE name = 'a'")).toEqual([{ name: 'a' }]);
  });

  it('integers beyond 2^53 read back exactly as bigint; others stay numbers', async () => {
    await using db = await openLocal();
    const big = 2n ** 60n + 1n;
    await db.run('INSERT INTO items(id, name, qty) VALUES (?, ?, ?)', [big, 'big', -big]);
    expect(db.get('SELECT id, qty, 7 AS small, 2.5 AS real FROM items WHERE id = ?', [big])).toEqual({
      id: big,
      qty: -big,
      small: 7,
      real: 2.5,
    });
    const streamed: unknown[] = [];
    for await (const row of db.cursor('SELECT id, qty FROM items ORDER BY id DESC LIMIT 2'))
      streamed.push(row);
    expect(streamed).toEqual([
      { id: big, qty: -big },
      { id: 3, qty: 4 },
    ]);
    expect(db.get('SELECT max(id) AS m FROM items WHERE id < 100')).toEqual({ m: 3 });
    db.createFunction('plus_one', (x) => (typeof x === 'bigint' ? x + 1n : Number(x) + 1));
    expect(db.get('SELECT plus_one(id) AS n FROM items WHERE id = ?', [big])).toEqual({ n: big + 1n });
  });
});
