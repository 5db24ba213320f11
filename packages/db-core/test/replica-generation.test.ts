import { startSqld } from '@liveframe/native/testing';
import { describe, expect, it } from 'vitest';
import { DbError } from '../src/errors.ts';
import { collectUntil, openReplica, tempDir } from './replica-fixtures.ts';

describe('primary generations and failures', () => {
  it('SIGKILL + restart of the primary: typed generation-changed, refetch-all, nothing hangs, writes continue', async () => {
    await using sqld = await startSqld();
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url);
    await using b = await openReplica(dir.path, sqld.url);
    await a.exec('CREATE TABLE gen(id INTEGER PRIMARY KEY, v INTEGER)');
    await a.installChangeLog();
    for (let i = 0; i < 30; i++) await a.run('INSERT INTO gen(v) VALUES (?)', [i]);
    const before = a.position();
    expect((await b.waitForFrame(before, { timeoutMs: 10_000 })).status).toBe('reached');
    const streamB = b.changes();

    // A waiter for a frame the old generation never reaches is pending while the primary crashes.
    const pending = b.waitForFrame(
      { generation: before.generation, frame: before.frame + 1_000 },
      { timeoutMs: 15_000 },
    );
    await sqld.restart({ signal: 'SIGKILL' });
    const pendingResult = await pending;
    expect(pendingResult.status).toBe('generation-changed');
    expect(pendingResult.position.generation).not.toBe(before.generation);

    // Rows survive the crash; the frame counter restarts in a new generation.
    await a.sync();
    const after = a.position();
    expect(after.generation).not.toBe(before.generation);
    expect(after.frame).toBeLessThan(before.frame);
    expect(a.get('SELECT count(*) AS n FROM gen')).toEqual({ n: 30 });

    // An old-generation target is answered at once, never waited on.
    const old = await a.waitForFrame(before, { timeoutMs: 15_000 });
    expect(old.status).toBe('generation-changed');

    // B's stream says "refetch all" for the generation change.
    const events = await collectUntil(streamB, (e) => e.some((x) => x.type === 'refetch-all'));
    expect(events.find((x) => x.type === 'refetch-all')).toMatchObject({
      reason: 'primary generation changed',
      position: { generation: pendingResult.position.generation },
    });

    // Writing and capturing go on in the new generation; B follows A's new-generation frames.
    const w = await a.run('INSERT INTO gen(v) VALUES (100)');
    expect(w.position.generation).toBe(after.generation);
    expect((await b.waitForFrame(w.position, { timeoutMs: 10_000 })).status).toBe('reached');
    const next = await collectUntil(streamB, (e) => e.some((x) => x.type === 'changes'));
    const changes = next.flatMap((x) => (x.type === 'changes' ? x.changeSet.changes : []));
    expect(changes).toContainEqual({ table: 'gen', op: 'insert', rowid: 31 });
    await streamB.return?.();
  });

  it('a target from a generation this replica has not seen yet is reached after it syncs into it', async () => {
    await using sqld = await startSqld();
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url);
    await using b = await openReplica(dir.path, sqld.url);
    await a.exec('CREATE TABLE ahead(id INTEGER PRIMARY KEY)');
    await b.sync();
    await sqld.restart({ signal: 'SIGKILL' });
    await a.sync();
    const w = await a.run('INSERT INTO ahead DEFAULT VALUES');
    expect(w.position.generation).not.toBe(b.position().generation);
    const result = await b.waitForFrame(w.position, { timeoutMs: 10_000 });
    expect(result.status).toBe('reached');
    expect(b.all('SELECT id FROM ahead')).toEqual([{ id: 1 }]);
  });

  it('a clean restart (SIGTERM) keeps the generation', async () => {
    await using sqld = await startSqld();
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url);
    await a.exec('CREATE TABLE keep(id INTEGER PRIMARY KEY)');
    const before = a.position();
    await sqld.restart({ signal: 'SIGTERM' });
    await a.sync();
    expect(a.position().generation).toBe(before.generation);
    expect(a.position().frame).toBe(before.frame);
  });

  it('waitForFrame times out (typed) while the primary is down, and writes fail typed', async () => {
    await using sqld = await startSqld();
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url);
    const p = a.position();
    await sqld.kill();
    const result = await a.waitForFrame({ generation: p.generation, frame: p.frame + 1 }, { timeoutMs: 300 });
    expect(result.status).toBe('timeout');
    const error = await a.run('CREATE TABLE down(x)').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DbError);
    expect((error as DbError).code).toBe('PRIMARY_UNAVAILABLE');
    await expect(a.sync()).rejects.toMatchObject({ name: 'DbError', code: 'PRIMARY_UNAVAILABLE' });
    // Writes go to the primary over HTTP, not through the worker: the background sync's error is
    // known once the worker answered the explicit sync above.
    expect(a.lastSyncError?.code).toBe('PRIMARY_UNAVAILABLE');
  });

  it('a crashed worker rejects pending and later requests with a typed error; close does not hang', async () => {
    await using sqld = await startSqld();
    using dir = tempDir();
    const a = await openReplica(dir.path, sqld.url);
    await a.exec('CREATE TABLE crash(id INTEGER PRIMARY KEY)');
    const p = a.position();
    const waiting = a.waitForFrame(
      { generation: p.generation, frame: p.frame + 10_000 },
      { timeoutMs: 30_000 },
    );
    a.debugCrashWorker();
    await expect(waiting).rejects.toMatchObject({ name: 'DbError', code: 'WORKER_EXITED' });
    await expect(a.run('INSERT INTO crash DEFAULT VALUES')).rejects.toMatchObject({ code: 'WORKER_EXITED' });
    await expect(a.sync()).rejects.toMatchObject({ code: 'WORKER_EXITED' });
    // Local reads still work: the file is intact.
    expect(a.all('SELECT count(*) AS n FROM crash')).toEqual([{ n: 0 }]);
    await a.close();
    expect(() => a.all('SELECT 1')).toThrow(DbError);
  });

  it('close() answers pending waits and stops the worker by message', async () => {
    await using sqld = await startSqld();
    using dir = tempDir();
    const a = await openReplica(dir.path, sqld.url, { syncIntervalMs: 5 });
    const p = a.position();
    const waiting = a.waitForFrame(
      { generation: p.generation, frame: p.frame + 10_000 },
      { timeoutMs: 30_000 },
    );
    await a.close();
    const result = await waiting.catch((e: unknown) => e);
    expect(result instanceof DbError ? result.code : (result as { status: string }).status).toMatch(
      /timeout|CLOSED/,
    );
    await expect(a.run('SELECT 1')).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
