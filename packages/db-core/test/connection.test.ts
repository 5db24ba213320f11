import { describe, expect, it } from 'vitest';
import { Connection } from '../src/connection.ts';
import { DbError } from '../src/errors.ts';
import { tempDir } from './helpers/temp-dir.ts';

function seeded(file: string): Connection {
  const conn = Connection.open(file);
  conn.exec('PRAGMA journal_mode=WAL; CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v REAL, b BLOB)');
  for (let i = 1; i <= 150; i++)
    conn.run('INSERT INTO t(id, name, v) VALUES (?, ?, ?)', [i * 10, `n${i}`, i / 2]);
  return conn;
}

describe('Connection', () => {
  it('returns plain rows without libsql metadata', () => {
    using dir = tempDir();
    using conn = seeded(dir.file('a.db'));
    const row = conn.get('SELECT * FROM t WHERE id = ?', [10]);
    expect(row).toEqual({ id: 10, name: 'n1', v: 0.5, b: null });
    expect(Object.keys(row!)).not.toContain('_metadata');
    expect(conn.all('SELECT id FROM t WHERE id <= ?', [30])).toEqual([{ id: 10 }, { id: 20 }, { id: 30 }]);
    expect(conn.values('SELECT id, name FROM t WHERE id = ?', [20])).toEqual([[20, 'n2']]);
  });

  it('is immune to the libsql-js "get() after all() reuses old binds" bug', () => {
    using dir = tempDir();
    using conn = seeded(dir.file('a.db'));
    const sql = 'SELECT id FROM t WHERE id = ?';
    const seen: unknown[] = [];
    for (const id of [10, 20, 30, 40, 50]) {
      seen.push(id === 20 || id === 50 ? conn.get(sql, [id])?.id : conn.all(sql, [id])[0]?.id);
    }
    expect(seen).toEqual([10, 20, 30, 40, 50]);
    // Same after a cursor over the same SQL text.
    const it = conn.openIterator(sql, [60]);
    expect(it.nextBatch(10)).toEqual([[60]]);
    expect(conn.get(sql, [70])?.id).toBe(70);
  });

  it('cached statements rebind on every use (thousands of point reads, zero wrong rows)', () => {
    using dir = tempDir();
    using conn = seeded(dir.file('a.db'));
    let wrong = 0;
    for (let i = 0; i < 3000; i++) {
      const id = ((i * 7) % 150) * 10 + 10;
      if (i % 3 === 0 && conn.get('SELECT id FROM t WHERE id = ?', [id])?.id !== id) wrong++;
      if (i % 3 === 1 && conn.all('SELECT id FROM t WHERE id = ?', [id])[0]?.id !== id) wrong++;
      if (i % 3 === 2 && conn.get('SELECT id FROM t WHERE id = :id', { id })?.id !== id) wrong++;
    }
    expect(wrong).toBe(0);
  });

  it('bounds the statement cache and evicts the least recently used', () => {
    using dir = tempDir();
    const conn = Connection.open(dir.file('b.db'), { statementCacheSize: 4 });
    for (let i = 0; i < 10; i++) expect(conn.get(`SELECT ${i} AS x`)).toEqual({ x: i });
    expect(conn.cacheStats.size).toBe(4);
    expect(conn.cacheStats.evictions).toBe(6);
    conn.close();
  });

  it('sees schema changes through cached statements', () => {
    using dir = tempDir();
    using conn = seeded(dir.file('a.db'));
    expect(Object.keys(conn.get('SELECT * FROM t WHERE id = ?', [10])!)).toEqual(['id', 'name', 'v', 'b']);
    conn.exec('ALTER TABLE t ADD COLUMN extra TEXT');
    expect(Object.keys(conn.get('SELECT * FROM t WHERE id = ?', [10])!)).toEqual([
      'id',
      'name',
      'v',
      'b',
      'extra',
    ]);
    // A schema change made by another connection: SQLite re-prepares, we refresh column names.
    using other = Connection.open(dir.file('a.db'));
    other.exec('ALTER TABLE t ADD COLUMN more INTEGER');
    expect(Object.keys(conn.get('SELECT * FROM t WHERE id = ?', [10])!)).toContain('more');
    other.exec('ALTER TABLE t RENAME COLUMN more TO renamed');
    conn.invalidateStatements();
    expect(Object.keys(conn.get('SELECT * FROM t WHERE id = ?', [10])!)).toContain('renamed');
  });

  it('read-only connections refuse writes (query_only, since libsql ignores readonly)', () => {
    using dir = tempDir();
    using _conn = seeded(dir.file('a.db'));
    using reader = Connection.open(dir.file('a.db'), { readOnly: true });
    expect(reader.get('SELECT count(*) AS n FROM t')).toEqual({ n: 150 });
    expect(() => reader.run("INSERT INTO t(name) VALUES ('x')")).toThrow(
      expect.objectContaining({ code: 'READ_ONLY' }),
    );
  });

  it('an early-released iterator no longer pins the read snapshot', () => {
    using dir = tempDir();
    using conn = seeded(dir.file('a.db'));
    using writer = Connection.open(dir.file('a.db'));
    const it = conn.openIterator('SELECT id FROM t ORDER BY id');
    expect(it.nextBatch(5)).toHaveLength(5);
    it.release();
    writer.run('INSERT INTO t(id) VALUES (100000)');
    expect(conn.get('SELECT count(*) AS n FROM t')).toEqual({ n: 151 });
    conn.run('INSERT INTO t(id) VALUES (100001)');
    expect(conn.openIterators).toBe(0);
  });
});

describe('Connection errors', () => {
  const cases: [string, (c: Connection) => unknown, string][] = [
    ['syntax', (c) => c.all('SELEC 1'), 'SQL_ERROR'],
    ['unknown table', (c) => c.get('SELECT * FROM nope'), 'SQL_ERROR'],
    ['empty', (c) => c.all('  -- nothing '), 'EMPTY_SQL'],
    ['two statements', (c) => c.run('SELECT 1; SELECT 2'), 'MULTIPLE_STATEMENTS'],
    ['constraint', (c) => c.run('INSERT INTO t(id) VALUES (10)'), 'CONSTRAINT'],
    ['too few params', (c) => c.all('SELECT * FROM t WHERE id = ? OR id = ?', [1]), 'BAD_PARAMS'],
    ['too many params', (c) => c.all('SELECT * FROM t WHERE id = ?', [1, 2]), 'BAD_PARAMS'],
    ['no params given', (c) => c.all('SELECT * FROM t WHERE id = ?'), 'BAD_PARAMS'],
    ['unknown named', (c) => c.all('SELECT * FROM t WHERE id = :id', { nope: 1 }), 'BAD_PARAMS'],
    ['missing named', (c) => c.all('SELECT * FROM t WHERE id = :a OR id = :b', { a: 1 }), 'BAD_PARAMS'],
    ['named for positional', (c) => c.all('SELECT * FROM t WHERE id = ?', { 1: 1 }), 'BAD_PARAMS'],
    ['boolean', (c) => c.all('SELECT ?', [true as never]), 'BAD_PARAMS'],
    ['undefined', (c) => c.all('SELECT ?', [undefined as never]), 'BAD_PARAMS'],
    ['object', (c) => c.all('SELECT ?', [{} as never]), 'BAD_PARAMS'],
    ['huge bigint', (c) => c.all('SELECT ?', [2n ** 64n]), 'BAD_PARAMS'],
  ];
  for (const [name, fn, code] of cases) {
    it(`${name} → ${code} with the SQL text`, () => {
      using dir = tempDir();
      using conn = seeded(dir.file('a.db'));
      let caught: unknown;
      try {
        fn(conn);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(DbError);
      expect((caught as DbError).code).toBe(code);
      expect((caught as DbError).sql).toBeTypeOf('string');
      // The connection stays usable after any of these.
      expect(conn.get('SELECT 1 AS one')).toEqual({ one: 1 });
    });
  }

  it('closed handles throw CLOSED, including cached statements', () => {
    using dir = tempDir();
    const conn = seeded(dir.file('a.db'));
    conn.get('SELECT * FROM t WHERE id = ?', [10]);
    conn.close();
    for (const fn of [
      () => conn.get('SELECT * FROM t WHERE id = ?', [10]),
      () => conn.all('SELECT 1'),
      () => conn.run('DELETE FROM t'),
      () => conn.exec('SELECT 1'),
      () => conn.openIterator('SELECT 1'),
    ]) {
      expect(fn).toThrow(expect.objectContaining({ code: 'CLOSED' }));
    }
    conn.close();
  });

  it('binds all SqlValue kinds and reads them back', () => {
    using dir = tempDir();
    using conn = seeded(dir.file('a.db'));
    const row = conn.get('SELECT ? AS a, ? AS b, ? AS c, ? AS d, ? AS e, typeof(?) AS f', [
      null,
      1.5,
      'x',
      new Uint8Array([1, 2]),
      2n ** 40n,
      2n ** 62n,
    ]);
    expect(row).toMatchObject({ a: null, b: 1.5, c: 'x', e: 2 ** 40, f: 'integer' });
    expect(Array.from(row!.d as Uint8Array)).toEqual([1, 2]);
  });

  it('binds integral numbers as INTEGER and fractional ones as REAL (libsql-js would bind all as REAL)', () => {
    using dir = tempDir();
    using conn = seeded(dir.file('a.db'));
    const positional = conn.get('SELECT typeof(?) AS i, typeof(?) AS r, ? / ? AS q, typeof(?) AS big', [
      7,
      7.5,
      7,
      2,
      2 ** 60,
    ]);
    expect(positional).toEqual({ i: 'integer', r: 'real', q: 3, big: 'real' });
    const named = conn.get('SELECT typeof(:i) AS i, typeof(:r) AS r', { i: -3, r: 0.25 });
    expect(named).toEqual({ i: 'integer', r: 'real' });
    conn.run('CREATE TABLE loose (v)');
    conn.run('INSERT INTO loose (v) VALUES (?)', [42]);
    expect(conn.get('SELECT typeof(v) AS t, v FROM loose')).toEqual({ t: 'integer', v: 42 });
  });
});
