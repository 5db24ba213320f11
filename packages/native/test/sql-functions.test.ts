import { describe, expect, it } from 'vitest';
import { NativeError } from '../src/index.ts';
import { TempDir, TestDb } from './helpers.ts';

function one(t: TestDb, sql: string, ...params: unknown[]): unknown {
  return (
    t.db
      .prepare(sql)
      .raw()
      .get(...params) as unknown[]
  )[0];
}

describe('JS SQL functions', () => {
  it('round-trips null, integer, real, text, blob and bigint both ways', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    const seen: unknown[] = [];
    t.conn.defineFunction(
      'echo',
      (x) => {
        seen.push(x);
        return x;
      },
      { deterministic: true },
    );
    expect(one(t, 'SELECT typeof(echo(NULL))')).toBe('null');
    expect(one(t, 'SELECT echo(42)')).toBe(42);
    expect(one(t, 'SELECT typeof(echo(42))')).toBe('integer');
    expect(one(t, 'SELECT echo(-1.5)')).toBe(-1.5);
    expect(one(t, 'SELECT typeof(echo(-1.5))')).toBe('real');
    expect(one(t, "SELECT echo('héllo ✓')")).toBe('héllo ✓');
    expect(one(t, "SELECT hex(echo(x'00ff10'))")).toBe('00FF10');
    expect(one(t, "SELECT typeof(echo(x''))")).toBe('blob');
    expect(one(t, 'SELECT echo(9223372036854775807) = 9223372036854775807')).toBe(1);
    expect(one(t, 'SELECT echo(-9007199254740992) = -9007199254740992')).toBe(1);
    expect(seen.slice(0, 4)).toEqual([null, 42, 42, -1.5]);
    expect(seen[6]).toBeInstanceOf(Uint8Array);
    expect(Array.from(seen[6] as Uint8Array)).toEqual([0, 255, 16]);
    expect(seen[8]).toBe(9223372036854775807n);
    expect(seen[9]).toBe(-9007199254740992n);
  });

  it('converts JS results: bigint in range, booleans, undefined, typed arrays; rejects out-of-range bigint', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    t.conn.defineFunction('big', () => 2n ** 62n);
    t.conn.defineFunction('huge', () => 2n ** 64n);
    t.conn.defineFunction('yes', () => true);
    t.conn.defineFunction('nada', () => undefined);
    t.conn.defineFunction('bytes', () => new Uint16Array([1, 2]));
    t.conn.defineFunction('weird', () => ({}) as unknown as string);
    expect(one(t, 'SELECT big() = 4611686018427387904')).toBe(1);
    expect(one(t, 'SELECT yes()')).toBe(1);
    expect(one(t, 'SELECT typeof(nada())')).toBe('null');
    expect(one(t, 'SELECT length(bytes())')).toBe(4);
    let error: unknown;
    try {
      one(t, 'SELECT huge()');
    } catch (e) {
      error = t.conn.translateError(e);
    }
    expect(error).toBeInstanceOf(NativeError);
    expect((error as NativeError).code).toBe('FUNCTION_ERROR');
    expect((error as NativeError).message).toMatch(/64-bit/);
    expect(() => one(t, 'SELECT weird()')).toThrow(/unsupported value/);
  });

  it('supports fixed arity and varargs', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    t.conn.defineFunction('add2', (a, b) => Number(a) + Number(b));
    t.conn.defineFunction('count_args', (...args) => args.length, { varargs: true });
    expect(one(t, 'SELECT add2(2, 3)')).toBe(5);
    expect(() => one(t, 'SELECT add2(1)')).toThrow(/wrong number of arguments/);
    expect(one(t, 'SELECT count_args()')).toBe(0);
    expect(one(t, "SELECT count_args(1, 'two', NULL, x'03', 4.5)")).toBe(5);
  });

  it('lets a deterministic function back an index expression, and refuses a non-deterministic one', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    t.conn.defineFunction('lower_ascii', (s) => String(s).toLowerCase(), { deterministic: true });
    t.conn.defineFunction('random_js', () => Math.random());
    t.db.exec('CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT)');
    t.db.exec('CREATE INDEX users_email ON users(lower_ascii(email))');
    t.db.exec("INSERT INTO users(email) VALUES ('Ada@Example.com'), ('bob@example.com')");
    const plan = t.db
      .prepare("EXPLAIN QUERY PLAN SELECT id FROM users WHERE lower_ascii(email) = 'ada@example.com'")
      .all()
      .map((r) => String((r as { detail: unknown }).detail))
      .join(' ');
    expect(plan).toMatch(/users_email/);
    expect(one(t, "SELECT id FROM users WHERE lower_ascii(email) = 'ada@example.com'")).toBe(1);
    expect(() => t.db.exec('CREATE INDEX bad ON users(random_js())')).toThrow(/non-deterministic/);
  });

  it('turns a JS exception into a SQL error with its message and keeps the connection usable', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    const boom = new TypeError('bad input: 7');
    t.conn.defineFunction('fails', () => {
      throw boom;
    });
    let caught: unknown;
    try {
      one(t, 'SELECT fails()');
    } catch (error) {
      expect((error as Error).message).toContain('bad input: 7');
      caught = t.conn.translateError(error, 'SELECT fails()');
    }
    expect(caught).toBeInstanceOf(NativeError);
    expect(caught).toMatchObject({ code: 'FUNCTION_ERROR', cause: boom, sql: 'SELECT fails()' });
    expect(one(t, 'SELECT 1 + 1')).toBe(2);
  });

  it('runs aggregate functions with per-group state, varargs and an empty group', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    t.conn.defineAggregate('js_sum', { start: 0, step: (acc: number, x) => acc + Number(x) });
    t.conn.defineAggregate('concat_all', {
      start: () => [] as string[],
      step: (acc: string[], ...xs) => {
        acc.push(xs.join('+'));
        return acc;
      },
      result: (acc) => acc.join(','),
      varargs: true,
    });
    t.conn.defineAggregate('big_product', {
      start: 1n,
      step: (acc: bigint, x) => acc * BigInt(x as number),
      deterministic: true,
    });
    t.db.exec('CREATE TABLE v(g TEXT, x INTEGER, y TEXT)');
    t.db.exec("INSERT INTO v VALUES ('a', 1, 'p'), ('a', 2, 'q'), ('b', 10, 'r')");
    expect(
      t.db.prepare('SELECT g, js_sum(x), concat_all(x, y) FROM v GROUP BY g ORDER BY g').raw().all(),
    ).toEqual([
      ['a', 3, '1+p,2+q'],
      ['b', 10, '10+r'],
    ]);
    expect(one(t, 'SELECT js_sum(x) FROM v WHERE 0')).toBe(0);
    expect(one(t, 'SELECT big_product(x) FROM v')).toBe(20);
  });

  it('reports an aggregate step that throws as a SQL error', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    t.conn.defineAggregate('picky', {
      start: 0,
      step: (acc: number, x) => {
        if (x === 2) throw new Error('two is not allowed');
        return acc + 1;
      },
    });
    t.db.exec('CREATE TABLE v(x); INSERT INTO v VALUES (1), (2), (3)');
    expect(() => one(t, 'SELECT picky(x) FROM v')).toThrow('two is not allowed');
    expect(one(t, 'SELECT picky(x) FROM v WHERE x <> 2')).toBe(2);
  });

  it('refuses the call with a clear error when invoked from a foreign thread', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    t.conn.defineFunction('js_one', () => 1);
    t.db.exec('CREATE TABLE r(x)');
    const result = t.conn.runOffThreadForTest('INSERT INTO r VALUES (js_one())');
    expect(result.rc).not.toBe(0);
    expect(result.message).toMatch(/cannot run off the JS thread/);
    expect(t.conn.translateError(new Error('x'))).toMatchObject({ code: 'OFF_THREAD' });
    expect(one(t, 'SELECT count(*) FROM r')).toBe(0);
  });
});
