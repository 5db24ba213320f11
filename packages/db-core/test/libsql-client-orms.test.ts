import { LibsqlDialect } from '@libsql/kysely-libsql';
import { startSqld } from '@liveframe/native/testing';
import { eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/libsql';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { type Generated, Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureEvent } from '../src/change-set.ts';
import { openDatabase } from '../src/database.ts';
import { createLibsqlClient } from '../src/libsql-client/libsql-client.ts';
import { collectUntil } from './contract/driver-contract.ts';
import { tempDir } from './helpers/temp-dir.ts';

const SCHEMA = `
  DROP TABLE IF EXISTS books;
  DROP TABLE IF EXISTS authors;
  CREATE TABLE authors(id INTEGER PRIMARY KEY, name TEXT NOT NULL);
  CREATE TABLE books(id INTEGER PRIMARY KEY, title TEXT NOT NULL, author_id INTEGER NOT NULL REFERENCES authors(id));`;

const authors = sqliteTable('authors', { id: integer('id').primaryKey(), name: text('name').notNull() });
const books = sqliteTable('books', {
  id: integer('id').primaryKey(),
  title: text('title').notNull(),
  authorId: integer('author_id').notNull(),
});

interface KyselySchema {
  authors: { id: Generated<number>; name: string };
  books: { id: Generated<number>; title: string; author_id: number };
}

let sqld: Awaited<ReturnType<typeof startSqld>> | undefined;
beforeAll(async () => {
  sqld = await startSqld();
});
afterAll(async () => {
  await sqld?.[Symbol.asyncDispose]();
});

/** A fresh database of the mode; replicas share the file's sqld (the schema drops its tables first). */
function open(mode: 'local' | 'replica', path: string) {
  return mode === 'local' ? openDatabase({ mode, path }) : openDatabase({ mode, path, syncUrl: sqld!.url });
}

describe.each(['local', 'replica'] as const)(
  'ORMs written for @libsql/client run unchanged (%s mode)',
  (mode) => {
    it('drizzle-orm/libsql: insert, select, join, transaction (and its rollback)', async () => {
      using dir = tempDir();
      await using db = await open(mode, dir.file('drizzle.db'));
      await db.exec(SCHEMA);
      const client = createLibsqlClient(db);
      const orm = drizzle(client);

      const [ada] = await orm.insert(authors).values({ name: 'Ada' }).returning();
      expect(ada).toEqual({ id: 1, name: 'Ada' });
      await orm.insert(books).values([
        { title: 'Notes', authorId: 1 },
        { title: 'Engine', authorId: 1 },
      ]);
      expect(await orm.select().from(authors).where(eq(authors.id, 1))).toEqual([{ id: 1, name: 'Ada' }]);
      const joined = await orm
        .select({ title: books.title, author: authors.name })
        .from(books)
        .innerJoin(authors, eq(books.authorId, authors.id))
        .orderBy(books.id);
      expect(joined).toEqual([
        { title: 'Notes', author: 'Ada' },
        { title: 'Engine', author: 'Ada' },
      ]);

      await orm.transaction(async (tx) => {
        await tx.insert(authors).values({ name: 'Grace' });
        expect(await tx.select().from(authors)).toHaveLength(2);
      });
      await expect(
        orm.transaction(async (tx) => {
          await tx.insert(authors).values({ name: 'Rolled back' });
          tx.rollback();
        }),
      ).rejects.toThrow();
      expect((await orm.select().from(authors)).map((a) => a.name)).toEqual(['Ada', 'Grace']);
      // The rows are db-core's: its own reads see what drizzle wrote.
      expect(db.all('SELECT count(*) AS n FROM books')).toEqual([{ n: 2 }]);
    });

    it('Kysely with @libsql/kysely-libsql: insert, select, join, transaction', async () => {
      using dir = tempDir();
      await using db = await open(mode, dir.file('kysely.db'));
      await db.exec(SCHEMA);
      const client = createLibsqlClient(db);
      const kysely = new Kysely<KyselySchema>({ dialect: new LibsqlDialect({ client }) });
      const inserted = await kysely
        .insertInto('authors')
        .values({ name: 'Ada' })
        .returning(['id', 'name'])
        .executeTakeFirstOrThrow();
      expect(inserted).toEqual({ id: 1, name: 'Ada' });
      const result = await kysely
        .insertInto('books')
        .values({ title: 'Notes', author_id: 1 })
        .executeTakeFirstOrThrow();
      expect(result.numInsertedOrUpdatedRows).toBe(1n);
      expect(await kysely.selectFrom('authors').selectAll().where('id', '=', 1).execute()).toEqual([
        { id: 1, name: 'Ada' },
      ]);
      const joined = await kysely
        .selectFrom('books')
        .innerJoin('authors', 'authors.id', 'books.author_id')
        .select(['books.title', 'authors.name'])
        .execute();
      expect(joined).toEqual([{ title: 'Notes', name: 'Ada' }]);
      await kysely.transaction().execute(async (trx) => {
        await trx.insertInto('authors').values({ name: 'Grace' }).execute();
        expect(await trx.selectFrom('authors').select('name').execute()).toHaveLength(2);
      });
      await expect(
        kysely.transaction().execute(async (trx) => {
          await trx.insertInto('authors').values({ name: 'Rolled back' }).execute();
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(
        (await kysely.selectFrom('authors').select('name').orderBy('id').execute()).map((r) => r.name),
      ).toEqual(['Ada', 'Grace']);
      await kysely.destroy();
    });
  },
);

describe('change capture', () => {
  it('writes through the client reach db-core’s change stream like any other write', async () => {
    using dir = tempDir();
    await using db = await openDatabase({ mode: 'local', path: dir.file('changes.db') });
    await db.exec('CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT)');
    const client = createLibsqlClient(db);
    const abort = new AbortController();
    const stream = db.changes({ signal: abort.signal });
    const collected = collectUntil(
      stream,
      (events) => events.filter((e: CaptureEvent) => e.type === 'changes').length >= 3,
    );
    await client.execute({ sql: 'INSERT INTO items(name) VALUES (?)', args: ['a'] });
    await client.batch(
      ["INSERT INTO items(name) VALUES ('b')", "UPDATE items SET name = 'A' WHERE id = 1"],
      'write',
    );
    const tx = await client.transaction('write');
    await tx.execute('DELETE FROM items WHERE id = 2');
    await tx.commit();
    const events = (await collected).filter((e) => e.type === 'changes');
    abort.abort();
    expect(events.map((e) => (e.type === 'changes' ? e.changeSet.changes : []))).toEqual([
      [{ table: 'items', op: 'insert', rowid: 1 }],
      [
        { table: 'items', op: 'insert', rowid: 2 },
        { table: 'items', op: 'update', rowid: 1 },
      ],
      [{ table: 'items', op: 'delete', rowid: 2 }],
    ]);
    const last = events.at(-1);
    expect(client.lastWritePosition).toEqual(
      last?.type === 'changes'
        ? { generation: last.changeSet.generation, frame: last.changeSet.frame }
        : null,
    );
  });
});
