import { startSqld } from '@liveframe/native/testing';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/database.ts';
import { tempDir } from './helpers/temp-dir.ts';

// The Database facade's replica capabilities, through openDatabase against a real sqld.
describe('Database replica capabilities', () => {
  it('exposes replicationIndex, maxWriteReplicationIndex and compactChangeLog', async () => {
    await using sqld = await startSqld();
    using dir = tempDir();
    await using db = await openDatabase({ mode: 'replica', path: dir.file('r.db'), syncUrl: sqld.url });
    expect(db.maxWriteReplicationIndex()).toBeNull();
    await db.exec('CREATE TABLE cc(id INTEGER PRIMARY KEY, v TEXT)');
    await db.installChangeLog();
    for (let i = 0; i < 5; i++) await db.run('INSERT INTO cc(v) VALUES (?)', [`v${i}`]);
    const write = await db.run("INSERT INTO cc(v) VALUES ('last')");
    expect(db.maxWriteReplicationIndex()).toEqual(write.position);
    expect(db.replicationIndex()).toBe(db.position().frame);
    expect(db.replicationIndex()).toBeGreaterThanOrEqual(write.position.frame);

    const report = await db.compactChangeLog({ maxRows: 2 });
    expect(report.deleted).toBe(4);
    expect(report.minSeq).toBeGreaterThan(1);
    await expect(db.compactChangeLog({ maxRows: -1 })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
  });

  it('in local mode: indexes follow local commits, freeze and compactChangeLog are NOT_SUPPORTED', async () => {
    using dir = tempDir();
    await using db = await openDatabase({ mode: 'local', path: dir.file('l.db') });
    expect(db.maxWriteReplicationIndex()).toBeNull();
    expect(db.replicationIndex()).toBe(0);
    await db.exec('CREATE TABLE t(x)');
    const w = await db.run('INSERT INTO t VALUES (1)');
    expect(db.maxWriteReplicationIndex()).toEqual(w.position);
    expect(db.replicationIndex()).toBe(w.position.frame);
    expect(db.frozen).toBe(false);
    await expect(db.freeze()).rejects.toMatchObject({ name: 'DbError', code: 'NOT_SUPPORTED' });
    await expect(db.compactChangeLog({ maxRows: 1 })).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
  });

  it('freeze: writes work locally, replica operations fail with FROZEN', async () => {
    await using sqld = await startSqld();
    using dir = tempDir();
    await using db = await openDatabase({ mode: 'replica', path: dir.file('f.db'), syncUrl: sqld.url });
    await db.exec('CREATE TABLE fz(id INTEGER PRIMARY KEY, v TEXT)');
    await db.run("INSERT INTO fz(v) VALUES ('a')");
    const frozenAt = await db.freeze();
    expect(db.frozen).toBe(true);
    expect(db.replicationIndex()).toBe(0);
    const w = await db.run("INSERT INTO fz(v) VALUES ('b')");
    expect(w.position.generation).toBe(frozenAt.generation);
    expect(w.position.frame).toBeGreaterThan(0);
    expect(db.maxWriteReplicationIndex()).toEqual(w.position);
    expect(db.all('SELECT v FROM fz ORDER BY id').map((r) => r.v)).toEqual(['a', 'b']);
    await expect(db.sync()).rejects.toMatchObject({ code: 'FROZEN' });
    await expect(db.compactChangeLog()).rejects.toMatchObject({ code: 'FROZEN' });
    await expect(db.installChangeLog()).rejects.toMatchObject({ code: 'FROZEN' });
    await expect(db.freeze()).rejects.toMatchObject({ code: 'FROZEN' });
  });
});

describe('Database replica errors', () => {
  it('an unreachable primary fails open and writes with PRIMARY_UNAVAILABLE', async () => {
    using dir = tempDir();
    let url: string;
    {
      await using sqld = await startSqld();
      url = sqld.url;
      await using db = await openDatabase({ mode: 'replica', path: dir.file('a.db'), syncUrl: url });
      await db.exec('CREATE TABLE pu(x)');
      await sqld.kill();
      await expect(db.run('INSERT INTO pu VALUES (1)')).rejects.toMatchObject({
        name: 'DbError',
        code: 'PRIMARY_UNAVAILABLE',
      });
      await expect(db.sync()).rejects.toMatchObject({ code: 'PRIMARY_UNAVAILABLE' });
      expect(db.all('SELECT count(*) AS n FROM pu')).toEqual([{ n: 0 }]);
    }
    await expect(
      openDatabase({ mode: 'replica', path: dir.file('b.db'), syncUrl: url }),
    ).rejects.toMatchObject({ name: 'DbError', code: 'PRIMARY_UNAVAILABLE' });
  });
});
