import { describe, expect, it } from 'vitest';
import { NativeError } from '../src/index.ts';
import { catchError, TempDir, TestDb } from './helpers.ts';

const runaway = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c';

describe('deadlines and progress', () => {
  it('interrupts an infinite WITH RECURSIVE query within bounds as DEADLINE_EXCEEDED', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    const started = performance.now();
    const error = catchError(() => t.conn.withDeadline(100, () => t.db.prepare(runaway).get()));
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(NativeError);
    expect((error as NativeError).code).toBe('DEADLINE_EXCEEDED');
    expect((error as NativeError).cause).toMatchObject({ code: 'SQLITE_INTERRUPT' });
    expect(elapsed).toBeGreaterThanOrEqual(95);
    expect(elapsed).toBeLessThan(1_000);
    // The connection stays usable and the deadline is gone once withDeadline returns.
    expect(t.db.prepare('SELECT 41 + 1').raw().get()).toEqual([42]);
    expect(
      t.db
        .prepare(
          'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 300000) SELECT count(*) FROM c',
        )
        .raw()
        .get(),
    ).toEqual([300000]);
  });

  it('rolls back a write transaction interrupted by its deadline and drops its events', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    t.db.exec('CREATE TABLE t(x)');
    t.take();
    const error = catchError(() =>
      t.conn.withDeadline(50, () => {
        t.db.exec('BEGIN');
        t.db.exec('INSERT INTO t VALUES (1)');
        t.db.exec(`INSERT INTO t ${runaway}`);
      }),
    );
    expect(error).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    if (t.db.inTransaction) t.db.exec('ROLLBACK');
    expect(t.db.prepare('SELECT count(*) FROM t').raw().get()).toEqual([0]);
    expect(t.take()).toEqual([]);
  });

  it('distinguishes the deadline from a progress-handler interrupt', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    let calls = 0;
    t.conn.setProgressHandler(10_000, () => ++calls >= 5);
    const error = t.conn.translateError(catchError(() => t.db.prepare(runaway).get()));
    expect(error).toMatchObject({ code: 'INTERRUPTED' });
    expect(calls).toBe(5);
    t.conn.setProgressHandler(1, null);
    const error2 = t.conn.translateError(
      catchError(() => t.conn.withDeadline(20, () => t.db.prepare(runaway).get())),
    );
    expect(error2).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
  });

  it('maps a plain libsql interrupt-free error through translateError unchanged', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    const raw = catchError(() => t.db.exec('SELECT * FROM missing_table'));
    expect(t.conn.translateError(raw)).toBe(raw);
  });
});

describe('limits', () => {
  it('gets and sets limits by name and SQLite enforces them', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    expect(t.conn.getLimit('SQL_LENGTH')).toBeGreaterThan(1000);
    const before = t.conn.setLimit('SQL_LENGTH', 100);
    expect(t.conn.getLimit('SQL_LENGTH')).toBe(100);
    expect(() => t.db.prepare(`SELECT '${'x'.repeat(200)}'`)).toThrow(/too big|too long/i);
    t.conn.setLimit('SQL_LENGTH', before);

    t.conn.setLimit('VARIABLE_NUMBER', 2);
    expect(() => t.db.prepare('SELECT ?, ?, ?')).toThrow(/too many SQL variables/);
    expect(t.db.prepare('SELECT ?, ?').raw().get(1, 2)).toEqual([1, 2]);

    const length = t.conn.setLimit('LENGTH', 10);
    expect(() => t.db.prepare("SELECT printf('%.20c', 'x')").raw().get()).toThrow(/too big/);
    t.conn.setLimit('LENGTH', length);

    const columns = t.conn.setLimit('COLUMN', 3);
    expect(() => t.db.prepare('SELECT 1, 2, 3, 4')).toThrow(/too many columns/);
    expect(t.db.prepare('SELECT 1, 2, 3').raw().get()).toEqual([1, 2, 3]);
    t.conn.setLimit('COLUMN', columns);

    t.conn.setLimit('FUNCTION_ARG', 2);
    expect(() => t.db.prepare('SELECT max(1, 2, 3)')).toThrow(/too many arguments/);
  });

  it('rejects unknown limit names and bad values with INVALID_ARGUMENT', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    expect(catchError(() => t.conn.getLimit('NOPE' as 'LENGTH'))).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(catchError(() => t.conn.setLimit('LENGTH', -5))).toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
