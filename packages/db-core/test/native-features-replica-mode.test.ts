import { startSqld } from '@liveframe/native/testing';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/database.ts';
import { tempDir } from './helpers/temp-dir.ts';

const ENDLESS = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) AS n FROM c';

describe('native features in replica mode (main-thread local read connections)', () => {
  it('functions, limits, authorizer and read deadlines work on replica data; hooks are refused with a typed error', async () => {
    await using sqld = await startSqld();
    using dir = tempDir('db-core-replica-native-');
    await using db = await openDatabase({ mode: 'replica', path: dir.file('replica.db'), syncUrl: sqld.url });
    await db.exec('CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, qty INTEGER)');
    await db.run("INSERT INTO items(name, qty) VALUES ('Apple Pie', 2), ('Banana Split', 3)");
    await db.sync();

    db.createFunction('slug', (s) => String(s).toLowerCase().replace(/\W+/g, '-'));
    db.createAggregate('product', { start: 1, step: (acc: number, x) => acc * Number(x) });
    expect(db.all('SELECT slug(name) AS s FROM items ORDER BY id')).toEqual([
      { s: 'apple-pie' },
      { s: 'banana-split' },
    ]);
    expect(db.get('SELECT product(qty) AS p FROM items')).toEqual({ p: 6 });
    const streamed: unknown[] = [];
    for await (const row of db.cursor('SELECT slug(name) AS s FROM items ORDER BY id DESC'))
      streamed.push(row);
    expect(streamed).toEqual([{ s: 'banana-split' }, { s: 'apple-pie' }]);

    db.limit('LENGTH', 5);
    expect(() => db.get("SELECT 'longer than five' AS s")).toThrow(
      expect.objectContaining({ code: 'LIMIT_EXCEEDED' }),
    );
    db.limit('LENGTH', 1_000_000);

    db.setAuthorizer((action, table) => (action === 'READ' && table === 'items' ? 'deny' : 'ok'));
    expect(() => db.all('SELECT name FROM items')).toThrow(
      expect.objectContaining({ code: 'AUTHORIZATION_DENIED' }),
    );
    db.setAuthorizer(null);
    expect(db.all('SELECT name FROM items WHERE id = 1')).toEqual([{ name: 'Apple Pie' }]);

    expect(() => db.get(ENDLESS, [], { timeoutMs: 50 })).toThrow(
      expect.objectContaining({ code: 'DEADLINE_EXCEEDED' }),
    );
    await expect(async () => {
      for await (const _ of db.cursor(ENDLESS, [], { timeoutMs: 50 })) {
        // never yields
      }
    }).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });

    expect(() => db.setCommitVeto(() => true)).toThrow(
      expect.objectContaining({ code: 'NOT_SUPPORTED_IN_REPLICA_MODE' }),
    );
    await expect(
      db.transaction(async (tx) => tx.run("INSERT INTO items(name) VALUES ('x')"), { timeoutMs: 1000 }),
    ).rejects.toMatchObject({ code: 'NOT_SUPPORTED_IN_REPLICA_MODE' });
    expect(db.all("SELECT name FROM items WHERE name = 'x'")).toEqual([]);
  });
});
