import { symlinkSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/database.ts';
import { DbError } from '../src/errors.ts';
import { tempDir } from './helpers/temp-dir.ts';

async function seededDb(file: string) {
  const db = await openDatabase({ mode: 'local', path: file });
  await db.exec(`
    CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL);
    CREATE TABLE posts(id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, title TEXT);
    CREATE INDEX posts_user ON posts(user_id);
    CREATE TABLE audit(id INTEGER PRIMARY KEY, msg TEXT);
    CREATE TABLE tags(post_id INTEGER, tag TEXT);
    CREATE TRIGGER posts_ai AFTER INSERT ON posts BEGIN
      INSERT INTO audit(msg) SELECT name FROM users WHERE id = new.user_id;
    END;
    CREATE VIEW post_authors AS SELECT p.title, u.name FROM posts p JOIN users u ON u.id = p.user_id;
  `);
  await db.transaction(async (tx) => {
    for (let i = 1; i <= 500; i++) {
      await tx.run('INSERT INTO users(id, name) VALUES (?, ?)', [i, `user${i}`]);
      await tx.run('INSERT INTO posts(user_id, title) VALUES (?, ?)', [i, `post${i}`]);
    }
  });
  return db;
}

const tables = (rs: { tables: ReadonlyMap<string, unknown> }) => Object.fromEntries(rs.tables);

describe('openDatabase options', () => {
  it.each([
    [{ mode: 'nope', path: 'x' }],
    [{ mode: 'local', path: '' }],
    [{ mode: 'local', path: ':memory:' }],
    [{ mode: 'local', path: 'x.db', busyTimeoutMs: -1 }],
    [{ mode: 'local', path: 'x.db', syncUrl: 'http://x' }],
    [{ mode: 'replica', path: 'x.db', syncUrl: 'ftp://x' }],
    [{ mode: 'replica', path: 'x.db' }],
  ])('rejects %j with INVALID_OPTIONS', async (options) => {
    await expect(openDatabase(options as never)).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
  });
});

describe('Database (local)', () => {
  it('streams a large result with a cursor and releases it on break', async () => {
    using dir = tempDir();
    await using db = await seededDb(dir.file('a.db'));
    let count = 0;
    for await (const row of db.cursor<{ id: number }>('SELECT id FROM users ORDER BY id', undefined, {
      batchSize: 64,
    })) {
      count++;
      expect(row.id).toBe(count);
    }
    expect(count).toBe(500);
    for await (const row of db.cursor<{ id: number }>('SELECT id FROM users WHERE id > ?', [10])) {
      if (row.id === 20) break;
    }
    // Nothing pins a snapshot: a write and a fresh read both work.
    await db.run("INSERT INTO users(name) VALUES ('after cursor')");
    expect(db.get('SELECT count(*) AS n FROM users')).toEqual({ n: 501 });
  });

  it('cursors stop on abort with INTERRUPTED and report bad SQL as DbError', async () => {
    using dir = tempDir();
    await using db = await seededDb(dir.file('a.db'));
    const controller = new AbortController();
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const row of db.cursor<{ id: number }>('SELECT id FROM users', [], {
          batchSize: 10,
          signal: controller.signal,
        })) {
          seen.push(row.id);
          if (seen.length === 15) controller.abort();
        }
      })(),
    ).rejects.toMatchObject({ code: 'INTERRUPTED' });
    expect(seen.length).toBeLessThan(500);
    const bad = db.cursor('SELECT * FROM missing');
    await expect(bad.next()).rejects.toBeInstanceOf(DbError);
  });

  it('describes columns and parameters', async () => {
    using dir = tempDir();
    await using db = await seededDb(dir.file('a.db'));
    const info = db.describe(
      'SELECT u.id AS uid, u.name, length(p.title) AS len FROM users u JOIN posts p ON p.user_id = u.id WHERE u.id = :id AND p.title <> ?5',
    );
    expect(info.columnCount).toBe(3);
    expect(info.columns[0]).toEqual({
      name: 'uid',
      declaredType: 'INTEGER',
      originTable: 'users',
      originColumn: 'id',
      database: 'main',
    });
    expect(info.columns[2]).toMatchObject({ name: 'len', declaredType: null, originTable: null });
    expect(info.parameterCount).toBe(5);
    expect(info.parameterNames).toEqual([':id', null, null, null, null]);
    expect(db.describe('SELECT ?, ?').parameterNames).toEqual([null, null]);
    expect(db.describe("SELECT ':not_a_param', $a, @b, :a").parameterNames).toEqual(['$a', '@b', ':a']);
    expect(db.describe('INSERT INTO audit(msg) VALUES (?)')).toMatchObject({
      columnCount: 0,
      returnsRows: false,
      parameterCount: 1,
    });
  });

  it('computes read-sets from EXPLAIN: point lookups, joins, views, subqueries, CTEs, triggers', async () => {
    using dir = tempDir();
    await using db = await seededDb(dir.file('a.db'));
    expect(tables(db.readSet('SELECT * FROM users WHERE id = ?', [7]))).toEqual({
      users: { kind: 'rowids', rowids: new Set([7]) },
    });
    expect(tables(db.readSet('SELECT * FROM users WHERE id = :id', { id: 9 }))).toEqual({
      users: { kind: 'rowids', rowids: new Set([9]) },
    });
    expect(tables(db.readSet('SELECT * FROM users WHERE id = 5'))).toEqual({
      users: { kind: 'rowids', rowids: new Set([5]) },
    });
    expect(tables(db.readSet('SELECT * FROM users WHERE name = ?', ['x']))).toEqual({
      users: { kind: 'all' },
    });
    expect(tables(db.readSet('SELECT * FROM Users'))).toEqual({ users: { kind: 'all' } });
    // Join: the point lookup stays a point lookup, the index-driven side is `all`.
    expect(
      tables(db.readSet('SELECT p.* FROM posts p JOIN users u ON u.id = p.user_id WHERE u.id = ?', [3])),
    ).toEqual({
      users: { kind: 'rowids', rowids: new Set([3]) },
      posts: { kind: 'all' },
    });
    expect(tables(db.readSet('SELECT * FROM post_authors'))).toEqual({
      users: expect.anything(),
      posts: { kind: 'all' },
    });
    expect(
      [
        ...db
          .readSet('SELECT * FROM users WHERE id IN (SELECT user_id FROM posts WHERE title = ?)', ['x'])
          .tables.keys(),
      ].sort(),
    ).toEqual(['posts', 'users']);
    expect(
      [
        ...db
          .readSet('SELECT * FROM users u WHERE EXISTS (SELECT 1 FROM tags t WHERE t.post_id = u.id)')
          .tables.keys(),
      ].sort(),
    ).toEqual(['tags', 'users']);
    expect(
      [
        ...db
          .readSet(
            'WITH recent AS (SELECT * FROM posts ORDER BY id DESC LIMIT 5) SELECT * FROM recent JOIN users ON users.id = recent.user_id',
          )
          .tables.keys(),
      ].sort(),
    ).toEqual(['posts', 'users']);
    // The trigger on posts reads users and writes audit.
    expect(
      [...db.readSet('INSERT INTO posts(user_id, title) VALUES (?, ?)', [1, 't']).tables.keys()].sort(),
    ).toEqual(['audit', 'posts', 'users']);
    // Unusable key values fall back to `all`.
    expect(tables(db.readSet('SELECT * FROM users WHERE id = ?', ['abc']))).toEqual({
      users: { kind: 'all' },
    });
  });

  it('refreshes cached read-sets after a schema change', async () => {
    using dir = tempDir();
    await using db = await seededDb(dir.file('a.db'));
    expect(tables(db.readSet('SELECT * FROM users WHERE name = ?', ['x']))).toEqual({
      users: { kind: 'all' },
    });
    await db.exec('DROP VIEW post_authors; CREATE VIEW post_authors AS SELECT title FROM posts');
    expect([...db.readSet('SELECT * FROM post_authors').tables.keys()]).toEqual(['posts']);
  });

  it('loads extensions only from the allowlist (by realpath)', async () => {
    using dir = tempDir();
    const fake = dir.file('fake-ext.so');
    writeFileSync(fake, 'not a shared object');
    symlinkSync(fake, dir.file('link.so'));
    await using db = await openDatabase({ mode: 'local', path: dir.file('a.db'), allowedExtensions: [fake] });
    expect(() => db.loadExtension(dir.file('other.so'))).toThrow(
      expect.objectContaining({ code: 'EXTENSION_NOT_ALLOWED' }),
    );
    expect(() => db.loadExtension('/usr/lib/x86_64-linux-gnu/libc.so.6')).toThrow(
      expect.objectContaining({ code: 'EXTENSION_NOT_ALLOWED' }),
    );
    // Allowed (through a symlink too), but not a valid extension: the engine's error, typed.
    expect(() => db.loadExtension(dir.file('link.so'))).toThrow(DbError);
    expect(() => db.loadExtension(dir.file('link.so'))).not.toThrow(
      expect.objectContaining({ code: 'EXTENSION_NOT_ALLOWED' }),
    );
  });

  it('refuses everything after close with CLOSED', async () => {
    using dir = tempDir();
    const db = await seededDb(dir.file('a.db'));
    await db.close();
    expect(() => db.get('SELECT 1')).toThrow(expect.objectContaining({ code: 'CLOSED' }));
    expect(() => db.readSet('SELECT 1')).toThrow(expect.objectContaining({ code: 'CLOSED' }));
    expect(() => db.cursor('SELECT 1')).toThrow(expect.objectContaining({ code: 'CLOSED' }));
    await expect(db.exec('SELECT 1')).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
