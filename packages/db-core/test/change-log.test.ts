import { describe, expect, it } from 'vitest';
import type { CaptureEvent } from '../src/change-set.ts';
import {
  allChanges,
  changeSets,
  collectUntil,
  openReplica,
  type Sqld,
  sqldForFile,
  tempDir,
} from './replica-fixtures.ts';

let sqld: Sqld;
sqldForFile((started) => {
  sqld = started;
});

const triggerNames = async (table: string) =>
  (
    await sqld.execute(
      "SELECT name FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ? ORDER BY name",
      [table],
    )
  ).rows.map((r) => String(r[0]));

const countChanges = (events: CaptureEvent[]) => allChanges(events).length;

describe('replicated change log', () => {
  it('installs idempotently on a fresh primary and refreshes triggers after migrations', async () => {
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url, { autoRefreshTriggers: false });
    await a.exec(
      'CREATE TABLE inst_a(id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE inst_b(k TEXT PRIMARY KEY) WITHOUT ROWID',
    );
    const first = await a.installChangeLog();
    expect(first.tables).toEqual(expect.arrayContaining(['inst_a', 'inst_b']));
    expect(first.tables.some((t) => t.startsWith('_liveframe'))).toBe(false);
    expect(first.createdTriggers).toBeGreaterThanOrEqual(6);
    expect(await triggerNames('inst_a')).toHaveLength(3);
    const again = await a.installChangeLog();
    expect(again.createdTriggers).toBe(0);
    expect(again.droppedTriggers).toBe(0);
    // Migration: a new table, a dropped table, a renamed table.
    await a.exec(
      'CREATE TABLE inst_c(id INTEGER PRIMARY KEY); DROP TABLE inst_b; ALTER TABLE inst_a RENAME TO inst_a2',
    );
    const refreshed = await a.installChangeLog();
    expect(refreshed.tables).toEqual(expect.arrayContaining(['inst_a2', 'inst_c']));
    expect(refreshed.tables).not.toContain('inst_b');
    expect(await triggerNames('inst_c')).toHaveLength(3);
    expect(await triggerNames('inst_b')).toHaveLength(0);
    const renamed = await triggerNames('inst_a2');
    expect(renamed).toHaveLength(3);
    expect(renamed.every((n) => n.endsWith('_inst_a2'))).toBe(true);
    // Changes on the renamed table are logged under its new name.
    const stream = a.changes();
    await a.run('INSERT INTO inst_a2(v) VALUES (?)', ['x']);
    const events = await collectUntil(stream, (e) => countChanges(e) >= 1);
    expect(allChanges(events)).toEqual([{ table: 'inst_a2', op: 'insert', rowid: 1 }]);
    await stream.return?.();
  });

  it('replaces the trigger bodies of an older installer (plain INSERT) and keeps capturing', async () => {
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url, { autoRefreshTriggers: false });
    await a.exec('CREATE TABLE upg(id INTEGER PRIMARY KEY, v TEXT)');
    await a.installChangeLog();
    // What installers before OR FAIL wrote (OR FAIL keeps SQLite from opening a statement
    // journal for every statement on the table; see change-log.ts).
    await sqld.batch([
      { sql: 'DROP TRIGGER "_liveframe_ti_upg"' },
      {
        sql: 'CREATE TRIGGER "_liveframe_ti_upg" AFTER INSERT ON "upg" BEGIN INSERT INTO _liveframe_changes(tbl, op, rid) VALUES (\'upg\', 1, NEW.rowid); END',
      },
    ]);
    const upgraded = await a.installChangeLog();
    expect(upgraded).toMatchObject({ createdTriggers: 1, droppedTriggers: 1 });
    const again = await a.installChangeLog();
    expect(again).toMatchObject({ createdTriggers: 0, droppedTriggers: 0 });
    const bodies = await sqld.execute(
      "SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'upg' ORDER BY name",
    );
    expect(bodies.rows.map((r) => String(r[0]))).toEqual([
      expect.stringMatching(/INSERT OR FAIL INTO _liveframe_changes/),
      expect.stringMatching(/INSERT OR FAIL INTO _liveframe_changes/),
      expect.stringMatching(/INSERT OR FAIL INTO _liveframe_changes/),
    ]);
    const stream = a.changes();
    await a.transaction(async (tx) => {
      await tx.run("INSERT INTO upg(v) VALUES ('a')");
      await tx.run("UPDATE upg SET id = 5 WHERE v = 'a'");
      await tx.run('DELETE FROM upg WHERE id = 5');
    });
    const events = await collectUntil(stream, (e) => countChanges(e) >= 4);
    expect(allChanges(events)).toEqual([
      { table: 'upg', op: 'insert', rowid: 1 },
      { table: 'upg', op: 'update', rowid: 5 },
      { table: 'upg', op: 'delete', rowid: 1 },
      { table: 'upg', op: 'delete', rowid: 5 },
    ]);
    await stream.return?.();
  });

  it('reports rowids beyond 2^53 as null (table-level), never as a rounded number', async () => {
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url);
    await a.exec('CREATE TABLE huge(id INTEGER PRIMARY KEY, v TEXT)');
    await a.installChangeLog();
    const stream = a.changes();
    // 2^62 + 1 rounds to 2^62 as a double: a lossy rowid would name another row.
    await sqld.execute(
      "INSERT INTO huge(id, v) VALUES (4611686018427387905, 'big'), (9007199254740991, 'max safe'), (7, 'small')",
    );
    await sqld.execute("UPDATE huge SET v = 'bigger' WHERE id = 4611686018427387905");
    await a.sync();
    const events = await collectUntil(stream, (e) => countChanges(e) >= 4);
    expect(allChanges(events)).toEqual([
      { table: 'huge', op: 'insert', rowid: null },
      { table: 'huge', op: 'insert', rowid: 9007199254740991 },
      { table: 'huge', op: 'insert', rowid: 7 },
      { table: 'huge', op: 'update', rowid: null },
    ]);
    expect(a.all('SELECT id FROM huge WHERE v = ?', ['bigger'])).toEqual([{ id: 4611686018427387905n }]);
    await stream.return?.();
  });

  it('gives tables created later triggers automatically when a sync shows them', async () => {
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url);
    await a.installChangeLog();
    const stream = a.changes();
    await sqld.execute('CREATE TABLE auto_new(id INTEGER PRIMARY KEY, v TEXT)');
    await a.sync();
    const schema = await collectUntil(stream, (e) => e.some((x) => x.type === 'schema'));
    const event = schema.find((x) => x.type === 'schema');
    expect(event?.type === 'schema' && event.tables).toEqual(['auto_new']);
    expect(await triggerNames('auto_new')).toHaveLength(3);
    await sqld.execute("INSERT INTO auto_new(v) VALUES ('y')");
    await a.sync();
    const events = await collectUntil(stream, (e) => allChanges(e).some((c) => c.table === 'auto_new'));
    expect(allChanges(events).filter((c) => c.table === 'auto_new')).toEqual([
      { table: 'auto_new', op: 'insert', rowid: 1 },
    ]);
    await stream.return?.();
  });

  it('streams writes from another replica and from a direct primary client to every replica, one change set per sync', async () => {
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url);
    await using b = await openReplica(dir.path, sqld.url);
    await a.exec(
      'CREATE TABLE multi_x(id INTEGER PRIMARY KEY, v INTEGER); CREATE TABLE multi_y(id INTEGER PRIMARY KEY, v INTEGER)',
    );
    await a.installChangeLog();
    await b.sync();
    const sa = a.changes();
    const sb = b.changes();
    // A multi-table transaction through replica A.
    const tx = await a.transaction(async (t) => {
      await t.run('INSERT INTO multi_x(v) VALUES (1)');
      await t.run('INSERT INTO multi_y(v) VALUES (2)');
      await t.run('INSERT INTO multi_y(v) VALUES (3)');
    });
    // A's own transaction arrives whole, in one change set at the commit's frame, before the reply.
    const own = await collectUntil(sa, (e) => countChanges(e) >= 3);
    expect(changeSets(own)).toHaveLength(1);
    expect(changeSets(own)[0]).toMatchObject({
      frame: tx.position.frame,
      generation: tx.position.generation,
    });
    // Updates and deletes straight on the primary (a shell, another service).
    await sqld.batch([
      { sql: 'BEGIN' },
      { sql: 'UPDATE multi_y SET v = v + 10 WHERE id = 1' },
      { sql: 'DELETE FROM multi_x WHERE id = 1' },
      { sql: 'UPDATE multi_y SET id = 50 WHERE id = 2' },
      { sql: 'COMMIT' },
    ]);
    const synced = await b.sync();
    const expected = [
      { table: 'multi_x', op: 'insert', rowid: 1 },
      { table: 'multi_y', op: 'insert', rowid: 1 },
      { table: 'multi_y', op: 'insert', rowid: 2 },
      { table: 'multi_y', op: 'update', rowid: 1 },
      { table: 'multi_x', op: 'delete', rowid: 1 },
      { table: 'multi_y', op: 'update', rowid: 50 },
      { table: 'multi_y', op: 'delete', rowid: 2 },
    ];
    const eventsB = await collectUntil(sb, (e) => countChanges(e) >= expected.length);
    // B synced once after both writes: everything comes as one change set at the sync's frame.
    expect(changeSets(eventsB)).toHaveLength(1);
    expect(changeSets(eventsB)[0]?.frame).toBe(synced.position.frame);
    expect(allChanges(eventsB)).toEqual(expected);
    await a.sync();
    const eventsA = await collectUntil(sa, (e) => countChanges(e) >= expected.length - 3);
    expect([...allChanges(own), ...allChanges(eventsA)]).toEqual(expected);
    await sa.return?.();
    await sb.return?.();
  });

  it('captures a 100k-row bulk transaction with another table in it', async () => {
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url);
    await using b = await openReplica(dir.path, sqld.url);
    await a.exec(
      'CREATE TABLE bulk(id INTEGER PRIMARY KEY, v INTEGER); CREATE TABLE bulk_meta(id INTEGER PRIMARY KEY, n INTEGER)',
    );
    await a.installChangeLog();
    await b.sync();
    const sb = b.changes({ bufferSize: 16 });
    const { position } = await a.transaction(async (t) => {
      await t.run(
        'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000) INSERT INTO bulk(v) SELECT x FROM c',
      );
      await t.run('INSERT INTO bulk_meta(n) VALUES (100000)');
    });
    expect((await b.waitForFrame(position, { timeoutMs: 30_000 })).status).toBe('reached');
    const events = await collectUntil(sb, (e) => countChanges(e) >= 100_001);
    const sets = changeSets(events);
    expect(sets).toHaveLength(1);
    const changes = sets[0]!.changes;
    expect(changes.filter((c) => c.table === 'bulk')).toHaveLength(100_000);
    expect(changes.at(-1)).toEqual({ table: 'bulk_meta', op: 'insert', rowid: 1 });
    expect(new Set(changes.filter((c) => c.table === 'bulk').map((c) => c.rowid)).size).toBe(100_000);
    await sb.return?.();
  });

  it('captures nothing from a rolled-back transaction', async () => {
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url);
    await a.exec('CREATE TABLE rb(id INTEGER PRIMARY KEY, v INTEGER UNIQUE)');
    await a.installChangeLog();
    const stream = a.changes();
    await expect(
      a.transaction(async (t) => {
        await t.run('INSERT INTO rb(v) VALUES (1)');
        await t.run('INSERT INTO rb(v) VALUES (1)');
      }),
    ).rejects.toMatchObject({ code: 'CONSTRAINT' });
    await a.run('INSERT INTO rb(v) VALUES (2)');
    const events = await collectUntil(stream, (e) => countChanges(e) >= 1);
    expect(allChanges(events)).toEqual([{ table: 'rb', op: 'insert', rowid: 1 }]);
    expect(a.all('SELECT v FROM rb')).toEqual([{ v: 2 }]);
    await stream.return?.();
  });

  it('compacts by count without dropping rows a live cursor needs; a cursor compacted past gets refetch-all', async () => {
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url);
    await using live = await openReplica(dir.path, sqld.url, { cursorHeartbeatMs: 0 });
    await using stale = await openReplica(dir.path, sqld.url);
    await a.exec('CREATE TABLE cmp(id INTEGER PRIMARY KEY, v INTEGER)');
    await a.installChangeLog();
    await live.sync();
    await stale.sync();
    // The live replica registers its cursor by compacting with no retention limits.
    await live.compactChangeLog({});
    const liveStream = live.changes();
    const staleStream = stale.changes();
    for (let i = 0; i < 20; i++) await a.run('INSERT INTO cmp(v) VALUES (?)', [i]);
    const report = await a.compactChangeLog({ maxRows: 1 });
    // The live cursor is protected: nothing it has not read yet is gone.
    await live.sync();
    const liveEvents = await collectUntil(liveStream, (e) => countChanges(e) >= 20);
    expect(allChanges(liveEvents).filter((c) => c.table === 'cmp')).toHaveLength(20);
    expect(liveEvents.some((e) => e.type === 'refetch-all')).toBe(false);
    expect(report.deleted).toBeGreaterThanOrEqual(0);
    // Now the live replica has read everything: refresh its registration, compact for real.
    await live.compactChangeLog({});
    await a.run('INSERT INTO cmp(v) VALUES (100)');
    const second = await a.compactChangeLog({ maxRows: 1 });
    expect(second.deleted).toBeGreaterThan(0);
    const left = (await sqld.execute('SELECT count(*) FROM _liveframe_changes')).rows[0]?.[0];
    expect(left).toBe(1);
    // Sequence numbers are never reused after compaction (the newest row is the high-water mark).
    const maxBefore = Number((await sqld.execute('SELECT max(seq) FROM _liveframe_changes')).rows[0]?.[0]);
    await a.run('INSERT INTO cmp(v) VALUES (101)');
    const maxAfter = Number((await sqld.execute('SELECT max(seq) FROM _liveframe_changes')).rows[0]?.[0]);
    expect(maxAfter).toBe(maxBefore + 1);
    // The stale replica never registered and never synced: its rows are gone, it is told to refetch.
    await stale.sync();
    const staleEvents = await collectUntil(staleStream, (e) => e.some((x) => x.type === 'refetch-all'));
    expect(staleEvents.find((e) => e.type === 'refetch-all')).toMatchObject({
      reason: expect.stringMatching(/compacted/),
    });
    await liveStream.return?.();
    await staleStream.return?.();
  });

  it('a slow consumer gets one refetch-all instead of unbounded memory; a cancelled stream ends', async () => {
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url);
    await a.exec('CREATE TABLE slow(id INTEGER PRIMARY KEY, v INTEGER)');
    await a.installChangeLog();
    const controller = new AbortController();
    const stream = a.changes({ bufferSize: 2, signal: controller.signal });
    await a.run('INSERT INTO slow(v) VALUES (1)');
    await a.exec('CREATE TABLE slow2(id INTEGER PRIMARY KEY)');
    await a.exec('CREATE TABLE slow3(id INTEGER PRIMARY KEY)');
    await a.exec('CREATE TABLE slow4(id INTEGER PRIMARY KEY)');
    const first = await stream.next();
    expect(first.value).toMatchObject({ type: 'refetch-all' });
    controller.abort();
    expect((await stream.next()).done).toBe(true);
  });
});
