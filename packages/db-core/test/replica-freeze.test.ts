import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startSqld } from '@liveframe/native/testing';
import { describe, expect, it } from 'vitest';
import { allChanges, collectUntil, openReplica, tempDir } from './replica-fixtures.ts';

describe('freeze', () => {
  it('turns a replica into a standalone local database: data kept, writes work, sync refused', async () => {
    await using sqld = await startSqld();
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url);
    await a.exec('CREATE TABLE fz(id INTEGER PRIMARY KEY, v TEXT)');
    await a.installChangeLog();
    await a.run("INSERT INTO fz(v) VALUES ('before')");
    await sqld.execute("INSERT INTO fz(v) VALUES ('primary')");
    const stream = a.changes();
    const position = await a.freeze();
    expect(a.frozen).toBe(true);
    expect(position.frame).toBe(0);
    // The final sync ran before the copy.
    expect(a.all('SELECT v FROM fz ORDER BY id')).toEqual([{ v: 'before' }, { v: 'primary' }]);
    expect(existsSync(`${a.path}-client_wal_index`)).toBe(false);
    await expect(a.sync()).rejects.toMatchObject({ name: 'DbError', code: 'FROZEN' });
    await expect(a.installChangeLog()).rejects.toMatchObject({ code: 'FROZEN' });
    // Writes go to the local file now, not to the primary.
    const w = await a.run("INSERT INTO fz(v) VALUES ('after')");
    expect(w.position.generation).toBe(position.generation);
    expect(w.position.frame).toBeGreaterThan(0);
    expect(a.all('SELECT v FROM fz ORDER BY id').map((r) => r.v)).toEqual(['before', 'primary', 'after']);
    expect((await sqld.execute('SELECT count(*) FROM fz')).rows[0]?.[0]).toBe(2);
    await a.transaction(async (tx) => {
      await tx.run("UPDATE fz SET v = 'changed' WHERE id = 1");
      await tx.run('DELETE FROM fz WHERE id = 2');
    });
    // The change stream keeps working from the log triggers in the frozen copy.
    // First what the final sync brought in, then the freeze itself (a new generation), then local writes.
    const events = await collectUntil(stream, (e) => allChanges(e).length >= 4);
    const cut = events.findIndex((e) => e.type === 'refetch-all');
    expect(allChanges(events.slice(0, cut))).toEqual([{ table: 'fz', op: 'insert', rowid: 2 }]);
    expect(events[cut]).toMatchObject({ type: 'refetch-all', reason: expect.stringMatching(/frozen/) });
    expect(allChanges(events.slice(cut + 1))).toEqual([
      { table: 'fz', op: 'insert', rowid: 3 },
      { table: 'fz', op: 'update', rowid: 1 },
      { table: 'fz', op: 'delete', rowid: 2 },
    ]);
    await stream.return?.();
  });

  it('freezes into another path and leaves the replica file alone', async () => {
    await using sqld = await startSqld();
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url);
    await a.exec('CREATE TABLE fz2(id INTEGER PRIMARY KEY)');
    await a.run('INSERT INTO fz2 DEFAULT VALUES');
    const target = join(dir.path, 'standalone.db');
    await a.freeze({ path: target });
    expect(existsSync(target)).toBe(true);
    await a.run('INSERT INTO fz2 DEFAULT VALUES');
    expect(a.all('SELECT count(*) AS n FROM fz2')).toEqual([{ n: 2 }]);
    await expect(a.waitForFrame({ generation: 'x', frame: 1 }, { timeoutMs: 100 })).resolves.toMatchObject({
      status: 'generation-changed',
    });
  });
});
