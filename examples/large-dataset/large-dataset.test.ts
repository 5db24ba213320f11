import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../shared/temp-dir.ts';
import { generateEvents, openEventDatabase, totalsByKind, walIsFree } from './stream-events.ts';

// A full collection before each heap sample, so samples measure what is live, not garbage.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const liveHeap = () => {
  gc();
  return process.memoryUsage().heapUsed;
};

const ROWS = 100_000;
const MiB = 2 ** 20;

describe('large-dataset', () => {
  it('streams every row with bounded memory and reports progress', async () => {
    using dir = tempDir('large');
    await using db = await openEventDatabase(dir.file('e.db'));
    await generateEvents(db, ROWS);

    // Control: materialising the same rows costs tens of MiB, so the bound below means something.
    const before = liveHeap();
    const all = db.all('SELECT id, kind, amount, payload FROM event');
    const materialised = liveHeap() - before;
    expect(all).toHaveLength(ROWS);
    all.length = 0;

    const baseline = liveHeap();
    const samples: number[] = [];
    const progress: number[] = [];
    const totals = await totalsByKind(db, {
      progressEvery: 10_000,
      onProgress: ({ rows, total }) => {
        expect(total).toBe(ROWS);
        progress.push(rows);
        samples.push(liveHeap() - baseline);
      },
    });
    expect(totals.cancelled).toBe(false);
    expect(totals.rows).toBe(ROWS);
    expect(progress.at(-1)).toBe(ROWS);
    expect(progress).toHaveLength(11);
    const sum = Object.values(totals.amountByKind).reduce((a, b) => a + b, 0);
    expect(sum).toBe(db.get<{ s: number }>('SELECT sum(amount) AS s FROM event')?.s);
    const peak = Math.max(...samples);
    expect(materialised).toBeGreaterThan(20 * MiB);
    expect(peak).toBeLessThan(4 * MiB);
  });

  it('stops on abort with cancelled=true and releases the statement', async () => {
    using dir = tempDir('large');
    await using db = await openEventDatabase(dir.file('e.db'));
    await generateEvents(db, ROWS);
    const controller = new AbortController();
    const totals = await totalsByKind(db, {
      signal: controller.signal,
      progressEvery: 5_000,
      onProgress: ({ rows }) => {
        if (rows === 20_000) controller.abort();
      },
    });
    expect(totals.cancelled).toBe(true);
    expect(totals.rows).toBeGreaterThanOrEqual(20_000);
    expect(totals.rows).toBeLessThan(ROWS);
    // A write after the scan, then a TRUNCATE checkpoint: it is only possible when no statement
    // still holds a read snapshot.
    await db.run("INSERT INTO event(kind, amount, payload) VALUES ('x', 1, '')");
    expect(walIsFree(db)).toBe(true);
  });

  it('an open cursor does pin the WAL (what the check above rules out)', async () => {
    using dir = tempDir('large');
    // A busy checkpoint waits out the busy timeout before it reports busy: keep that short here.
    await using db = await openEventDatabase(dir.file('e.db'), { busyTimeoutMs: 100 });
    await generateEvents(db, 1_000);
    const cursor = db.cursor('SELECT * FROM event');
    await cursor.next();
    await db.run("INSERT INTO event(kind, amount, payload) VALUES ('x', 1, '')");
    expect(walIsFree(db)).toBe(false);
    await cursor.return();
    expect(walIsFree(db)).toBe(true);
  });
});
