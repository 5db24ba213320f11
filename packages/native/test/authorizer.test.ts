import { describe, expect, it } from 'vitest';
import type { AuthorizerAction } from '../src/index.ts';
import { catchError, events, TempDir, TestDb } from './helpers.ts';

describe('authorizer', () => {
  it('captures the read-set (tables and columns) of a statement at prepare time', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    t.db.exec('CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT, team INTEGER)');
    t.db.exec('CREATE TABLE teams(id INTEGER PRIMARY KEY, title TEXT)');
    const reads = new Set<string>();
    t.conn.setAuthorizer((action, table, column) => {
      if (action === 'READ' && table !== null) reads.add(`${table}.${column}`);
      return 'ok';
    });
    t.db.prepare('SELECT u.name, t.title FROM users u JOIN teams t ON t.id = u.team WHERE u.id = ?');
    t.conn.setAuthorizer(null);
    expect([...reads].sort()).toEqual(['teams.id', 'teams.title', 'users.id', 'users.name', 'users.team']);
  });

  it('denies tables, ignores columns (read as NULL) and reports typed action names', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    t.db.exec('CREATE TABLE secrets(v); CREATE TABLE users(id INTEGER PRIMARY KEY, name, ssn)');
    t.db.exec("INSERT INTO users VALUES (1, 'ada', '123')");
    const actions = new Set<AuthorizerAction>();
    t.conn.setAuthorizer((action, a1, a2) => {
      actions.add(action);
      if (a1 === 'secrets') return 'deny';
      if (action === 'READ' && a1 === 'users' && a2 === 'ssn') return 'ignore';
      return 'ok';
    });
    const denied = catchError(() => t.db.prepare('SELECT * FROM secrets'));
    expect(String((denied as Error).message)).toMatch(/not authorized|prohibited/);
    expect(t.conn.translateError(denied)).toMatchObject({ code: 'AUTHORIZATION_DENIED' });
    expect(t.db.prepare('SELECT name, ssn FROM users').raw().get()).toEqual(['ada', null]);
    expect(catchError(() => t.db.exec('DELETE FROM secrets'))).toBeDefined();
    t.db.exec("INSERT INTO users VALUES (2, 'bob', '456')");
    expect(actions).toContain('SELECT');
    expect(actions).toContain('READ');
    expect(actions).toContain('INSERT');
    expect(actions).toContain('DELETE');
    t.conn.setAuthorizer(null);
    expect(t.db.prepare('SELECT ssn FROM users WHERE id = 2').raw().get()).toEqual(['456']);
  });

  it('denies the statement when the authorizer throws or answers nonsense, and stays usable', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    const boom = new Error('authorizer exploded');
    t.conn.setAuthorizer(() => {
      throw boom;
    });
    const error = catchError(() => t.db.prepare('SELECT 1'));
    expect(t.conn.translateError(error)).toMatchObject({ code: 'CALLBACK_ERROR', cause: boom });
    t.conn.setAuthorizer(() => 'maybe' as 'ok');
    expect(t.conn.translateError(catchError(() => t.db.prepare('SELECT 1')))).toMatchObject({
      code: 'CALLBACK_ERROR',
    });
    t.conn.setAuthorizer(null);
    expect(t.db.prepare('SELECT 1').raw().get()).toEqual([1]);
  });

  it('keeps change capture working while a JS authorizer is installed', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    t.db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY)');
    t.take();
    t.conn.setAuthorizer(() => 'ok');
    t.db.exec('INSERT INTO t VALUES (1), (2); DELETE FROM t');
    expect(events(t.take()).map((e) => `${e.op}:${e.rowid}`)).toEqual([
      'insert:1',
      'insert:2',
      'delete:1',
      'delete:2',
    ]);
  });
});
