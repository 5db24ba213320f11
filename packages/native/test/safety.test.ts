import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { attachExtension, loadLibsql, NativeError } from '../src/index.ts';
import { catchError, events, TempDir, TestDb, waitFor } from './helpers.ts';

describe('safety', () => {
  it('refuses every re-entrant libsql-js call from inside callbacks with REENTRANT_CALL, without crashing', () => {
    const child = fileURLToPath(new URL('./fixtures/reentrancy-child.ts', import.meta.url));
    const run = spawnSync(process.execPath, ['--import', 'tsx', child], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.signal, run.stderr).toBeNull();
    expect(run.status, run.stderr).toBe(0);
    const results = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as Record<string, string>;
    expect(results.fatal).toBeUndefined();
    for (const name of [
      'prepareSame',
      'execSame',
      'stepPrepared',
      'allPrepared',
      'iteratorNext',
      'inTransaction',
      'interrupt',
      'otherConnection',
      'newDatabase',
      'close',
    ]) {
      expect(results[`function:${name}`], name).toBe('REENTRANT_CALL');
    }
    expect(results.inner).toBe(
      'veto:REENTRANT_CALL,authorizer:REENTRANT_CALL,progress:REENTRANT_CALL,perEvent:REENTRANT_CALL',
    );
    // Rows 10, 11, 12 were committed although their callbacks misbehaved.
    expect(results.afterwards).toBe('6');
  });

  it('handles hooks firing on a foreign thread: events are buffered, a JS veto fails closed', async () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    t.db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY)');
    t.take();
    const ok = t.conn.runOffThreadForTest('INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)');
    expect(ok).toEqual({ rc: 0, message: '' });
    await waitFor(() => t.batches.length === 2, 5_000, 'off-thread batches');
    expect(events(t.take())).toEqual([
      { op: 'insert', table: 't', rowid: 1 },
      { op: 'insert', table: 't', rowid: 2 },
    ]);
    t.conn.setCommitVeto(() => true);
    const vetoed = t.conn.runOffThreadForTest('INSERT INTO t VALUES (3)');
    expect(vetoed.rc).not.toBe(0);
    expect(t.conn.translateError(new Error('commit failed'))).toMatchObject({ code: 'OFF_THREAD' });
    t.conn.setCommitVeto(null);
    expect(t.db.prepare('SELECT count(*) FROM t').raw().get()).toEqual([2]);
  });

  it('keeps delivering when a commit listener throws: drain() reports LISTENER_ERROR after delivering', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    t.conn.onCommit(() => {
      throw new Error('listener bug');
    });
    t.db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1)');
    expect(catchError(() => t.conn.drain())).toMatchObject({ code: 'LISTENER_ERROR' });
    expect(t.batches.length).toBeGreaterThan(0);
  });

  it('releases the native state when the database closes and delivers what was committed', async () => {
    using dir = new TempDir();
    const Database = loadLibsql();
    const db = new Database(dir.file('a.db'));
    const t = { conn: attachExtension(db) };
    const got: number[] = [];
    t.conn.onCommit((b) => got.push(b.size));
    db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (2)');
    expect(t.conn.isOpen).toBe(true);
    db.close(); // exec-only: no libsql Statement pins the connection, so SQLite closes now
    expect(t.conn.isOpen).toBe(false);
    await waitFor(() => got.length === 2, 5_000, 'delivery after close');
    expect(got).toEqual([0, 2]);
    expect(t.conn.stats().open).toBe(false);
    expect(t.conn.stats().readyBatches).toBe(0);
    expect(catchError(() => t.conn.defineFunction('f', () => 1))).toMatchObject({
      code: 'CONNECTION_CLOSED',
    });
    t.conn[Symbol.dispose]();
  });

  it('detaches on dispose: hooks and functions are gone, the database keeps working', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    t.conn.defineFunction('js_two', () => 2);
    t.db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY)');
    t.conn[Symbol.dispose]();
    expect(() => t.db.prepare('SELECT js_two()')).toThrow(/no such function/);
    t.db.exec('INSERT INTO t VALUES (1)');
    expect(catchError(() => t.conn.setDeadline(5))).toBeInstanceOf(NativeError);
    expect(t.db.prepare('SELECT count(*) FROM t').raw().get()).toEqual([1]);
  });
});
