import { describe, expect, it } from 'vitest';
import type { CaptureEvent, TableChange } from '../src/change-set.ts';
import { LocalDriver } from '../src/local-driver.ts';
import type { FramePosition } from '../src/position.ts';
import { collectUntil } from './contract/driver-contract.ts';
import { tempDir } from './helpers/temp-dir.ts';

async function openDriver() {
  const dir = tempDir('db-core-capture-');
  const driver = LocalDriver.open({ path: dir.file('capture.db'), externalChangePollMs: 0 });
  await driver.exec(
    'CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT UNIQUE, qty INTEGER);' +
      'CREATE TABLE audit(id INTEGER PRIMARY KEY, msg TEXT);',
  );
  return {
    driver,
    [Symbol.asyncDispose]: async () => {
      await driver.close();
      dir[Symbol.dispose]();
    },
  };
}

/**
 * Subscribes, then runs each step and reads the stream until it reached that step's position, so
 * the broadcaster never coalesces two steps: returns the changes of each step, one array per
 * change set.
 */
async function captureSteps(
  driver: LocalDriver,
  steps: (() => Promise<unknown>)[],
): Promise<{ sets: TableChange[][]; events: CaptureEvent[] }[]> {
  const controller = new AbortController();
  const iterator = driver.changes({ signal: controller.signal, bufferSize: 1 << 16 })[Symbol.asyncIterator]();
  const stream = { [Symbol.asyncIterator]: () => ({ next: () => iterator.next() }) };
  const out: { sets: TableChange[][]; events: CaptureEvent[] }[] = [];
  try {
    for (const step of steps) {
      const before = driver.position().frame;
      await step();
      const target = driver.position().frame;
      const events =
        target === before
          ? []
          : await collectUntil(stream, (e) =>
              e.some((x) => (x.type === 'changes' ? x.changeSet.frame : x.position.frame) >= target),
            );
      out.push({
        sets: events.flatMap((e) => (e.type === 'changes' ? [[...e.changeSet.changes]] : [])),
        events,
      });
    }
  } finally {
    controller.abort();
  }
  return out;
}

async function capture(driver: LocalDriver, act: () => Promise<FramePosition>): Promise<CaptureEvent[]> {
  const [step] = await captureSteps(driver, [act]);
  return step!.events;
}

const changesOf = (events: CaptureEvent[]): TableChange[] =>
  events.flatMap((e) => (e.type === 'changes' ? e.changeSet.changes : []));

describe('local row-level change capture', () => {
  it('reports one change set per committed transaction, spanning tables, in commit order', async () => {
    await using h = await openDriver();
    const { driver } = h;
    const steps = await captureSteps(driver, [
      () => driver.run("INSERT INTO items(id, name) VALUES (1, 'a')"),
      () =>
        driver.transaction(async (tx) => {
          await tx.run("INSERT INTO items(id, name) VALUES (2, 'b')");
          await tx.run("INSERT INTO audit(id, msg) VALUES (10, 'b added')");
          await tx.run('UPDATE items SET qty = 5 WHERE id = 1');
          await tx.run('DELETE FROM items WHERE id = 2');
        }),
    ]);
    expect(steps.map((s) => s.sets)).toEqual([
      [[{ table: 'items', op: 'insert', rowid: 1 }]],
      [
        [
          { table: 'items', op: 'insert', rowid: 2 },
          { table: 'audit', op: 'insert', rowid: 10 },
          { table: 'items', op: 'update', rowid: 1 },
          { table: 'items', op: 'delete', rowid: 2 },
        ],
      ],
    ]);
    const frames = steps.flatMap((s) =>
      s.events.flatMap((e) => (e.type === 'changes' ? [e.changeSet.frame] : [])),
    );
    expect(frames[1]).toBe(frames[0]! + 1);
  });

  it('reports nothing from rolled-back transactions and rolled-back savepoints', async () => {
    await using h = await openDriver();
    const { driver } = h;
    const events = await capture(driver, async () => {
      await driver
        .transaction(async (tx) => {
          await tx.run("INSERT INTO items(id, name) VALUES (100, 'gone')");
          throw new Error('roll back');
        })
        .catch(() => undefined);
      const { position } = await driver.transaction(async (tx) => {
        await tx.run("INSERT INTO items(id, name) VALUES (1, 'kept')");
        await tx
          .savepoint(async (sp) => {
            await sp.run("INSERT INTO items(id, name) VALUES (101, 'gone')");
            await sp.run('UPDATE items SET id = 102 WHERE id = 1');
            await sp.savepoint(async (inner) => inner.run('INSERT INTO audit(id) VALUES (103)'));
            throw new Error('undo savepoint');
          })
          .catch(() => undefined);
        await tx.savepoint(async (sp) => sp.run("INSERT INTO audit(id, msg) VALUES (2, 'kept')"));
      });
      return position;
    });
    expect(changesOf(events)).toEqual([
      { table: 'items', op: 'insert', rowid: 1 },
      { table: 'audit', op: 'insert', rowid: 2 },
    ]);
  });

  it('reports an UPDATE that moves a row under its old and its new rowid', async () => {
    await using h = await openDriver();
    const { driver } = h;
    await driver.run("INSERT INTO items(id, name) VALUES (1, 'a'), (2, 'b')");
    await driver.exec('CREATE TABLE plain(a, b); INSERT INTO plain(rowid, a) VALUES (5, 1)');
    const steps = await captureSteps(driver, [
      () => driver.run('UPDATE items SET id = 10 WHERE id = 1'),
      () => driver.run('UPDATE items SET rowid = 20 WHERE id = 2'),
      () => driver.run('UPDATE items SET qty = 1, id = id'), // names the key, moves nothing
      () => driver.run('UPDATE plain SET rowid = 6'),
    ]);
    expect(steps.map((s) => s.sets)).toEqual([
      [
        [
          { table: 'items', op: 'update', rowid: 10 },
          { table: 'items', op: 'delete', rowid: 1 },
        ],
      ],
      [
        [
          { table: 'items', op: 'update', rowid: 20 },
          { table: 'items', op: 'delete', rowid: 2 },
        ],
      ],
      [
        [
          { table: 'items', op: 'update', rowid: 10 },
          { table: 'items', op: 'update', rowid: 20 },
        ],
      ],
      [
        [
          { table: 'plain', op: 'update', rowid: 6 },
          { table: 'plain', op: 'delete', rowid: 5 },
        ],
      ],
    ]);
  });

  it('reports tables whose rows a REPLACE conflict may have deleted (rowid null)', async () => {
    await using h = await openDriver();
    const { driver } = h;
    await driver.run("INSERT INTO items(id, name) VALUES (1, 'a'), (2, 'b')");
    await driver.exec(
      'CREATE TABLE tags(id INTEGER PRIMARY KEY, tag TEXT UNIQUE ON CONFLICT REPLACE);' +
        "INSERT INTO tags VALUES (1, 'x');" +
        'CREATE TABLE feed(id INTEGER PRIMARY KEY, name TEXT);' +
        'CREATE TRIGGER feed_items AFTER INSERT ON feed BEGIN INSERT OR REPLACE INTO items(name) VALUES (NEW.name); END;',
    );
    const steps = await captureSteps(driver, [
      () => driver.run("INSERT OR REPLACE INTO items(id, name) VALUES (3, 'a')"), // deletes row 1
      () => driver.run("INSERT INTO tags VALUES (2, 'x')"), // schema-level REPLACE deletes tag 1
      () => driver.run("INSERT INTO feed(id, name) VALUES (1, 'b')"), // trigger REPLACE deletes item 2
      () => driver.run("UPDATE items SET name = replace(name, 'a', 'z') WHERE id = 3"), // the function
      () =>
        driver
          .transaction(async (tx) => {
            await tx.run("REPLACE INTO items(id, name) VALUES (50, 'z')");
            throw new Error('rolled back with its marker');
          })
          .catch(() => undefined),
    ]);
    expect(steps.map((s) => s.sets)).toEqual([
      [
        [
          { table: 'items', op: 'delete', rowid: null },
          { table: 'items', op: 'insert', rowid: 3 },
        ],
      ],
      [
        [
          { table: 'tags', op: 'delete', rowid: null },
          { table: 'tags', op: 'insert', rowid: 2 },
        ],
      ],
      [
        [
          { table: 'items', op: 'delete', rowid: null },
          { table: 'feed', op: 'insert', rowid: 1 },
          { table: 'items', op: 'insert', rowid: 4 },
        ],
      ],
      [[{ table: 'items', op: 'update', rowid: 3 }]],
      [],
    ]);
    expect(driver.all('SELECT id, name FROM items ORDER BY id')).toEqual([
      { id: 3, name: 'z' },
      { id: 4, name: 'b' },
    ]);
  });

  it('emits a schema event for DDL and keeps capturing the new tables', async () => {
    await using h = await openDriver();
    const { driver } = h;
    const events = await capture(driver, async () => {
      await driver.exec('CREATE TABLE later(id INTEGER PRIMARY KEY, v)');
      await driver.run('INSERT INTO later(id, v) VALUES (7, 1)');
      await driver.exec('ALTER TABLE later RENAME TO renamed');
      return (await driver.run('UPDATE renamed SET id = 8')).position;
    });
    expect(events.filter((e) => e.type === 'schema')).toHaveLength(2);
    expect(changesOf(events)).toEqual([
      { table: 'later', op: 'insert', rowid: 7 },
      { table: 'renamed', op: 'update', rowid: 8 },
      { table: 'renamed', op: 'delete', rowid: 7 },
    ]);
  });

  it('captures a 100k-row transaction exactly', async () => {
    await using h = await openDriver();
    const { driver } = h;
    const events = await capture(driver, async () => {
      const { position } = await driver.transaction(async (tx) => {
        await tx.run('INSERT INTO items(id, name) SELECT value, NULL FROM generate_series(1, 100000)');
      });
      return position;
    });
    const sets = events.flatMap((e) => (e.type === 'changes' ? [e.changeSet] : []));
    expect(sets).toHaveLength(1);
    const changes = sets[0]!.changes;
    expect(changes).toHaveLength(100_000);
    expect(changes.every((c, i) => c.table === 'items' && c.op === 'insert' && c.rowid === i + 1)).toBe(true);
  });
});
