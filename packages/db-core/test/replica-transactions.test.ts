import { describe, expect, it } from 'vitest';
import { DbError } from '../src/errors.ts';
import { openReplica, type Sqld, sqldForFile, tempDir } from './replica-fixtures.ts';

let sqld: Sqld;
sqldForFile((started) => {
  sqld = started;
});

const primaryCount = async (table: string) =>
  Number((await sqld.execute(`SELECT count(*) FROM ${table}`)).rows[0]?.[0]);

describe('delegated transactions', () => {
  it('a failed transaction leaves nothing on the primary', async () => {
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url);
    await a.exec('CREATE TABLE acct(id INTEGER PRIMARY KEY, balance INTEGER NOT NULL CHECK (balance >= 0))');
    await a.run('INSERT INTO acct(id, balance) VALUES (1, 100), (2, 0)');
    const before = a.position();
    const error = await a
      .transaction(async (tx) => {
        await tx.run('UPDATE acct SET balance = balance + 150 WHERE id = 2');
        await tx.run('UPDATE acct SET balance = balance - 150 WHERE id = 1');
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DbError);
    expect((error as DbError).code).toBe('CONSTRAINT');
    expect((await sqld.execute('SELECT balance FROM acct ORDER BY id')).rows).toEqual([[100], [0]]);
    expect(a.all('SELECT balance FROM acct ORDER BY id')).toEqual([{ balance: 100 }, { balance: 0 }]);
    // A thrown application error rolls back too.
    await expect(
      a.transaction(async (tx) => {
        await tx.run('INSERT INTO acct(id, balance) VALUES (3, 1)');
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await primaryCount('acct')).toBe(2);
    await a.sync();
    expect(a.position().generation).toBe(before.generation);
  });

  it('reads inside a transaction see its own writes; savepoints roll back to their level', async () => {
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url);
    await a.exec('CREATE TABLE sp(id INTEGER PRIMARY KEY, v TEXT)');
    const { value, position } = await a.transaction(async (tx) => {
      await tx.run("INSERT INTO sp(v) VALUES ('outer')");
      await tx
        .savepoint(async (inner) => {
          await inner.run("INSERT INTO sp(v) VALUES ('inner')");
          expect(await inner.all('SELECT v FROM sp ORDER BY id')).toHaveLength(2);
          throw new Error('undo inner');
        })
        .catch(() => undefined);
      await tx.savepoint(async (inner) => {
        await inner.run("INSERT INTO sp(v) VALUES ('kept')");
        await inner.savepoint(async (deeper) => deeper.run("INSERT INTO sp(v) VALUES ('deep')"));
      });
      return tx.get<{ n: number }>('SELECT count(*) AS n FROM sp');
    });
    expect(value).toEqual({ n: 3 });
    expect(a.position().frame).toBeGreaterThanOrEqual(position.frame);
    expect(a.all('SELECT v FROM sp ORDER BY id')).toEqual([{ v: 'outer' }, { v: 'kept' }, { v: 'deep' }]);
  });

  it('a write issued while a transaction is open waits for it instead of joining it', async () => {
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url);
    await a.exec('CREATE TABLE iso(id INTEGER PRIMARY KEY, v TEXT)');
    let outside: Promise<unknown> | undefined;
    await expect(
      a.transaction(async (tx) => {
        await tx.run("INSERT INTO iso(v) VALUES ('tx')");
        outside = a.run("INSERT INTO iso(v) VALUES ('outside')");
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await outside;
    expect(a.all('SELECT v FROM iso')).toEqual([{ v: 'outside' }]);
  });

  it('readers on another replica never see half a transaction', async () => {
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url);
    await using b = await openReplica(dir.path, sqld.url);
    await a.exec('CREATE TABLE half_x(id INTEGER PRIMARY KEY); CREATE TABLE half_y(id INTEGER PRIMARY KEY)');
    let done = false;
    const writer = (async () => {
      try {
        for (let i = 0; i < 40; i++) {
          await a.transaction(async (tx) => {
            await tx.run('INSERT INTO half_x DEFAULT VALUES');
            await tx.run('INSERT INTO half_y DEFAULT VALUES');
            await tx.run('INSERT INTO half_y DEFAULT VALUES');
          });
        }
      } finally {
        done = true;
      }
    })();
    let torn = 0;
    let reads = 0;
    while (!done) {
      await b.sync();
      const row = b.get<{ x: number; y: number }>(
        'SELECT (SELECT count(*) FROM half_x) AS x, (SELECT count(*) FROM half_y) AS y',
      );
      reads++;
      if (row === undefined || row.y !== row.x * 2) torn++;
    }
    await writer;
    await b.sync();
    expect(b.get('SELECT (SELECT count(*) FROM half_x) AS x, (SELECT count(*) FROM half_y) AS y')).toEqual({
      x: 40,
      y: 80,
    });
    expect(reads).toBeGreaterThan(0);
    expect(torn).toBe(0);
  });
});
