import { describe, expect, it } from 'vitest';
import { openReplica, type Sqld, sqldForFile, tempDir } from './replica-fixtures.ts';

/**
 * Regression tests for the libsql-js replica-connection bugs in FACTS.md. They exercise the
 * driver exactly where the bugs would bite (cached point reads and get() after syncs), so they
 * fail if reads ever go through the replica connection again.
 */
let sqld: Sqld;
sqldForFile((started) => {
  sqld = started;
});

describe('replica engine-bug regressions', () => {
  it('cached point reads on the main thread return the right, fresh rows after syncs (3,000 reads)', async () => {
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url);
    await a.exec('CREATE TABLE pr(id INTEGER PRIMARY KEY, v INTEGER)');
    await a.run(
      'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 50) INSERT INTO pr(id, v) SELECT x, 0 FROM c',
    );
    let wrong = 0;
    for (let round = 1; round <= 60; round++) {
      // A write behind the replica's back, then a sync in the worker.
      await sqld.execute('UPDATE pr SET v = ? * 1000 + id', [round]);
      await a.sync();
      for (let id = 1; id <= 50; id++) {
        // The same SQL text every time: one cached statement, new bind values each call.
        const row = a.get<{ id: number; v: number }>('SELECT id, v FROM pr WHERE id = ?', [id]);
        if (row?.id !== id || row.v !== round * 1000 + id) wrong++;
      }
    }
    expect(wrong).toBe(0);
  });

  it('a get() that returned a row does not pin a stale snapshot for later reads', async () => {
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url);
    await a.exec('CREATE TABLE pin(id INTEGER PRIMARY KEY, v INTEGER)');
    await a.run('INSERT INTO pin(id, v) VALUES (1, 0)');
    for (let i = 1; i <= 200; i++) {
      expect(a.get('SELECT v FROM pin WHERE id = 1')).toEqual({ v: i - 1 });
      await sqld.execute('UPDATE pin SET v = ? WHERE id = 1', [i]);
      await a.sync();
      expect(a.get('SELECT v FROM pin WHERE id = 1')).toEqual({ v: i });
      expect(a.all('SELECT v FROM pin')).toEqual([{ v: i }]);
    }
  });

  it('reads never use the replica connection (the read connection is a query-only local one)', async () => {
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url);
    expect(a.readConnection.readOnly).toBe(true);
    expect(a.readConnection.path).toBe(a.path);
  });
});
