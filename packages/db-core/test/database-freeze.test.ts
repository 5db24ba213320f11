import { startSqld } from '@liveframe/native/testing';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/database.ts';
import { tempDir } from './helpers/temp-dir.ts';
import { allChanges, collectUntil } from './replica-fixtures.ts';

// After freeze the database must behave like a local-mode one, through the facade.
describe('a frozen database behaves like local mode', () => {
  it('its writer gets the native setup: functions, limits, authorizer, commit veto, deadlines', async () => {
    await using sqld = await startSqld();
    using dir = tempDir();
    await using db = await openDatabase({ mode: 'replica', path: dir.file('r.db'), syncUrl: sqld.url });
    await db.exec('CREATE TABLE items(id INTEGER PRIMARY KEY, v TEXT)');
    await db.exec('CREATE TABLE secrets(id INTEGER PRIMARY KEY, v TEXT)');
    await db.installChangeLog();
    // Registered before the freeze: must reach the frozen writer too.
    db.createFunction('shout', (s) => `${String(s).toUpperCase()}!`, { deterministic: true });
    db.limit('LENGTH', 100);
    db.setAuthorizer((action, table) => (action === 'INSERT' && table === 'secrets' ? 'deny' : 'ok'));
    expect(() => db.setCommitVeto(() => true)).toThrow(
      expect.objectContaining({ code: 'NOT_SUPPORTED_IN_REPLICA_MODE' }),
    );
    await db.freeze();

    await db.run("INSERT INTO items(v) VALUES (shout('hi'))");
    expect(db.all('SELECT v FROM items')).toEqual([{ v: 'HI!' }]);
    await expect(db.run(`INSERT INTO items(v) VALUES ('${'x'.repeat(200)}')`)).rejects.toMatchObject({
      code: 'LIMIT_EXCEEDED',
    });
    await expect(db.run("INSERT INTO secrets(v) VALUES ('no')")).rejects.toMatchObject({
      code: 'AUTHORIZATION_DENIED',
    });
    db.setAuthorizer(null);
    await db.run("INSERT INTO secrets(v) VALUES ('yes')");
    // Registered after the freeze: reaches the writer as well.
    db.createFunction('twice', (s) => `${String(s)}${String(s)}`);
    await db.run("INSERT INTO items(v) VALUES (twice('ab'))");
    expect(db.all('SELECT v FROM items ORDER BY id').map((r) => r.v)).toEqual(['HI!', 'abab']);

    db.setCommitVeto(() => false);
    await expect(db.run("INSERT INTO items(v) VALUES ('vetoed')")).rejects.toMatchObject({
      code: 'COMMIT_VETOED',
    });
    db.setCommitVeto(null);
    await expect(
      db.transaction(async (tx) => tx.run("INSERT INTO items(v) VALUES ('in time')"), { timeoutMs: 5_000 }),
    ).resolves.toMatchObject({ value: { changes: 1 } });
    // The replication machinery is gone from the frozen copy.
    expect(db.all("SELECT name FROM sqlite_schema WHERE name LIKE '%liveframe%'")).toEqual([]);
  });

  it('captures local changes natively under a new generation; rollbacks emit nothing', async () => {
    await using sqld = await startSqld();
    using dir = tempDir();
    await using db = await openDatabase({ mode: 'replica', path: dir.file('c.db'), syncUrl: sqld.url });
    await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)');
    await db.installChangeLog();
    await db.run("INSERT INTO t(v) VALUES ('replicated')");
    const before = db.position();
    const stream = db.changes()[Symbol.asyncIterator]();
    const frozen = await db.freeze();
    expect(frozen.generation).not.toBe(before.generation);
    await db.run("INSERT INTO t(v) VALUES ('local')");
    await db
      .transaction(async (tx) => {
        await tx.run("INSERT INTO t(v) VALUES ('rolled back')");
        throw new Error('abort');
      })
      .catch(() => undefined);
    await db.transaction(async (tx) => {
      await tx.run("UPDATE t SET v = 'changed' WHERE id = 1");
      await tx
        .savepoint(async (sp) => {
          await sp.run("INSERT INTO t(v) VALUES ('savepoint rolled back')");
          throw new Error('inner');
        })
        .catch(() => undefined);
      await tx.run('DELETE FROM t WHERE id = 2');
    });
    const events = await collectUntil(stream, (e) => allChanges(e).length >= 3);
    await stream.return?.();
    const cut = events.findIndex((e) => e.type === 'refetch-all');
    expect(events[cut]).toMatchObject({ type: 'refetch-all', position: frozen });
    const after = events.slice(cut + 1).filter((e) => e.type === 'changes');
    expect(after.every((e) => e.type === 'changes' && e.changeSet.generation === frozen.generation)).toBe(
      true,
    );
    expect(allChanges(after)).toEqual([
      { table: 't', op: 'insert', rowid: 2 },
      { table: 't', op: 'update', rowid: 1 },
      { table: 't', op: 'delete', rowid: 2 },
    ]);
    // Native capture, not a log: nothing but the user table appears.
    expect(allChanges(after).every((c) => c.table === 't')).toBe(true);
  });
});
