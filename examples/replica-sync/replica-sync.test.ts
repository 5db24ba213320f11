import { startSqld } from '@liveframe/native/testing';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../shared/temp-dir.ts';
import {
  addNote,
  collectEvents,
  migrate,
  openServerReplica,
  readAfter,
  rowChanges,
  writeOrFreeze,
} from './replica-pair.ts';

describe('replica-sync', () => {
  it('read-your-writes across two replicas: local at once on A, after waitForFrame on B', async () => {
    await using sqld = await startSqld();
    using dir = tempDir('replicas');
    await using a = await openServerReplica(dir.path, 'a', sqld.url, { syncIntervalMs: 0 });
    await using b = await openServerReplica(dir.path, 'b', sqld.url, { syncIntervalMs: 0 });
    await migrate(a);
    await b.sync();
    const stream = b.changes()[Symbol.asyncIterator]();

    const first = await addNote(a, 'one');
    expect(a.all('SELECT body FROM note')).toEqual([{ body: 'one' }]);
    // B syncs only on demand here, so it cannot have the write yet.
    expect(b.position().frame).toBeLessThan(first.position.frame);
    expect(b.all('SELECT body FROM note')).toEqual([]);
    const read = await readAfter<{ body: string }>(b, first.position, 'SELECT body FROM note');
    expect(read).toEqual({ rows: [{ body: 'one' }], refetchAll: false });
    expect(b.position()).toMatchObject({ generation: first.position.generation });
    expect(b.position().frame).toBeGreaterThanOrEqual(first.position.frame);

    // Writes from B (or a shell on the primary) reach A the same way, and B's stream reports A's row.
    const second = await addNote(b, 'two');
    const onA = await readAfter<{ body: string }>(a, second.position, 'SELECT body FROM note ORDER BY id');
    expect(onA.rows.map((r) => r.body)).toEqual(['one', 'two']);
    const events = await collectEvents(stream, (e) => rowChanges(e).length >= 2);
    expect(rowChanges(events)).toEqual([
      { table: 'note', op: 'insert', rowid: first.id },
      { table: 'note', op: 'insert', rowid: second.id },
    ]);
    await stream.return?.();
  });

  it('a primary crash (new generation) answers old frames with refetch-all instead of a hang', async () => {
    await using sqld = await startSqld();
    using dir = tempDir('replicas');
    await using a = await openServerReplica(dir.path, 'a', sqld.url, { syncIntervalMs: 0 });
    await using b = await openServerReplica(dir.path, 'b', sqld.url, { syncIntervalMs: 0 });
    await migrate(a);
    const { position } = await addNote(a, 'before the crash');
    await readAfter(b, position, 'SELECT 1');
    const stream = b.changes()[Symbol.asyncIterator]();

    await sqld.restart({ signal: 'SIGKILL' });
    await b.sync();
    expect(b.position().generation).not.toBe(position.generation);
    const after = await readAfter<{ n: number }>(b, position, 'SELECT count(*) AS n FROM note');
    expect(after).toEqual({ rows: [{ n: 1 }], refetchAll: true });
    const events = await collectEvents(stream, (e) => e.some((x) => x.type === 'refetch-all'));
    expect(events.find((e) => e.type === 'refetch-all')).toMatchObject({
      reason: 'primary generation changed',
    });

    // Life goes on in the new generation.
    const next = await addNote(a, 'after the crash');
    expect(next.position.generation).toBe(b.position().generation);
    expect((await readAfter(b, next.position, 'SELECT count(*) AS n FROM note')).rows).toEqual([{ n: 2 }]);
    await stream.return?.();
  });

  it('primary gone for good: freeze and keep serving writes locally', async () => {
    await using sqld = await startSqld();
    using dir = tempDir('replicas');
    await using a = await openServerReplica(dir.path, 'a', sqld.url, { syncIntervalMs: 0 });
    await migrate(a);
    const before = await addNote(a, 'replicated');
    const stream = a.changes()[Symbol.asyncIterator]();

    await sqld.kill();
    const write = await writeOrFreeze(a, 'INSERT INTO note(body) VALUES (?)', ['written while frozen']);
    expect(write.frozeNow).toBe(true);
    expect(a.frozen).toBe(true);
    expect(write.position.generation).not.toBe(before.position.generation);
    expect(a.all<{ body: string }>('SELECT body FROM note ORDER BY id').map((r) => r.body)).toEqual([
      'replicated',
      'written while frozen',
    ]);
    // The stream marks the switch once, then reports local writes again.
    const events = await collectEvents(stream, (e) => rowChanges(e).length >= 1);
    expect(events[0]).toMatchObject({ type: 'refetch-all', reason: expect.stringMatching(/frozen/) });
    expect(rowChanges(events)).toEqual([{ table: 'note', op: 'insert', rowid: 2 }]);
    await expect(a.sync()).rejects.toMatchObject({ code: 'FROZEN' });
    const next = await writeOrFreeze(a, 'INSERT INTO note(body) VALUES (?)', ['still local']);
    expect(next.frozeNow).toBe(false);
    await stream.return?.();
  });
});
