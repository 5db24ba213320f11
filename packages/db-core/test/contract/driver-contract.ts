import { describe, expect, it } from 'vitest';
import type { CaptureEvent } from '../../src/change-set.ts';
import type { Driver } from '../../src/driver.ts';
import { DbError } from '../../src/errors.ts';
import { batchFailureIndex } from '../../src/raw-result.ts';
import type { SqlValue } from '../../src/values.ts';

/** A driver plus whatever it needs (files, a sqld primary), all released on dispose. */
export interface DriverHarness extends AsyncDisposable {
  readonly driver: Driver;
}

export type DriverFactory = () => Promise<DriverHarness>;

export interface ContractOptions {
  /** Whether the driver reports row-level changes (false: only refetch-all/schema events). */
  readonly rowLevelCapture: boolean;
}

const SCHEMA =
  'CREATE TABLE IF NOT EXISTS items(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, qty INTEGER)';

/** Collects stream events until `until` holds or the deadline passes (no sleeps). */
export async function collectUntil(
  stream: AsyncIterable<CaptureEvent>,
  until: (events: CaptureEvent[]) => boolean,
  timeoutMs = 10_000,
): Promise<CaptureEvent[]> {
  const events: CaptureEvent[] = [];
  const iterator = stream[Symbol.asyncIterator]();
  const deadline = Date.now() + timeoutMs;
  try {
    while (!until(events)) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      let timer: NodeJS.Timeout | undefined;
      const next = await Promise.race([
        iterator.next(),
        new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), remaining);
        }),
      ]);
      clearTimeout(timer);
      if (next === 'timeout' || next.done) break;
      events.push(next.value);
    }
  } finally {
    await iterator.return?.();
  }
  return events;
}

/**
 * Behaviour every Driver must have (house rule 5). Run from `local-driver.contract.test.ts` and,
 * with the replica engineer's factory, for replica mode.
 */
export function driverContract(name: string, factory: DriverFactory, options: ContractOptions): void {
  describe(`Driver contract: ${name}`, () => {
    it('writes, then reads its own writes synchronously', async () => {
      await using h = await factory();
      const { driver } = h;
      await driver.exec(SCHEMA);
      const result = await driver.run('INSERT INTO items(name, qty) VALUES (?, ?)', ['apple', 3]);
      expect(result.changes).toBe(1);
      expect(typeof result.lastInsertRowid).toBe('bigint');
      expect(
        driver.get('SELECT name, qty FROM items WHERE id = ?', [Number(result.lastInsertRowid)]),
      ).toEqual({
        name: 'apple',
        qty: 3,
      });
      expect(driver.all('SELECT name FROM items')).toEqual([{ name: 'apple' }]);
      expect(driver.get('SELECT * FROM items WHERE id = ?', [-1])).toBeUndefined();
    });

    it('positions advance with writes and waitForFrame reaches them', async () => {
      await using h = await factory();
      const { driver } = h;
      await driver.exec(SCHEMA);
      const before = driver.position();
      const { position } = await driver.run('INSERT INTO items(name) VALUES (?)', ['a']);
      expect(position.generation).toBe(before.generation);
      expect(position.frame).toBeGreaterThan(before.frame);
      expect(await driver.waitForFrame(position, { timeoutMs: 5000 })).toMatchObject({ status: 'reached' });
      expect(
        await driver.waitForFrame({ generation: 'some-other-generation', frame: 1 }, { timeoutMs: 5000 }),
      ).toMatchObject({ status: 'generation-changed' });
      expect(
        await driver.waitForFrame(
          { generation: position.generation, frame: position.frame + 1_000_000 },
          { timeoutMs: 50 },
        ),
      ).toMatchObject({ status: 'timeout' });
    });

    it('transactions commit atomically and roll back on throw', async () => {
      await using h = await factory();
      const { driver } = h;
      await driver.exec(SCHEMA);
      const { value } = await driver.transaction(async (tx) => {
        await tx.run('INSERT INTO items(name, qty) VALUES (?, ?)', ['a', 1]);
        await tx.run('INSERT INTO items(name, qty) VALUES (?, ?)', ['b', 2]);
        return (await tx.get<{ n: number }>('SELECT count(*) AS n FROM items'))?.n;
      });
      expect(value).toBe(2);
      await expect(
        driver.transaction(async (tx) => {
          await tx.run('INSERT INTO items(name, qty) VALUES (?, ?)', ['c', 3]);
          await tx.run('INSERT INTO items(name, qty) VALUES (?, ?)', ['a', 9]); // UNIQUE violation
        }),
      ).rejects.toMatchObject({ code: 'CONSTRAINT' });
      expect(driver.all('SELECT name FROM items ORDER BY name')).toEqual([{ name: 'a' }, { name: 'b' }]);
    });

    it('batches run all-or-nothing and report per-statement results', async () => {
      await using h = await factory();
      const { driver } = h;
      await driver.exec(SCHEMA);
      const before = driver.position().frame;
      const { results, position } = await driver.batch([
        { sql: 'INSERT INTO items(name, qty) VALUES (?, ?)', params: ['a', 1] },
        { sql: 'UPDATE items SET qty = qty + 1 WHERE name = ?', params: ['a'] },
        // SQL may depend on the previous statement: changes() is the UPDATE's.
        { sql: 'INSERT INTO items(name, qty) SELECT ?, changes()', params: ['counted'] },
        { sql: 'DELETE FROM items WHERE name = :name RETURNING qty', params: { name: 'counted' } },
        { sql: 'SELECT name, qty FROM items ORDER BY id' },
      ]);
      expect(results.map((r) => r.changes)).toEqual([1, 1, 1, 1, 0]);
      expect(results[0]?.lastInsertRowid).toBe(1n);
      expect(results[3]?.rows).toEqual([{ qty: 1 }]);
      expect(results[4]?.rows).toEqual([{ name: 'a', qty: 2 }]);
      expect(position.frame).toBeGreaterThan(before);
      expect(driver.all('SELECT name, qty FROM items')).toEqual([{ name: 'a', qty: 2 }]);

      await expect(
        driver.batch([
          { sql: "INSERT INTO items(name) VALUES ('b')" },
          { sql: "INSERT INTO items(name) VALUES ('a')" }, // UNIQUE violation: nothing of the batch stays
          { sql: "INSERT INTO items(name) VALUES ('c')" },
        ]),
      ).rejects.toMatchObject({ code: 'CONSTRAINT', sql: "INSERT INTO items(name) VALUES ('a')" });
      await expect(
        driver.batch([{ sql: 'INSERT INTO items(name) VALUES (?)', params: [true as never] }]),
      ).rejects.toMatchObject({
        code: 'BAD_PARAMS',
      });
      expect(driver.all('SELECT name FROM items ORDER BY id')).toEqual([{ name: 'a' }]);
    });

    it('raw results: columns, declared types, exact integers, duplicate names, empty results, RETURNING', async () => {
      await using h = await factory();
      const { driver } = h;
      await driver.exec(SCHEMA);
      const big = 2n ** 62n + 1n;
      const inserted = await driver.execute(
        'INSERT INTO items(name, qty) VALUES (?, ?), (?, ?) RETURNING id, name',
        ['a', 1, 'b', big],
      );
      expect(inserted).toMatchObject({
        columns: ['id', 'name'],
        columnTypes: ['INTEGER', 'TEXT'],
        rows: [
          [1n, 'a'],
          [2n, 'b'],
        ],
        changes: 0,
        lastInsertRowid: null,
      });
      expect(inserted.position.frame).toBeGreaterThan(0);
      const update = await driver.execute('UPDATE items SET qty = qty WHERE id > ?', [0]);
      expect(update).toMatchObject({ columns: [], rows: [], changes: 2 });
      expect(driver.position().frame).toBeGreaterThanOrEqual(update.position.frame);
      // Local reads: same shape, integers stay bigint (INTEGER vs REAL stays visible), duplicates survive.
      expect(
        driver.query(
          'SELECT i.id, j.id, i.qty, 1.0 AS r FROM items i JOIN items j ON j.id = i.id ORDER BY i.id',
        ),
      ).toEqual({
        columns: ['id', 'id', 'qty', 'r'],
        columnTypes: ['INTEGER', 'INTEGER', 'INTEGER', ''],
        rows: [
          [1n, 1n, 1n, 1],
          [2n, 2n, big, 1],
        ],
        changes: 0,
        lastInsertRowid: null,
      });
      expect(driver.query('SELECT * FROM items WHERE 0')).toMatchObject({
        columns: ['id', 'name', 'qty'],
        columnTypes: ['INTEGER', 'TEXT', 'INTEGER'],
        rows: [],
      });
      const { results, position } = await driver.batchRaw([
        { sql: "INSERT INTO items(name) VALUES ('c')" },
        { sql: 'SELECT 1 AS x, 2 AS x' },
      ]);
      expect(results[0]).toMatchObject({ columns: [], changes: 1, lastInsertRowid: 3n });
      expect(results[1]).toMatchObject({ columns: ['x', 'x'], rows: [[1n, 2n]] });
      expect(position.frame).toBeGreaterThan(update.position.frame);
      await expect(driver.execute('INSERT INTO items(name) VALUES (?)', ['a'])).rejects.toMatchObject({
        code: 'CONSTRAINT',
        sqliteCode: 'SQLITE_CONSTRAINT_UNIQUE',
      });
      await expect(
        driver.batchRaw([
          { sql: "INSERT INTO items(name) VALUES ('d')" },
          { sql: "INSERT INTO items(name) VALUES ('a')" },
        ]),
      ).rejects.toSatisfy((error: unknown) => batchFailureIndex(error) === 1);
      const { value } = await driver.transaction(async (tx) => {
        const own = await tx.query("INSERT INTO items(name) VALUES ('e') RETURNING name");
        await tx.exec("INSERT INTO items(name) VALUES ('f'); INSERT INTO items(name) VALUES ('g')");
        return [own.rows, (await tx.query('SELECT count(*) AS n FROM items')).rows];
      });
      expect(value).toEqual([[['e']], [[6n]]]);
    });

    it('stores integral numbers as INTEGER, others as REAL, and round-trips every value type', async () => {
      await using h = await factory();
      const { driver } = h;
      await driver.exec('CREATE TABLE vals(id INTEGER PRIMARY KEY, v)');
      const big = 2n ** 62n + 1n;
      const blob = new Uint8Array([0, 1, 254, 255]);
      await driver.run('INSERT INTO vals(v) VALUES (?), (?), (?), (?), (?), (?)', [
        7,
        2.5,
        big,
        'text',
        blob,
        null,
      ]);
      await driver.transaction(async (tx) => {
        await tx.run('INSERT INTO vals(v) VALUES (:v)', { v: -3 });
        expect(await tx.get('SELECT v FROM vals WHERE id = 3')).toEqual({ v: big });
      });
      const rows = driver.all<{ v: SqlValue; t: string }>('SELECT v, typeof(v) AS t FROM vals ORDER BY id');
      expect(rows.map((r) => r.t)).toEqual(['integer', 'real', 'integer', 'text', 'blob', 'null', 'integer']);
      expect(rows.map((r) => r.v).slice(0, 4)).toEqual([7, 2.5, big, 'text']);
      expect(new Uint8Array(rows[4]?.v as Uint8Array)).toEqual(blob);
      expect(rows[6]?.v).toBe(-3);
    });

    it('nested savepoints roll back only their own level', async () => {
      await using h = await factory();
      const { driver } = h;
      await driver.exec(SCHEMA);
      await driver.transaction(async (tx) => {
        await tx.run("INSERT INTO items(name) VALUES ('outer')");
        await tx.savepoint(async (sp1) => {
          await sp1.run("INSERT INTO items(name) VALUES ('level1')");
          await expect(
            sp1.savepoint(async (sp2) => {
              await sp2.run("INSERT INTO items(name) VALUES ('level2')");
              await sp2.savepoint(async (sp3) => {
                await sp3.run("INSERT INTO items(name) VALUES ('level3')");
              });
              throw new Error('undo level 2 and 3');
            }),
          ).rejects.toThrow('undo level 2');
          await sp1.run("INSERT INTO items(name) VALUES ('level1b')");
        });
        await expect(
          tx.savepoint(async (sp) => {
            await sp.run("INSERT INTO items(name) VALUES ('outer')"); // constraint error inside a savepoint
          }),
        ).rejects.toMatchObject({ code: 'CONSTRAINT' });
        await tx.run("INSERT INTO items(name) VALUES ('after')");
      });
      expect(driver.all<{ name: string }>('SELECT name FROM items ORDER BY id').map((r) => r.name)).toEqual([
        'outer',
        'level1',
        'level1b',
        'after',
      ]);
    });

    it('read-only transactions see a snapshot and refuse writes', async () => {
      await using h = await factory();
      const { driver } = h;
      await driver.exec(SCHEMA);
      await driver.run("INSERT INTO items(name) VALUES ('a')");
      await expect(
        driver.transaction(async (tx) => tx.run("INSERT INTO items(name) VALUES ('b')"), {
          behavior: 'read-only',
        }),
      ).rejects.toMatchObject({ code: 'READ_ONLY' });
      const { value } = await driver.transaction(async (tx) => tx.all('SELECT name FROM items'), {
        behavior: 'read-only',
      });
      expect(value).toEqual([{ name: 'a' }]);
    });

    it('maps errors to DbError with the SQL text and never leaves the driver broken', async () => {
      await using h = await factory();
      const { driver } = h;
      await driver.exec(SCHEMA);
      expect(() => driver.all('SELEC nonsense')).toThrow(DbError);
      await expect(driver.run('INSERT INTO nope VALUES (1)')).rejects.toMatchObject({
        code: 'SQL_ERROR',
        sql: 'INSERT INTO nope VALUES (1)',
      });
      await expect(driver.run('INSERT INTO items(name) VALUES (?)', [])).rejects.toMatchObject({
        code: 'BAD_PARAMS',
      });
      expect(() => driver.get('SELECT * FROM items WHERE id = :id', { other: 1 })).toThrow(
        expect.objectContaining({ code: 'BAD_PARAMS' }),
      );
      await driver.run("INSERT INTO items(name) VALUES ('still works')");
      expect(driver.all('SELECT name FROM items')).toEqual([{ name: 'still works' }]);
    });

    it('refuses use after close with CLOSED', async () => {
      const h = await factory();
      const { driver } = h;
      await driver.exec(SCHEMA);
      await driver.close();
      expect(() => driver.all('SELECT 1')).toThrow(expect.objectContaining({ code: 'CLOSED' }));
      await expect(driver.run('DELETE FROM items')).rejects.toMatchObject({ code: 'CLOSED' });
      await h[Symbol.asyncDispose]();
    });

    it('streams one event per committed transaction, nothing for rollbacks', async () => {
      await using h = await factory();
      const { driver } = h;
      await driver.exec(SCHEMA);
      const controller = new AbortController();
      const stream = driver.changes({ signal: controller.signal });
      await expect(
        driver.transaction(async (tx) => {
          await tx.run("INSERT INTO items(name) VALUES ('rolled back')");
          throw new Error('no');
        }),
      ).rejects.toThrow('no');
      const { position } = await driver.transaction(async (tx) => {
        await tx.run("INSERT INTO items(id, name) VALUES (1, 'x')");
        await tx.run("INSERT INTO items(id, name) VALUES (2, 'y')");
        await tx
          .savepoint(async (sp) => {
            await sp.run("INSERT INTO items(id, name) VALUES (3, 'z')");
            throw new Error('undo savepoint');
          })
          .catch(() => undefined);
        await tx.run('UPDATE items SET qty = 1 WHERE id = 1');
      });
      const events = await collectUntil(stream, (e) =>
        e.some(
          (x) =>
            (x.type === 'changes' && x.changeSet.frame >= position.frame) ||
            (x.type === 'refetch-all' && x.position.frame >= position.frame),
        ),
      );
      controller.abort();
      const last = events.at(-1)!;
      if (options.rowLevelCapture) {
        expect(last.type).toBe('changes');
        if (last.type !== 'changes') return;
        expect(last.changeSet.generation).toBe(position.generation);
        expect(last.changeSet.changes).toEqual(
          expect.arrayContaining([
            { table: 'items', op: 'insert', rowid: 1 },
            { table: 'items', op: 'insert', rowid: 2 },
            { table: 'items', op: 'update', rowid: 1 },
          ]),
        );
        const all = events.flatMap((e) => (e.type === 'changes' ? e.changeSet.changes : []));
        expect(all.some((c) => c.rowid === 3)).toBe(false);
      } else {
        expect(['changes', 'refetch-all']).toContain(last.type);
      }
    });

    it('change streams are cancellable', async () => {
      await using h = await factory();
      const { driver } = h;
      const controller = new AbortController();
      const iterator = driver.changes({ signal: controller.signal })[Symbol.asyncIterator]();
      const pending = iterator.next();
      controller.abort();
      expect(await pending).toEqual({ done: true, value: undefined });
    });
  });
}
