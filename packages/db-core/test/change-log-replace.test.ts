import { describe, expect, it } from 'vitest';
import type { CaptureEvent, TableChange } from '../src/change-set.ts';
import type { ReplicaDriver } from '../src/replica/replica-driver.ts';
import {
  allChanges,
  collectUntil,
  openReplica,
  type Sqld,
  sqldForFile,
  tempDir,
} from './replica-fixtures.ts';

/**
 * REPLACE conflicts on a UNIQUE key delete the conflicting row without firing DELETE triggers
 * (recursive_triggers is off): the change log must still say that row is gone.
 */
let sqld: Sqld;
sqldForFile((started) => {
  sqld = started;
});

let counter = 0;

/** A fresh table (`{}` in the DDL is its name) with the change log installed and `seed` run. */
async function freshTable(a: ReplicaDriver, ddl: string, seed: string): Promise<string> {
  counter += 1;
  const table = `rep_${counter}`;
  await a.exec(ddl.replaceAll('{}', table));
  await a.installChangeLog();
  await a.exec(seed.replaceAll('{}', table));
  return table;
}

/** Changes of `table` from `stream` until `done` says they are complete (or a deadline fails it). */
async function changesOf(
  stream: AsyncIterator<CaptureEvent>,
  table: string,
  done: (changes: TableChange[]) => boolean,
): Promise<TableChange[]> {
  const of = (events: CaptureEvent[]) => allChanges(events).filter((c) => c.table === table);
  return of(await collectUntil(stream, (events) => done(of(events))));
}

const ended = (last: Partial<TableChange>) => (changes: TableChange[]) =>
  changes.some((c) => Object.entries(last).every(([k, v]) => c[k as keyof TableChange] === v));

const triggers = async (table: string) =>
  (
    await sqld.execute(
      "SELECT name FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ? ORDER BY name",
      [table],
    )
  ).rows.map((r) => String(r[0]));

describe('change log: rows deleted by REPLACE conflicts', () => {
  it('INSERT OR REPLACE, REPLACE INTO and ON CONFLICT REPLACE log the displaced row as deleted', async () => {
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url);
    const t = await freshTable(
      a,
      'CREATE TABLE {}(id INTEGER PRIMARY KEY, sku TEXT UNIQUE, v TEXT)',
      "INSERT INTO {}(id, sku, v) VALUES (1, 'a', 'one'), (2, 'b', 'two')",
    );
    const declared = await freshTable(
      a,
      'CREATE TABLE {}(id INTEGER PRIMARY KEY, sku TEXT UNIQUE ON CONFLICT REPLACE)',
      "INSERT INTO {}(id, sku) VALUES (1, 'a')",
    );
    const stream = a.changes()[Symbol.asyncIterator]();
    await a.run(`INSERT OR REPLACE INTO ${t}(id, sku, v) VALUES (3, 'a', 'three')`);
    expect(await changesOf(stream, t, ended({ rowid: 3 }))).toEqual([
      { table: t, op: 'delete', rowid: 1 },
      { table: t, op: 'insert', rowid: 3 },
    ]);
    await a.run(`REPLACE INTO ${t}(sku, v) VALUES ('b', 'four')`);
    expect(await changesOf(stream, t, ended({ rowid: 4 }))).toEqual([
      { table: t, op: 'delete', rowid: 2 },
      { table: t, op: 'insert', rowid: 4 },
    ]);
    await a.run(`INSERT INTO ${declared}(id, sku) VALUES (2, 'a')`);
    expect(await changesOf(stream, declared, ended({ rowid: 2 }))).toEqual([
      { table: declared, op: 'delete', rowid: 1 },
      { table: declared, op: 'insert', rowid: 2 },
    ]);
    expect(a.all(`SELECT id, sku FROM ${t} ORDER BY id`)).toEqual([
      { id: 3, sku: 'a' },
      { id: 4, sku: 'b' },
    ]);
    await stream.return?.();
  });

  it('UPDATE OR REPLACE that moves a unique value logs the row it displaced, not the updated one', async () => {
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url);
    const t = await freshTable(
      a,
      'CREATE TABLE {}(id INTEGER PRIMARY KEY, sku TEXT UNIQUE, v TEXT)',
      "INSERT INTO {}(id, sku, v) VALUES (1, 'a', 'one'), (2, 'b', 'two'), (3, 'c', 'three')",
    );
    const stream = a.changes()[Symbol.asyncIterator]();
    // Row 2 takes row 1's unique value: row 1 is deleted by the conflict.
    await a.run(`UPDATE OR REPLACE ${t} SET sku = 'a' WHERE id = 2`);
    expect(await changesOf(stream, t, ended({ op: 'update' }))).toEqual([
      { table: t, op: 'delete', rowid: 1 },
      { table: t, op: 'update', rowid: 2 },
    ]);
    // An update that keeps its own unique value conflicts with nothing.
    await a.run(`UPDATE OR REPLACE ${t} SET sku = 'c', v = 'x' WHERE id = 3`);
    expect(await changesOf(stream, t, ended({ rowid: 3 }))).toEqual([{ table: t, op: 'update', rowid: 3 }]);
    expect(a.all(`SELECT id, sku FROM ${t} ORDER BY id`)).toEqual([
      { id: 2, sku: 'a' },
      { id: 3, sku: 'c' },
    ]);
    await stream.return?.();
  });

  it('a composite unique index and a non-rowid primary key: equal keys conflict, NULLs never do', async () => {
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url);
    const t = await freshTable(
      a,
      'CREATE TABLE {}(id INTEGER PRIMARY KEY, a TEXT, b TEXT); CREATE UNIQUE INDEX {}_ab ON {}(a, b)',
      "INSERT INTO {}(id, a, b) VALUES (1, 'x', 'y'), (2, 'x', 'z'), (3, 'x', NULL)",
    );
    const pk = await freshTable(
      a,
      'CREATE TABLE {}(code TEXT PRIMARY KEY, v TEXT)',
      "INSERT INTO {} VALUES ('k', 'old')",
    );
    const stream = a.changes()[Symbol.asyncIterator]();
    await a.run(`INSERT OR REPLACE INTO ${t}(id, a, b) VALUES (10, 'x', 'y')`);
    await a.run(`INSERT OR REPLACE INTO ${t}(id, a, b) VALUES (11, 'x', NULL)`);
    expect(await changesOf(stream, t, ended({ rowid: 11 }))).toEqual([
      { table: t, op: 'delete', rowid: 1 },
      { table: t, op: 'insert', rowid: 10 },
      { table: t, op: 'insert', rowid: 11 },
    ]);
    expect(a.all(`SELECT id FROM ${t} ORDER BY id`)).toEqual([{ id: 2 }, { id: 3 }, { id: 10 }, { id: 11 }]);
    await a.run(`INSERT OR REPLACE INTO ${pk}(code, v) VALUES ('k', 'new')`);
    expect(await changesOf(stream, pk, ended({ op: 'insert' }))).toEqual([
      { table: pk, op: 'delete', rowid: 1 },
      { table: pk, op: 'insert', rowid: 2 },
    ]);
    await stream.return?.();
  });

  it('captures a REPLACE written directly on the primary, not through our writer', async () => {
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url);
    const t = await freshTable(
      a,
      'CREATE TABLE {}(id INTEGER PRIMARY KEY, sku TEXT UNIQUE)',
      "INSERT INTO {}(id, sku) VALUES (1, 'a'), (2, 'b')",
    );
    const stream = a.changes()[Symbol.asyncIterator]();
    await sqld.batch([
      { sql: 'BEGIN' },
      { sql: `INSERT OR REPLACE INTO ${t}(id, sku) VALUES (5, 'a')` },
      { sql: `UPDATE OR REPLACE ${t} SET sku = 'a' WHERE id = 2` },
      { sql: 'COMMIT' },
    ]);
    await a.sync();
    expect(await changesOf(stream, t, ended({ op: 'update' }))).toEqual([
      { table: t, op: 'delete', rowid: 1 },
      { table: t, op: 'insert', rowid: 5 },
      { table: t, op: 'delete', rowid: 5 },
      { table: t, op: 'update', rowid: 2 },
    ]);
    await stream.return?.();
  });

  it('a plain INSERT or UPDATE that fails on the unique key logs nothing', async () => {
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url);
    const t = await freshTable(
      a,
      'CREATE TABLE {}(id INTEGER PRIMARY KEY, sku TEXT UNIQUE)',
      "INSERT INTO {}(id, sku) VALUES (1, 'a'), (2, 'b')",
    );
    const stream = a.changes()[Symbol.asyncIterator]();
    await expect(a.run(`INSERT INTO ${t}(id, sku) VALUES (3, 'a')`)).rejects.toMatchObject({
      code: 'CONSTRAINT',
    });
    await expect(a.run(`UPDATE ${t} SET sku = 'a' WHERE id = 2`)).rejects.toMatchObject({
      code: 'CONSTRAINT',
    });
    await a.run(`INSERT INTO ${t}(id, sku) VALUES (4, 'c')`);
    expect(await changesOf(stream, t, ended({ rowid: 4 }))).toEqual([{ table: t, op: 'insert', rowid: 4 }]);
    expect(a.all(`SELECT id, sku FROM ${t} ORDER BY id`)).toEqual([
      { id: 1, sku: 'a' },
      { id: 2, sku: 'b' },
      { id: 4, sku: 'c' },
    ]);
    await stream.return?.();
  });

  it('collated and partial keys compare as their index does; expression keys log a table-level delete', async () => {
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url);
    const nocase = await freshTable(
      a,
      'CREATE TABLE {}(id INTEGER PRIMARY KEY, email TEXT); CREATE UNIQUE INDEX {}_email ON {}(email COLLATE NOCASE)',
      "INSERT INTO {}(id, email) VALUES (1, 'a@x'), (2, 'b@x')",
    );
    const expr = await freshTable(
      a,
      'CREATE TABLE {}(id INTEGER PRIMARY KEY, email TEXT); CREATE UNIQUE INDEX {}_email ON {}(lower(email))',
      "INSERT INTO {}(id, email) VALUES (1, 'a@x')",
    );
    const partial = await freshTable(
      a,
      'CREATE TABLE {}(id INTEGER PRIMARY KEY, sku TEXT, live INTEGER); CREATE UNIQUE INDEX {}_sku ON {}(sku) WHERE live = 1',
      "INSERT INTO {}(id, sku, live) VALUES (1, 'a', 1), (2, 'a', 0)",
    );
    const stream = a.changes()[Symbol.asyncIterator]();
    await a.run(`INSERT OR REPLACE INTO ${nocase}(id, email) VALUES (3, 'A@X')`);
    expect(await changesOf(stream, nocase, ended({ rowid: 3 }))).toEqual([
      { table: nocase, op: 'delete', rowid: 1 },
      { table: nocase, op: 'insert', rowid: 3 },
    ]);
    await a.run(`INSERT OR REPLACE INTO ${expr}(id, email) VALUES (2, 'A@X')`);
    expect(await changesOf(stream, expr, ended({ rowid: 2 }))).toEqual([
      { table: expr, op: 'delete', rowid: null },
      { table: expr, op: 'insert', rowid: 2 },
    ]);
    expect(a.all(`SELECT id FROM ${expr}`)).toEqual([{ id: 2 }]);
    // Only rows the partial index covers conflict (and are logged).
    await a.run(`INSERT OR REPLACE INTO ${partial}(id, sku, live) VALUES (3, 'a', 1)`);
    expect(await changesOf(stream, partial, ended({ rowid: 3 }))).toEqual([
      { table: partial, op: 'delete', rowid: 1 },
      { table: partial, op: 'insert', rowid: 3 },
    ]);
    expect(a.all(`SELECT id FROM ${partial} ORDER BY id`)).toEqual([{ id: 2 }, { id: 3 }]);
    await stream.return?.();
  });

  it('installs idempotently, and adds, replaces and drops the REPLACE triggers as unique keys change', async () => {
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url, { autoRefreshTriggers: false });
    counter += 1;
    const t = `rep_inst_${counter}`;
    // Every kind of key at once, so sqld's re-serialised trigger text is compared for all of them.
    await a.exec(
      `CREATE TABLE ${t}(id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, a TEXT, b INTEGER, e TEXT,` +
        ` g TEXT GENERATED ALWAYS AS (upper(a)) VIRTUAL UNIQUE, UNIQUE(a, b));` +
        ` CREATE UNIQUE INDEX "${t} nocase" ON ${t}(e COLLATE NOCASE) WHERE b > 0;` +
        ` CREATE UNIQUE INDEX ${t}_expr ON ${t}(b, lower(e));` +
        ` CREATE TABLE ${t}_plain(id INTEGER PRIMARY KEY, v TEXT);` +
        ` CREATE TABLE ${t}_wr(k TEXT PRIMARY KEY, u TEXT UNIQUE) WITHOUT ROWID`,
    );
    const first = await a.installChangeLog();
    expect(first.createdTriggers).toBeGreaterThanOrEqual(3 * 3 + 2);
    expect(await triggers(t)).toEqual(['d', 'i', 'ri', 'ru', 'u'].map((kind) => `_liveframe_t${kind}_${t}`));
    expect(await triggers(`${t}_plain`)).toHaveLength(3);
    expect(await triggers(`${t}_wr`)).toHaveLength(3);
    expect(await a.installChangeLog()).toMatchObject({ createdTriggers: 0, droppedTriggers: 0 });

    // A unique index added later: the next install adds the BEFORE triggers, and only them.
    await a.exec(`CREATE UNIQUE INDEX ${t}_plain_v ON ${t}_plain(v)`);
    expect(await a.installChangeLog()).toMatchObject({ createdTriggers: 2, droppedTriggers: 0 });
    expect(await triggers(`${t}_plain`)).toHaveLength(5);
    expect(await a.installChangeLog()).toMatchObject({ createdTriggers: 0, droppedTriggers: 0 });
    const stream = a.changes()[Symbol.asyncIterator]();
    await a.run(`INSERT INTO ${t}_plain(id, v) VALUES (1, 'p')`);
    await a.run(`INSERT OR REPLACE INTO ${t}_plain(id, v) VALUES (2, 'p')`);
    expect(await changesOf(stream, `${t}_plain`, ended({ rowid: 2 }))).toEqual([
      { table: `${t}_plain`, op: 'insert', rowid: 1 },
      { table: `${t}_plain`, op: 'delete', rowid: 1 },
      { table: `${t}_plain`, op: 'insert', rowid: 2 },
    ]);
    await stream.return?.();

    // Another key on the same table replaces both; losing every key drops them.
    await a.exec(
      `ALTER TABLE ${t}_plain ADD COLUMN w TEXT; CREATE UNIQUE INDEX ${t}_plain_w ON ${t}_plain(w)`,
    );
    expect(await a.installChangeLog()).toMatchObject({ createdTriggers: 2, droppedTriggers: 2 });
    await a.exec(`DROP INDEX ${t}_plain_v; DROP INDEX ${t}_plain_w`);
    expect(await a.installChangeLog()).toMatchObject({ createdTriggers: 0, droppedTriggers: 2 });
    expect(await triggers(`${t}_plain`)).toHaveLength(3);
  });

  it('a unique key added on the primary by someone else gets its triggers on the next sync', async () => {
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url);
    const t = await freshTable(
      a,
      'CREATE TABLE {}(id INTEGER PRIMARY KEY, v TEXT)',
      "INSERT INTO {}(id, v) VALUES (1, 'p')",
    );
    expect(await triggers(t)).toHaveLength(3);
    // Straight on the primary: not through this replica's installChangeLog.
    await sqld.execute(`CREATE UNIQUE INDEX ${t}_v ON ${t}(v)`);
    const end = Date.now() + 10_000;
    while ((await triggers(t)).length < 5) {
      if (Date.now() > end) throw new Error('REPLACE triggers were not added after the schema change');
      await a.sync();
    }
    const stream = a.changes()[Symbol.asyncIterator]();
    await a.run(`INSERT OR REPLACE INTO ${t}(id, v) VALUES (2, 'p')`);
    expect(await changesOf(stream, t, ended({ rowid: 2 }))).toEqual([
      { table: t, op: 'delete', rowid: 1 },
      { table: t, op: 'insert', rowid: 2 },
    ]);
    await stream.return?.();
  });

  it('WITHOUT ROWID tables: a REPLACE is already a table-level change', async () => {
    using dir = tempDir();
    await using a = await openReplica(dir.path, sqld.url);
    const t = await freshTable(
      a,
      'CREATE TABLE {}(k TEXT PRIMARY KEY, u TEXT UNIQUE) WITHOUT ROWID',
      "INSERT INTO {}(k, u) VALUES ('one', 'a')",
    );
    const stream = a.changes()[Symbol.asyncIterator]();
    await a.run(`INSERT OR REPLACE INTO ${t}(k, u) VALUES ('two', 'a')`);
    expect(await changesOf(stream, t, (c) => c.length >= 1)).toEqual([
      { table: t, op: 'insert', rowid: null },
    ]);
    await stream.return?.();
  });
});
