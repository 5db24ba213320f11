import { describe, expect, it } from 'vitest';
import { events, TempDir, TestDb, waitFor } from './helpers.ts';

describe('change capture', () => {
  it('delivers exactly 100k events for 100k inserts in one transaction, as one batch', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    t.db.exec('CREATE TABLE items(id INTEGER PRIMARY KEY, v TEXT)');
    t.take();
    const insert = t.db.prepare('INSERT INTO items(v) VALUES (?)');
    t.db.exec('BEGIN');
    for (let i = 0; i < 100_000; i++) insert.run(`v${i}`);
    t.db.exec('COMMIT');
    const batches = t.take();
    expect(batches).toHaveLength(1);
    const [batch] = batches;
    expect(batch?.size).toBe(100_000);
    expect(batch?.tables).toEqual(['items']);
    expect(batch?.ops.every((op) => op === 1)).toBe(true);
    expect(batch?.rowid(0)).toBe(1);
    expect(batch?.rowid(99_999)).toBe(100_000);
    expect(batch?.framesWritten).toBeGreaterThan(0);
  });

  it('reports inserts, updates and deletes with table and rowid, one batch per autocommit statement', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    t.db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v)');
    t.take();
    t.db.exec("INSERT INTO t VALUES (5, 'a')");
    t.db.exec("UPDATE t SET v = 'b' WHERE id = 5");
    t.db.exec('DELETE FROM t WHERE id = 5');
    const batches = t.take();
    expect(batches.map((b) => b.toArray())).toEqual([
      [{ op: 'insert', table: 't', rowid: 5 }],
      [{ op: 'update', table: 't', rowid: 5 }],
      [{ op: 'delete', table: 't', rowid: 5 }],
    ]);
    const seqs = batches.map((b) => b.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(3);
  });

  it('gives each commit a growing sequence number and the WAL frames it wrote', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    t.db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v)');
    t.db.exec("INSERT INTO t VALUES (1, 'a')");
    t.db.exec("INSERT INTO t VALUES (2, 'b')");
    const batches = t.take();
    expect(batches.map((b) => b.seq)).toEqual([1, 2, 3]);
    for (const b of batches) expect(b.framesWritten).toBeGreaterThan(0);
    expect(batches[2]?.walFrames).toBe(batches.reduce((n, b) => n + b.framesWritten, 0));
  });

  it('works in rollback-journal mode too (no WAL frames to report)', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    t.db.exec('PRAGMA journal_mode=DELETE; CREATE TABLE t(id INTEGER PRIMARY KEY)');
    t.take();
    t.db.exec('BEGIN; INSERT INTO t VALUES (1); INSERT INTO t VALUES (2); COMMIT');
    t.db.exec('INSERT INTO t VALUES (3)');
    const batches = t.take();
    expect(batches.map((b) => b.toArray().map((e) => e.rowid))).toEqual([[1, 2], [3]]);
    expect(batches.map((b) => b.framesWritten)).toEqual([0, 0]);
  });

  it('discards the events of a rolled-back transaction', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    t.db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v)');
    t.take();
    t.db.exec("BEGIN; INSERT INTO t VALUES (1, 'a'); INSERT INTO t VALUES (2, 'b'); ROLLBACK");
    expect(t.take()).toEqual([]);
    t.db.exec("INSERT INTO t VALUES (3, 'c')");
    expect(events(t.take())).toEqual([{ op: 'insert', table: 't', rowid: 3 }]);
  });

  it('discards events undone by ROLLBACK TO, through nested savepoints', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    t.db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v)');
    t.take();
    t.db.exec(`
      BEGIN;
      INSERT INTO t VALUES (1, 'kept');
      SAVEPOINT outer_sp;
        INSERT INTO t VALUES (2, 'kept');
        SAVEPOINT "Inner SP";
          INSERT INTO t VALUES (3, 'undone');
        ROLLBACK TO "inner sp";
        INSERT INTO t VALUES (4, 'kept');
        SAVEPOINT deeper;
          INSERT INTO t VALUES (5, 'undone');
          SAVEPOINT deepest;
            INSERT INTO t VALUES (6, 'undone');
          RELEASE deepest;
        ROLLBACK TRANSACTION TO SAVEPOINT deeper;
        RELEASE deeper;
      RELEASE SAVEPOINT outer_sp;
      SAVEPOINT again;
        UPDATE t SET v = 'undone' WHERE id = 1;
      ROLLBACK TO again;
      COMMIT;
    `);
    const rows = t.db.prepare('SELECT id FROM t ORDER BY id').raw().all();
    expect(rows).toEqual([[1], [2], [4]]);
    expect(events(t.take()).map((e) => e.rowid)).toEqual([1, 2, 4]);
    expect(t.conn.stats().savepointDepth).toBe(0);
  });

  it('treats a SAVEPOINT outside BEGIN as a transaction: ROLLBACK TO then RELEASE commits the rest', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    t.db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY)');
    t.take();
    t.db.exec(
      'SAVEPOINT a; INSERT INTO t VALUES (1); SAVEPOINT b; INSERT INTO t VALUES (2); ROLLBACK TO b; RELEASE a',
    );
    expect(events(t.take()).map((e) => e.rowid)).toEqual([1]);
  });

  it('drops the events of a statement that failed and was undone inside an open transaction', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    t.db.exec('PRAGMA foreign_keys=ON');
    t.db.exec(
      'CREATE TABLE parent(id INTEGER PRIMARY KEY); CREATE TABLE child(id INTEGER PRIMARY KEY, p REFERENCES parent(id))',
    );
    t.db.exec('CREATE TABLE u(id INTEGER PRIMARY KEY, k UNIQUE)');
    t.db.exec('INSERT INTO parent VALUES (1); INSERT INTO u VALUES (100, 3)');
    t.take();
    t.db.exec('BEGIN');
    t.db.exec('INSERT INTO child VALUES (1, 1)');
    // The foreign key is checked when the statement ends, after the row fired the update hook.
    expect(() => t.db.exec('INSERT INTO child VALUES (2, 999)')).toThrow(/FOREIGN KEY/);
    // Rows 1 and 2 are written before row 3 clashes with k = 3.
    expect(() => t.db.exec('INSERT INTO u(id, k) VALUES (1, 1), (2, 2), (3, 3)')).toThrow(/UNIQUE/);
    // OR FAIL keeps what was written before the failure.
    expect(() => t.db.exec('INSERT OR FAIL INTO u(id, k) VALUES (4, 4), (5, 3)')).toThrow(/UNIQUE/);
    t.db.exec('COMMIT');
    expect(t.db.prepare('SELECT count(*) FROM child').raw().get()).toEqual([1]);
    expect(events(t.take())).toEqual([
      { op: 'insert', table: 'child', rowid: 1 },
      { op: 'insert', table: 'u', rowid: 4 },
    ]);
  });

  it('judges a failed cached statement correctly when the same statement runs again', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    t.db.exec('CREATE TABLE u(id INTEGER PRIMARY KEY, k UNIQUE); INSERT INTO u VALUES (1, 3)');
    t.take();
    const insertTwo = t.db.prepare('INSERT INTO u(id, k) VALUES (?, ?), (?, ?)');
    t.db.exec('BEGIN');
    expect(() => insertTwo.run(10, 10, 11, 3)).toThrow(/UNIQUE/);
    insertTwo.run(12, 12, 13, 13);
    t.db.exec('COMMIT');
    expect(events(t.take()).map((e) => e.rowid)).toEqual([12, 13]);
  });

  it('keeps events written by INSTEAD OF triggers and by partially read RETURNING statements', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    t.db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v)');
    t.db.exec('CREATE VIEW tv AS SELECT id, v FROM t');
    t.db.exec(
      'CREATE TRIGGER tv_insert INSTEAD OF INSERT ON tv BEGIN INSERT INTO t VALUES (NEW.id, NEW.v); END',
    );
    t.take();
    t.db.exec("BEGIN; INSERT INTO tv VALUES (1, 'via view'); COMMIT");
    t.db.exec('BEGIN');
    expect(t.db.prepare("INSERT INTO t VALUES (2, 'a'), (3, 'b') RETURNING id").raw().get()).toEqual([2]);
    t.db.exec('COMMIT');
    expect(events(t.take()).map((e) => e.rowid)).toEqual([1, 2, 3]);
  });

  it('lets a commit veto abort the commit: the writer gets COMMIT_VETOED and events are discarded', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    t.db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY)');
    t.take();
    const seen: number[] = [];
    t.conn.setCommitVeto((pending) => {
      seen.push(pending);
      return pending < 3;
    });
    t.db.exec('BEGIN; INSERT INTO t VALUES (1); INSERT INTO t VALUES (2); INSERT INTO t VALUES (3)');
    let caught: unknown;
    try {
      t.db.exec('COMMIT');
    } catch (error) {
      caught = t.conn.translateError(error);
    }
    expect(caught).toMatchObject({ name: 'NativeError', code: 'COMMIT_VETOED' });
    expect(seen).toEqual([3]);
    expect(t.db.inTransaction).toBe(false);
    expect(t.db.prepare('SELECT count(*) FROM t').raw().get()).toEqual([0]);
    expect(t.take()).toEqual([]);
    t.db.exec('INSERT INTO t VALUES (7)');
    expect(events(t.take())).toEqual([{ op: 'insert', table: 't', rowid: 7 }]);
    t.conn.setCommitVeto(null);
  });

  it('turns a throwing veto into a rollback with CALLBACK_ERROR carrying the exception', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    t.db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY)');
    const boom = new Error('nope');
    t.conn.setCommitVeto(() => {
      throw boom;
    });
    let caught: unknown;
    try {
      t.db.exec('INSERT INTO t VALUES (1)');
    } catch (error) {
      caught = t.conn.translateError(error);
    }
    expect(caught).toMatchObject({ code: 'CALLBACK_ERROR', cause: boom });
    t.conn.setCommitVeto(null);
    expect(t.db.prepare('SELECT count(*) FROM t').raw().get()).toEqual([0]);
  });

  it('delivers batches automatically when nobody drains', async () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    t.db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY)');
    t.db.exec('INSERT INTO t VALUES (1)');
    expect(t.batches).toHaveLength(0);
    await waitFor(() => t.batches.length === 2, 5_000, 'automatic delivery');
    expect(events(t.batches)).toEqual([{ op: 'insert', table: 't', rowid: 1 }]);
  });

  it('reports rowids beyond the safe-integer range as null (table-level)', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    t.db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY)');
    t.take();
    t.db.exec('INSERT INTO t VALUES (9007199254740991), (9007199254740992), (-9223372036854775808)');
    expect(events(t.take()).map((e) => e.rowid)).toEqual([9007199254740991, null, null]);
  });

  it('reports writes to WITHOUT ROWID tables as table-level changes', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    t.db.exec('CREATE TABLE kv(k TEXT PRIMARY KEY, v) WITHOUT ROWID');
    t.db.exec('CREATE TABLE plain(id INTEGER PRIMARY KEY)');
    t.take();
    const put = t.db.prepare('INSERT INTO kv VALUES (?, ?)');
    put.run('a', 1);
    put.run('b', 2);
    t.db.exec("UPDATE kv SET v = 3 WHERE k = 'a'; INSERT INTO plain VALUES (1)");
    t.db.exec("DELETE FROM kv WHERE k = 'b'");
    expect(events(t.take())).toEqual([
      { op: 'insert', table: 'kv', rowid: null },
      { op: 'insert', table: 'kv', rowid: null },
      { op: 'update', table: 'kv', rowid: null },
      { op: 'insert', table: 'plain', rowid: 1 },
      { op: 'delete', table: 'kv', rowid: null },
    ]);
  });

  it('reports every row of a DELETE without WHERE (no truncate optimization) and DROP still works', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    t.db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3)');
    t.take();
    t.db.exec('DELETE FROM t');
    expect(events(t.take()).map((e) => `${e.op}:${e.rowid}`)).toEqual(['delete:1', 'delete:2', 'delete:3']);
    t.db.exec('DROP TABLE t');
    expect(t.db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 't'").raw().get()).toEqual([0]);
  });

  it('keeps two databases and two connections on one file apart', () => {
    using dir = new TempDir();
    using a = new TestDb(dir.file('a.db'));
    using b = new TestDb(dir.file('b.db'));
    using a2 = new TestDb(dir.file('a.db'));
    expect(new Set([a.conn.id, b.conn.id, a2.conn.id]).size).toBe(3);
    a.db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY)');
    b.db.exec('CREATE TABLE u(id INTEGER PRIMARY KEY)');
    for (const x of [a, b, a2]) x.take();
    a.db.exec('INSERT INTO t VALUES (1)');
    b.db.exec('INSERT INTO u VALUES (2)');
    a2.db.exec('INSERT INTO t VALUES (3)');
    expect(events(a.take())).toEqual([{ op: 'insert', table: 't', rowid: 1 }]);
    expect(events(b.take())).toEqual([{ op: 'insert', table: 'u', rowid: 2 }]);
    expect(events(a2.take())).toEqual([{ op: 'insert', table: 't', rowid: 3 }]);
  });

  it('reports tables of attached databases as schema.table', () => {
    using dir = new TempDir();
    using t = new TestDb(dir.file('a.db'));
    t.db.exec(`ATTACH '${dir.file('other.db')}' AS other; CREATE TABLE other.x(id INTEGER PRIMARY KEY)`);
    t.take();
    t.db.exec('INSERT INTO other.x VALUES (1)');
    expect(events(t.take())).toEqual([{ op: 'insert', table: 'other.x', rowid: 1 }]);
  });
});
