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

  it('primaryPosition: the newest primary frame from Hrana answers and syncs, undefined when frozen', async () => {
    await using sqld = await startSqld();
    using dir = tempDir();
    // No periodic sync within the test: the replica moves only when the test makes it.
    await using db = await openDatabase({
      mode: 'replica',
      path: dir.file('p.db'),
      syncUrl: sqld.url,
      syncIntervalMs: 600_000,
    });
    await db.exec('CREATE TABLE pp(id INTEGER PRIMARY KEY, v TEXT)');
    expect(db.primaryPosition()).toEqual(db.position());
    const behind = db.position();
    const direct = await sqld.execute("INSERT INTO pp(v) VALUES ('behind its back')");
    // Not known yet: nothing has talked to the primary since.
    expect(db.primaryPosition()).toEqual(behind);
    await db.transaction(async (tx) => {
      await tx.get('SELECT count(*) FROM pp');
      // The read's answer carried the primary's frame; the replica has not synced.
      expect(db.primaryPosition()).toEqual({ generation: behind.generation, frame: direct.replicationIndex });
      expect(db.position()).toEqual(behind);
    });
    // The commit synced the replica up to (at least) that frame; the primary is never below it.
    expect(db.position().frame).toBeGreaterThanOrEqual(direct.replicationIndex!);
    expect(db.primaryPosition()!.frame).toBeGreaterThanOrEqual(db.position().frame);
    await db.freeze();
    expect(db.primaryPosition()).toBeUndefined();
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
    expect(db.primaryPosition()).toBeUndefined();
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
