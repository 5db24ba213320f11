import { describe, expect, it } from 'vitest';
import type { CaptureEvent, TableChange } from '../src/change-set.ts';
import { openDatabase } from '../src/database.ts';
import { PrimaryHttp } from '../src/replica/primary-http.ts';
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

let tableCounter = 0;

/** A table with the change log installed, created through replica `a`. */
async function freshTable(a: { exec(sql: string): Promise<unknown>; installChangeLog(): Promise<unknown> }) {
  tableCounter += 1;
  const table = `early_${tableCounter}`;
  await a.exec(`CREATE TABLE ${table}(id INTEGER PRIMARY KEY, v TEXT NOT NULL)`);
  await a.installChangeLog();
  return table;
}

/**
 * A stream consumer that keeps everything it got, so a test can look at it at any moment, and
 * where the replica stood when each change set arrived.
 */
function recorder(db: { changes(): AsyncIterable<CaptureEvent>; position(): { frame: number } }) {
  const stream = db.changes()[Symbol.asyncIterator]();
  const events: CaptureEvent[] = [];
  /** Per change set: the replica's own frame when it arrived (below the set's frame: published early). */
  const replicaFrames: number[] = [];
  const waiters = new Set<() => void>();
  let stopped = false;
  const done = (async () => {
    for (let next = await stream.next(); !next.done; next = await stream.next()) {
      const event = next.value;
      events.push(event);
      if (event.type === 'changes') replicaFrames.push(db.position().frame);
      for (const wake of waiters) wake();
      if (stopped) break;
    }
  })();
  const changesOf = (table: string) => allChanges(events).filter((c) => c.table === table);
  return {
    events,
    changesOf,
    /** True when the newest change set arrived before the replica had synced its frame. */
    lastWasEarly: () => {
      const last = changeSets(events).at(-1);
      return last !== undefined && (replicaFrames.at(-1) ?? Number.POSITIVE_INFINITY) < last.frame;
    },
    /** Resolves once `table` has `count` changes; fails after a deadline instead of hanging. */
    async untilChanges(table: string, count: number, ms = 10_000): Promise<void> {
      if (changesOf(table).length >= count) return;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${table}: ${changesOf(table).length} of ${count} changes within ${ms} ms`));
        }, ms);
        const check = () => {
          if (changesOf(table).length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    },
    async stop() {
      stopped = true;
      await stream.return?.();
      await done;
    },
  };
}

const inserted = (table: string, ...rowids: number[]): TableChange[] =>
  rowids.map((rowid) => ({ table, op: 'insert', rowid }));

/** Positions of change sets only ever move forward. */
function expectForward(events: CaptureEvent[]) {
  const frames = changeSets(events).map((c) => c.frame);
  expect(frames).toEqual([...frames].sort((x, y) => x - y));
}

describe('replica mode: changes published at the primary acknowledgement', () => {
  it("a batch's rows are on the writer's change stream before the write resolves, exactly once", async () => {
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url);
    const table = await freshTable(a);
    const seen = recorder(a);
    const first = await a.batch([
      { sql: `INSERT INTO ${table}(id, v) VALUES (1, 'a')` },
      { sql: `INSERT INTO ${table}(id, v) VALUES (2, 'b')` },
    ]);
    // Published synchronously at the acknowledgement; the write resolved only after its sync.
    expect(seen.changesOf(table)).toEqual(inserted(table, 1, 2));
    expect(seen.lastWasEarly()).toBe(true);
    const atWrite = changeSets(seen.events).at(-1);
    expect(atWrite?.frame).toBe(first.position.frame);
    // Later syncs bring the same rows again through the replica's own log read: not republished.
    await a.sync();
    await a.batch([{ sql: `INSERT INTO ${table}(id, v) VALUES (3, 'c')` }]);
    await a.sync();
    expect(seen.changesOf(table)).toEqual(inserted(table, 1, 2, 3));
    expectForward(seen.events);
    await seen.stop();
  });

  it('transactions publish at the acknowledgement too, and rolled-back ones publish nothing', async () => {
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url);
    const table = await freshTable(a);
    const seen = recorder(a);
    await a.transaction(async (tx) => {
      await tx.run(`INSERT INTO ${table}(id, v) VALUES (10, 'x')`);
      await tx.run(`UPDATE ${table} SET v = 'y' WHERE id = 10`);
    });
    expect(seen.changesOf(table)).toEqual([
      { table, op: 'insert', rowid: 10 },
      { table, op: 'update', rowid: 10 },
    ]);
    expect(seen.lastWasEarly()).toBe(true);
    await expect(
      a.transaction(async (tx) => {
        await tx.run(`INSERT INTO ${table}(id, v) VALUES (11, 'z')`);
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    await a.batch([{ sql: `INSERT INTO ${table}(id, v) VALUES (12, 'w')` }]);
    await a.sync();
    expect(seen.changesOf(table).map((c) => c.rowid)).toEqual([10, 10, 12]);
    await seen.stop();
  });

  it("other writers' commits before this write are published with it, in commit order", async () => {
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url, { syncIntervalMs: 0 });
    const table = await freshTable(a);
    await a.sync();
    const seen = recorder(a);
    // Straight on the primary (a shell, another app): this replica has not synced them.
    await sqld.execute(`INSERT INTO ${table}(id, v) VALUES (20, 'shell')`);
    await sqld.execute(`DELETE FROM ${table} WHERE id = 20`);
    const write = await a.batch([{ sql: `INSERT INTO ${table}(id, v) VALUES (21, 'mine')` }]);
    expect(seen.changesOf(table)).toEqual([
      { table, op: 'insert', rowid: 20 },
      { table, op: 'delete', rowid: 20 },
      { table, op: 'insert', rowid: 21 },
    ]);
    expect(seen.lastWasEarly()).toBe(true);
    expect(changeSets(seen.events).at(-1)?.frame).toBe(write.position.frame);
    await a.sync();
    expect(seen.changesOf(table)).toHaveLength(3);
    await seen.stop();
  });

  it('a single autocommit statement is published after its sync, once', async () => {
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url);
    const table = await freshTable(a);
    const stream = a.changes();
    await a.run(`INSERT INTO ${table}(id, v) VALUES (30, 'r')`);
    const events = await collectUntil(stream, (e) => allChanges(e).some((c) => c.table === table));
    expect(allChanges(events).filter((c) => c.table === table)).toEqual(inserted(table, 30));
    await stream.return?.();
  });
});

/** A replica that syncs only when asked (no periodic sync), so a test decides when B catches up. */
const openQuietReplica = (path: string) =>
  openDatabase({ mode: 'replica', path, syncUrl: sqld.url, syncIntervalMs: 0 });

describe('replica mode: rows handed to another server', () => {
  it('a peer publishes rows that continue its stream before it synced them, and never twice', async () => {
    using dir = tempDir();
    await using a = await openQuietReplica(`${dir.path}/a.db`);
    await using b = await openQuietReplica(`${dir.path}/b.db`);
    const table = await freshTable(a);
    await b.sync();
    const handed: Array<{ position: { generation: string; frame: number }; changes: unknown }> = [];
    a.onWriteAcknowledged((position, changes) => handed.push({ position, changes }));
    const seen = recorder(b);
    const write = await a.batch([{ sql: `INSERT INTO ${table}(id, v) VALUES (40, 'p')` }]);
    const hint = handed.at(-1);
    expect(hint?.position).toEqual(write.position);
    expect(b.position().frame).toBeLessThan(write.position.frame);
    expect(b.applyPeerChanges(hint!.position, hint!.changes)).toBe(true);
    await seen.untilChanges(table, 1);
    expect(seen.lastWasEarly()).toBe(true);
    expect(seen.changesOf(table)).toEqual(inserted(table, 40));
    expect(changeSets(seen.events).at(-1)?.frame).toBe(write.position.frame);
    // The same rows again (a repeated hint) and B's own sync publish nothing more.
    expect(b.applyPeerChanges(hint!.position, hint!.changes)).toBe(false);
    await b.sync();
    expect(seen.changesOf(table)).toEqual(inserted(table, 40));
    expectForward(seen.events);
    await seen.stop();
  });

  it('rows after a gap, invalid rows and local mode are refused; the sync still delivers everything', async () => {
    using dir = tempDir();
    await using a = await openQuietReplica(`${dir.path}/a.db`);
    await using b = await openQuietReplica(`${dir.path}/b.db`);
    await using local = await openDatabase({ mode: 'local', path: `${dir.path}/local.db` });
    const table = await freshTable(a);
    await b.sync();
    const handed: unknown[] = [];
    a.onWriteAcknowledged((_, changes) => handed.push(changes));
    const seen = recorder(b);
    await a.batch([{ sql: `INSERT INTO ${table}(id, v) VALUES (50, 'first')` }]);
    const second = await a.batch([{ sql: `INSERT INTO ${table}(id, v) VALUES (51, 'second')` }]);
    // B never got the first write's rows: the second's would leave a gap.
    expect(b.applyPeerChanges(second.position, handed.at(-1))).toBe(false);
    for (const bad of [
      null,
      'x',
      { firstSeq: 0 },
      { firstSeq: 1, tables: ['t'], tableIndex: [3], ops: [1], rowids: [1] },
    ]) {
      expect(b.applyPeerChanges(second.position, bad)).toBe(false);
    }
    expect(local.applyPeerChanges(second.position, handed.at(-1))).toBe(false);
    expect(seen.changesOf(table)).toEqual([]);
    await b.sync();
    expect(seen.changesOf(table)).toEqual(inserted(table, 50, 51));
    await seen.stop();
  });
});

describe('PrimaryHttp batch tail', () => {
  it('commits the batch when its tail read fails, and returns the tail when it works', async () => {
    const primary = new PrimaryHttp(sqld.url);
    try {
      await primary.execute({ sql: 'CREATE TABLE IF NOT EXISTS tail_t(x INTEGER)' });
      const failed = await primary.batch([{ sql: 'INSERT INTO tail_t VALUES (1)' }], {
        tail: { sql: 'SELECT * FROM no_such_table' },
      });
      expect(failed.tail).toBeNull();
      expect(failed.replicationIndex).not.toBeNull();
      const worked = await primary.batch([{ sql: 'INSERT INTO tail_t VALUES (2)' }], {
        tail: { sql: 'SELECT count(*) FROM tail_t' },
      });
      expect(worked.tail?.rows[0]?.[0]).toEqual({ type: 'integer', value: '2' });
      expect(worked.results).toHaveLength(1);
    } finally {
      primary.close();
    }
  });
});
