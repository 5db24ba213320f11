import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSqld } from '@liveframe/native/testing';
import { describe, expect, it } from 'vitest';
import type { CaptureEvent } from '../src/change-set.ts';
import { type Database, openDatabase } from '../src/database.ts';
import { isDbError } from '../src/errors.ts';
import { migrate } from '../src/migrations/migrate.ts';
import { migrationHash } from '../src/migrations/migration.ts';
import { MigrationError } from '../src/migrations/migration-error.ts';
import { tempDir } from './helpers/temp-dir.ts';

const DRIZZLE = join(import.meta.dirname, 'fixtures', 'drizzle', 'migrations');

/** What drizzle-kit 0.31.11 generated for making `notes.title` nullable: SQLite's table rebuild. */
const RECREATE_NOTES = `PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE \`__new_notes\` (
\t\`id\` integer PRIMARY KEY NOT NULL,
\t\`author_id\` integer,
\t\`title\` text,
\t\`pinned\` integer DEFAULT 0 NOT NULL,
\tFOREIGN KEY (\`author_id\`) REFERENCES \`authors\`(\`id\`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO \`__new_notes\`("id", "author_id", "title", "pinned") SELECT "id", "author_id", "title", "pinned" FROM \`notes\`;--> statement-breakpoint
DROP TABLE \`notes\`;--> statement-breakpoint
ALTER TABLE \`__new_notes\` RENAME TO \`notes\`;--> statement-breakpoint
PRAGMA foreign_keys=ON;`;

type Mode = 'local' | 'replica';

/** A fresh database of `mode` (replica: its own sqld), plus a second view of it (another server). */
async function fresh(mode: Mode, dir: { file(name: string): string }) {
  if (mode === 'local') {
    const path = dir.file('app.db');
    const db = await openDatabase({ mode: 'local', path });
    return {
      db,
      open: () => openDatabase({ mode: 'local', path }),
      async [Symbol.asyncDispose]() {
        await db.close();
      },
    };
  }
  const sqld = await startSqld();
  let n = 0;
  const open = () =>
    openDatabase({ mode: 'replica', path: dir.file(`replica-${++n}.db`), syncUrl: sqld.url });
  const db = await open();
  return {
    db,
    open,
    async [Symbol.asyncDispose]() {
      await db.close();
      await sqld[Symbol.asyncDispose]();
    },
  };
}

const columns = (db: Database, table: string) =>
  db.all<{ name: string }>('SELECT name FROM pragma_table_info(?) ORDER BY cid', [table]).map((c) => c.name);
const records = (db: Database) =>
  db.all<{ name: string; hash: string }>('SELECT name, hash FROM _liveframe_migrations ORDER BY rowid');
const tableExists = (db: Database, name: string) =>
  db.all("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?", [name]).length === 1;

/** A copy of the drizzle fixture with a third, hand-added migration in drizzle-kit's format. */
function drizzleCopy(dir: { file(name: string): string }, extra?: { tag: string; sql: string }): string {
  const folder = dir.file('drizzle');
  cpSync(DRIZZLE, folder, { recursive: true });
  if (extra !== undefined) {
    writeFileSync(join(folder, `${extra.tag}.sql`), extra.sql);
    const journalPath = join(folder, 'meta', '_journal.json');
    const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: object[] };
    journal.entries.push({
      idx: journal.entries.length,
      version: '6',
      when: Date.now(),
      tag: extra.tag,
      breakpoints: true,
    });
    writeFileSync(journalPath, JSON.stringify(journal, null, 2));
  }
  return folder;
}

async function nextChanges(it: AsyncIterator<CaptureEvent>, deadlineMs = 10_000) {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const left = end - Date.now();
    if (left <= 0) throw new Error('no change set before the deadline');
    const next = await Promise.race([
      it.next(),
      new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), left).unref()),
    ]);
    if (next === 'timeout') throw new Error('no change set before the deadline');
    if (next.done) throw new Error('the change stream ended');
    if (next.value.type === 'changes') return next.value.changeSet;
  }
}

describe.each(['local', 'replica'] as const)('migrate (%s mode)', (mode) => {
  it('applies a drizzle-kit folder in journal order, records it, and a re-run does nothing', async () => {
    using dir = tempDir();
    await using t = await fresh(mode, dir);
    const result = await migrate(t.db, { folder: DRIZZLE });
    expect(result.applied.map((m) => m.name)).toEqual(['0000_create_tables', '0001_add_pinned']);
    expect(result.applied.map((m) => m.statements)).toEqual([3, 1]);
    expect(result.alreadyApplied).toBe(0);
    expect(result.position).not.toBeNull();
    expect(columns(t.db, 'notes')).toEqual(['id', 'author_id', 'title', 'pinned']);
    // The hash is sha256 of the file as drizzle-orm's migrator computes it (LF files).
    const file = readFileSync(join(DRIZZLE, '0000_create_tables.sql'), 'utf8');
    expect(records(t.db)).toEqual([
      { name: '0000_create_tables', hash: migrationHash(file) },
      {
        name: '0001_add_pinned',
        hash: migrationHash(readFileSync(join(DRIZZLE, '0001_add_pinned.sql'), 'utf8')),
      },
    ]);
    expect(migrationHash(file)).toMatch(/^[0-9a-f]{64}$/);
    if (mode === 'replica') expect(result.changeLog?.tables).toEqual(['authors', 'notes']);
    else expect(result.changeLog).toBeNull();

    const before = t.db.position();
    const again = await migrate(t.db, { folder: DRIZZLE });
    expect(again).toMatchObject({
      applied: [],
      alreadyApplied: 2,
      unknown: [],
      position: null,
      lockWaitMs: 0,
    });
    expect(t.db.position()).toEqual(before);
    // Another server on the same database agrees.
    await using other = await t.open();
    expect((await migrate(other, { folder: DRIZZLE })).applied).toEqual([]);
  });

  it('a folder of plain .sql files applies in name order; trigger bodies stay whole', async () => {
    using dir = tempDir();
    await using t = await fresh(mode, dir);
    const folder = dir.file('sql');
    cpSync(join(import.meta.dirname, 'fixtures', 'drizzle'), folder, {
      recursive: true,
      filter: () => false,
    });
    const files = {
      '0002_audit.sql': `CREATE TABLE audit (id INTEGER PRIMARY KEY, msg TEXT);
CREATE TRIGGER todo_audit AFTER INSERT ON todos BEGIN INSERT INTO audit(msg) VALUES ('added; ' || NEW.title); END;`,
      '0001_todos.sql':
        '-- the first table\nCREATE TABLE todos (id INTEGER PRIMARY KEY, title TEXT NOT NULL);',
      '0003_seed.sql': "INSERT INTO todos(title) VALUES ('a;b');",
      'notes.txt': 'not a migration',
    };
    const { mkdirSync } = await import('node:fs');
    mkdirSync(folder, { recursive: true });
    for (const [name, sql] of Object.entries(files)) writeFileSync(join(folder, name), sql);
    const result = await migrate(t.db, { folder });
    expect(result.applied.map((m) => [m.name, m.statements])).toEqual([
      ['0001_todos.sql', 1],
      ['0002_audit.sql', 2],
      ['0003_seed.sql', 1],
    ]);
    expect(t.db.all('SELECT msg FROM audit')).toEqual([{ msg: 'added; a;b' }]);
    // A new file later: only it runs.
    writeFileSync(join(folder, '0004_more.sql'), "INSERT INTO todos(title) VALUES ('c')");
    expect((await migrate(t.db, { folder })).applied.map((m) => m.name)).toEqual(['0004_more.sql']);
    expect(t.db.all('SELECT count(*) AS n FROM todos')).toEqual([{ n: 2 }]);
  });

  it('an in-memory list applies in the order given', async () => {
    using dir = tempDir();
    await using t = await fresh(mode, dir);
    const list = [
      { name: 'b-first', sql: 'CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT)' },
      { name: 'a-second', sql: "INSERT INTO kv VALUES ('x', '1'); INSERT INTO kv VALUES ('y', '2');" },
    ];
    const result = await migrate(t.db, { migrations: list });
    expect(result.applied.map((m) => m.name)).toEqual(['b-first', 'a-second']);
    expect(records(t.db).map((r) => r.name)).toEqual(['b-first', 'a-second']);
    // A shorter list (an older server) leaves the others alone and reports them.
    expect(await migrate(t.db, { migrations: list.slice(0, 1) })).toMatchObject({
      applied: [],
      unknown: ['a-second'],
    });
    await expect(migrate(t.db, { migrations: [list[0]!, list[0]!] })).rejects.toMatchObject({
      code: 'MIGRATION_INVALID',
    });
  });

  it('a migration changed after it was applied is a MIGRATION_CHANGED error, and nothing else runs', async () => {
    using dir = tempDir();
    await using t = await fresh(mode, dir);
    const folder = drizzleCopy(dir);
    await migrate(t.db, { folder });
    writeFileSync(
      join(folder, '0001_add_pinned.sql'),
      'ALTER TABLE `notes` ADD `pinned` integer DEFAULT 1 NOT NULL;',
    );
    const error = await migrate(t.db, {
      migrations: [
        { name: '0000_create_tables', sql: readFileSync(join(folder, '0000_create_tables.sql'), 'utf8') },
        { name: '0001_add_pinned', sql: readFileSync(join(folder, '0001_add_pinned.sql'), 'utf8') },
        { name: '0002_new', sql: 'CREATE TABLE never (x)' },
      ],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect(error).toMatchObject({ code: 'MIGRATION_CHANGED', migration: '0001_add_pinned' });
    expect(tableExists(t.db, 'never')).toBe(false);
    // Line ends alone are no change (a Windows checkout).
    const crlf = readFileSync(join(DRIZZLE, '0000_create_tables.sql'), 'utf8').replace(/\n/g, '\r\n');
    expect(
      (await migrate(t.db, { migrations: [{ name: '0000_create_tables', sql: crlf }] })).applied,
    ).toEqual([]);
  });

  it('a failing statement rolls back the whole run and names the migration and statement', async () => {
    using dir = tempDir();
    await using t = await fresh(mode, dir);
    const list = [
      { name: '001_accounts', sql: 'CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT UNIQUE)' },
      { name: '002_seed', sql: "INSERT INTO accounts(email) VALUES ('a@x')" },
      {
        name: '003_broken',
        sql: "ALTER TABLE accounts ADD COLUMN plan TEXT;\nINSERT INTO accounts(email) VALUES ('a@x');\nCREATE TABLE after_it (x);",
      },
    ];
    const error = await migrate(t.db, { migrations: list }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    const failure = error as MigrationError;
    expect(failure).toMatchObject({ code: 'MIGRATION_FAILED', migration: '003_broken', statement: 2 });
    expect(failure.sql).toContain("INSERT INTO accounts(email) VALUES ('a@x')");
    expect(failure.message).toMatch(/003_broken.*statement 2 of 3/);
    expect(isDbError(failure.cause, 'CONSTRAINT')).toBe(true);
    // Nothing of the run is left: not the first two migrations, not the record table.
    await t.db.sync();
    expect(tableExists(t.db, 'accounts')).toBe(false);
    expect(tableExists(t.db, '_liveframe_migrations')).toBe(false);
    // Fixed, it applies.
    list[2] = { name: '003_broken', sql: 'ALTER TABLE accounts ADD COLUMN plan TEXT' };
    expect((await migrate(t.db, { migrations: list })).applied).toHaveLength(3);
    expect(columns(t.db, 'accounts')).toEqual(['id', 'email', 'plan']);
  });

  it('a drizzle-kit rebuild of a table others reference runs with foreign keys off, checked before the commit', async () => {
    using dir = tempDir();
    await using t = await fresh(mode, dir);
    await migrate(t.db, { folder: DRIZZLE });
    await t.db.run("INSERT INTO authors(id, name) VALUES (1, 'ann')");
    await t.db.run("INSERT INTO notes(id, author_id, title) VALUES (1, 1, 'x')");
    // What drizzle-kit generates to rebuild `authors` (referenced by notes.author_id). SQLite
    // ignores its PRAGMA inside the migration's transaction: migrate honours it around it.
    const rebuild = (copy: string) => `PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE \`__new_authors\` (\`id\` integer PRIMARY KEY NOT NULL, \`name\` text);
--> statement-breakpoint
${copy}--> statement-breakpoint
DROP TABLE \`authors\`;--> statement-breakpoint
ALTER TABLE \`__new_authors\` RENAME TO \`authors\`;--> statement-breakpoint
PRAGMA foreign_keys=ON;`;
    // A copy that loses the referenced row: the check before the commit refuses it.
    const lossy = await migrate(t.db, {
      folder: drizzleCopy(dir, { tag: '0002_authors', sql: rebuild('SELECT 1;') }),
    }).catch((e: unknown) => e);
    expect(lossy).toMatchObject({ code: 'MIGRATION_FAILED', migration: '0002_authors' });
    expect((lossy as Error).message).toMatch(
      /1 foreign-key violation \(first: notes rowid 1 references a missing authors row\)/,
    );
    await t.db.sync();
    expect(tableExists(t.db, '__new_authors')).toBe(false);

    // Without the PRAGMA the DROP fails, and the error says what to add.
    const noPragma = await migrate(t.db, {
      migrations: [
        { name: '0000_create_tables', sql: readFileSync(join(DRIZZLE, '0000_create_tables.sql'), 'utf8') },
        { name: '0001_add_pinned', sql: readFileSync(join(DRIZZLE, '0001_add_pinned.sql'), 'utf8') },
        {
          name: '0002_by_hand',
          sql: rebuild(
            'INSERT INTO `__new_authors`("id", "name") SELECT "id", "name" FROM `authors`;',
          ).replace(/PRAGMA foreign_keys=O(FF|N);/g, ''),
        },
      ],
    }).catch((e: unknown) => e);
    expect(noPragma).toMatchObject({ code: 'MIGRATION_FAILED', migration: '0002_by_hand', statement: 3 });
    expect((noPragma as Error).message).toMatch(/FOREIGN KEY constraint failed.*PRAGMA foreign_keys=OFF/s);

    const rebuilt = await migrate(t.db, {
      folder: drizzleCopy(tempDirLike(dir, 'ok'), {
        tag: '0002_authors',
        sql: rebuild('INSERT INTO `__new_authors`("id", "name") SELECT "id", "name" FROM `authors`;'),
      }),
    });
    expect(rebuilt.applied.map((m) => m.name)).toEqual(['0002_authors']);
    expect(t.db.all('SELECT a.name, n.title FROM notes n JOIN authors a ON a.id = n.author_id')).toEqual([
      { name: 'ann', title: 'x' },
    ]);
    // Enforcement is back on for everything after the migration.
    await expect(
      t.db.run("INSERT INTO notes(id, author_id, title) VALUES (2, 99, 'orphan')"),
    ).rejects.toMatchObject({
      code: 'CONSTRAINT',
    });
  });

  it('several databases migrating at once apply each migration exactly once', async () => {
    using dir = tempDir();
    await using t = await fresh(mode, dir);
    // Local mode: databases in ONE process wait for each other's lock synchronously (the busy
    // handler blocks the event loop the holder needs), so two of them show the BUSY retry; real
    // servers are separate processes.
    const others = await Promise.all(mode === 'local' ? [t.open()] : [t.open(), t.open()]);
    try {
      const list = [
        { name: '1', sql: 'CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)' },
        // Not idempotent: a second run would add a second row.
        { name: '2', sql: 'INSERT INTO counter(n) VALUES (1)' },
      ];
      const results = await Promise.all([t.db, ...others].map((db) => migrate(db, { migrations: list })));
      expect(results.map((r) => r.applied.length).sort()).toEqual(mode === 'local' ? [0, 2] : [0, 0, 2]);
      await t.db.sync();
      expect(t.db.all('SELECT n FROM counter')).toEqual([{ n: 1 }]);
      expect(records(t.db).map((r) => r.name)).toEqual(['1', '2']);
    } finally {
      await Promise.all(others.map((db) => db.close()));
    }
  });

  it('the migrations table is liveframe’s own: no change events, no change-log triggers', async () => {
    using dir = tempDir();
    await using t = await fresh(mode, dir);
    const stream = t.db.changes()[Symbol.asyncIterator]();
    await migrate(t.db, { migrations: [{ name: '1', sql: 'CREATE TABLE a (x)' }] });
    await migrate(t.db, {
      migrations: [
        { name: '1', sql: 'CREATE TABLE a (x)' },
        { name: '2', sql: 'INSERT INTO a VALUES (1)' },
      ],
    });
    const changeSet = await nextChanges(stream);
    expect(changeSet.changes.map((c) => c.table)).toEqual(['a']);
    await stream.return?.();
    expect(
      t.db.all(
        "SELECT name FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = '_liveframe_migrations'",
      ),
    ).toEqual([]);
  });
});

describe('migrate in replica mode: change capture across schema changes', () => {
  it('ADD COLUMN and drizzle-kit’s table rebuild keep every write captured, on every replica', async () => {
    using dir = tempDir();
    await using t = await fresh('replica', dir);
    await using watcher = await t.open();
    const folder = drizzleCopy(dir);
    const first = readFileSync(join(folder, '0000_create_tables.sql'), 'utf8');
    await migrate(t.db, { migrations: [{ name: '0000_create_tables', sql: first }] });
    await t.db.run("INSERT INTO authors(id, name) VALUES (1, 'ann')");
    const stream = watcher.changes()[Symbol.asyncIterator]();
    // ADD COLUMN keeps the table and its triggers: the next write is captured as before.
    expect((await migrate(t.db, { folder })).applied.map((m) => m.name)).toEqual(['0001_add_pinned']);
    const before = await t.db.run("INSERT INTO notes(id, author_id, title) VALUES (1, 1, 'before')");
    expect((await watcher.waitForFrame(before.position, { timeoutMs: 10_000 })).status).toBe('reached');
    const inserted: string[] = [];
    while (!inserted.includes('notes:insert:1')) {
      for (const c of (await nextChanges(stream)).changes) inserted.push(`${c.table}:${c.op}:${c.rowid}`);
    }
    expect(inserted).toEqual(['authors:insert:1', 'notes:insert:1']);
    const triggersOf = (table: string) =>
      t.db
        .all<{ name: string }>(
          "SELECT name FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ? ORDER BY name",
          [table],
        )
        .map((r) => r.name);
    const notesTriggers = triggersOf('notes');
    expect(notesTriggers.length).toBeGreaterThanOrEqual(3);

    // The rebuild drops `notes` with its triggers and renames a copy that has none: the same
    // transaction puts them back.
    const rebuild = drizzleCopy(tempDirLike(dir, 'rebuild'), { tag: '0002_recreate', sql: RECREATE_NOTES });
    const result = await migrate(t.db, { folder: rebuild });
    expect(result.applied.map((m) => m.name)).toEqual(['0002_recreate']);
    expect(result.changeLog?.created).toBeGreaterThanOrEqual(3);
    expect(triggersOf('notes')).toEqual(notesTriggers);
    expect(triggersOf('__new_notes')).toEqual([]);

    await t.db.run('INSERT INTO notes(id, author_id, title) VALUES (2, 1, NULL)');
    const w = await t.db.run('UPDATE notes SET pinned = 1 WHERE id = 1');
    // The watcher syncs on demand (no sync interval here).
    expect((await watcher.waitForFrame(w.position, { timeoutMs: 10_000 })).status).toBe('reached');
    const seen: string[] = [];
    while (seen.length < 2) {
      const changeSet = await nextChanges(stream);
      for (const c of changeSet.changes) if (c.table === 'notes') seen.push(`${c.op}:${c.rowid}`);
    }
    expect(seen).toEqual(['insert:2', 'update:1']);
    expect(watcher.all('SELECT id, title, pinned FROM notes ORDER BY id')).toEqual([
      { id: 1, title: 'before', pinned: 1 },
      { id: 2, title: null, pinned: 0 },
    ]);
    await stream.return?.();
  });
});

function tempDirLike(dir: { file(name: string): string }, sub: string) {
  return { file: (name: string) => dir.file(`${sub}-${name}`) };
}
