import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSqld } from '@liveframe/native/testing';
import {
  createRouter,
  formatPositionId,
  liveQuery,
  liveRouter,
  MigrationError,
  mutation,
} from '@liveframe/server';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startServer, startServerProcess } from '../src/testing/index.ts';
import { connectLiveClient } from './support/live-client.ts';
import { dataOf } from './support/push-viewer.ts';

// Migrations at start against a real sqld: plain .sql files on disk, servers in replica mode.

const NOTES = 'CREATE TABLE notes (id INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, title TEXT NOT NULL);';
// Neither is idempotent: run twice, the CREATE fails and the INSERT adds a second row.
const SEED = "INSERT INTO notes (tenant_id, title) VALUES ('demo', 'welcome');";
const PINNED = 'ALTER TABLE notes ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;';

/** A folder of migration files, removed on dispose. */
function migrationsFolder(files: Record<string, string>): { path: string } & Disposable {
  const path = mkdtempSync(join(tmpdir(), 'liveframe-migrations-'));
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(path, name), sql);
  return { path, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
}

const notesRouter = createRouter({
  list: liveQuery.query(({ ctx }) =>
    ctx.db.all('SELECT * FROM notes WHERE tenant_id = ? ORDER BY id', [ctx.identity.tenantId]),
  ),
  add: mutation.input(z.object({ title: z.string() })).mutation(async ({ ctx, input }) => {
    const { position } = await ctx.db.run('INSERT INTO notes (tenant_id, title) VALUES (?, ?)', [
      ctx.identity.tenantId,
      input.title,
    ]);
    return { frame: formatPositionId(position) };
  }),
});
const notesApp = createRouter({ live: liveRouter, notes: notesRouter });

const replica = (primaryUrl: string) =>
  ({ mode: 'replica', primaryUrl, config: { syncIntervalMs: 20, minFrameTimeoutMs: 10_000 } }) as const;

describe('migrations at start (replica mode, real sqld)', () => {
  it('two server processes starting at once against a fresh primary migrate exactly once', async () => {
    await using sqld = await startSqld();
    using folder = migrationsFolder({ '0001_notes.sql': NOTES, '0002_seed.sql': SEED });
    const options = {
      ...replica(sqld.url),
      config: { syncIntervalMs: 20, seed: false, migrationsDir: folder.path, logLevel: 'info' as const },
    };
    const started = performance.now();
    const timed = async () => {
      const server = await startServerProcess(options);
      return { server, startMs: performance.now() - started };
    };
    const [a, b] = await Promise.all([timed(), timed()]);
    await using first = a.server;
    await using second = b.server;
    const applied = await sqld.execute('SELECT name FROM _liveframe_migrations ORDER BY name');
    expect(applied.rows).toEqual([['0001_notes.sql'], ['0002_seed.sql']]);
    expect((await sqld.execute('SELECT title FROM notes')).rows).toEqual([['welcome']]);
    // Both serve, each on its replica of the migrated primary (with the change log on `notes`).
    for (const server of [first, second]) {
      const health = (await (await fetch(`${server.url}/health`)).json()) as { status: string };
      expect(health.status).toBe('ok');
    }
    const triggers = await sqld.execute(
      "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'notes'",
    );
    expect(Number(triggers.rows[0]?.[0])).toBeGreaterThanOrEqual(3);
    // Each server's own account: one applied both, the other found nothing left to do.
    const outcome = (server: typeof first) => {
      const line = server.logs().find((l) => /migration/.test(String(l.msg)));
      return {
        msg: String(line?.msg),
        lockWaitMs: Number(line?.lockWaitMs),
        durationMs: Number(line?.durationMs),
      };
    };
    const outcomes = [outcome(first), outcome(second)];
    expect(outcomes.map((o) => o.msg).sort()).toEqual(['applied 2 migrations', 'migrations: up to date']);
    console.log(
      `two processes migrating at once: ready after ${Math.round(a.startMs)} / ${Math.round(b.startMs)} ms; ` +
        outcomes.map((o) => `${o.msg} (lock wait ${o.lockWaitMs} ms, migrate ${o.durationMs} ms)`).join('; '),
    );
  });

  it('a live query keeps working while another server adds a column, and sees it', async () => {
    await using sqld = await startSqld();
    using v1 = migrationsFolder({ '0001_notes.sql': NOTES, '0002_seed.sql': SEED });
    using v2 = migrationsFolder({
      '0001_notes.sql': NOTES,
      '0002_seed.sql': SEED,
      '0003_pinned.sql': PINNED,
    });
    await using a = await startServer({
      ...replica(sqld.url),
      router: notesApp,
      migrations: { folder: v1.path },
    });
    await using viewer = connectLiveClient(a.wsUrl);
    viewer.subscribe(undefined, 'push');
    const ack = await viewer.events.next();
    expect(ack.data.type).toBe('live');
    await viewer.trpc.live.update.mutate({
      subscriptionId: viewer.subscriptionId,
      add: [{ key: 'notes', path: 'notes.list', since: ack.id } as never],
    });
    type Note = { id: number; title: string; pinned?: number };
    const pushedNotes = async (accept: (notes: Note[]) => boolean) => {
      const event = await viewer.events.until((e) => {
        if (e.data.type !== 'results') return false;
        const result = e.data.results.find((r) => r.key === 'notes');
        return result !== undefined && accept(superjson.parse<Note[]>(dataOf(result)));
      }, 20_000);
      const data =
        event.data.type === 'results' ? event.data.results.find((r) => r.key === 'notes') : undefined;
      return superjson.parse<Note[]>(dataOf(data!));
    };

    // Another server starts with one more migration: ADD COLUMN, through the primary.
    await using b = await startServerProcess({
      ...replica(sqld.url),
      config: { syncIntervalMs: 20, seed: false, migrationsDir: v2.path },
    });
    expect((await sqld.execute('SELECT count(*) FROM _liveframe_migrations')).rows).toEqual([[3]]);
    // The schema change alone re-runs the live query on A: its pushed result has the column.
    expect(await pushedNotes((notes) => notes[0]?.pinned !== undefined)).toEqual([
      { id: 1, tenant_id: 'demo', title: 'welcome', pinned: 0 },
    ]);

    // Writes after the migration are captured and pushed: through A, and straight to the primary.
    const { frame } = await (
      viewer.trpc as never as typeof viewer.trpc & {
        notes: { add: { mutate(input: { title: string }): Promise<{ frame: string }> } };
      }
    ).notes.add.mutate({ title: 'from A' });
    expect(frame).toMatch(/:\d+$/);
    expect((await pushedNotes((notes) => notes.length === 2)).map((n) => [n.title, n.pinned])).toEqual([
      ['welcome', 0],
      ['from A', 0],
    ]);
    await sqld.execute("INSERT INTO notes (tenant_id, title, pinned) VALUES ('demo', 'pinned elsewhere', 1)");
    expect((await pushedNotes((notes) => notes.length === 3)).map((n) => [n.title, n.pinned])).toEqual([
      ['welcome', 0],
      ['from A', 0],
      ['pinned elsewhere', 1],
    ]);
    await sqld.execute("UPDATE notes SET pinned = 1 WHERE title = 'welcome'");
    expect((await pushedNotes((notes) => notes[0]?.pinned === 1)).map((n) => n.pinned)).toEqual([1, 0, 1]);
    expect(b.pid).toBeDefined();
  });
});

describe('migrations at start (local mode)', () => {
  it('run before `schema` and `prepareDatabase`; a changed or failing migration stops the start', async () => {
    using dir = migrationsFolder({});
    const dbPath = join(dir.path, 'app.db');
    const list = [
      { name: '0001_notes', sql: NOTES },
      { name: '0002_seed', sql: SEED },
    ];
    {
      // `schema` runs after the migrations: it can build on their tables.
      await using server = await startServer({
        router: notesApp,
        dbPath,
        migrations: list,
        schema: 'CREATE VIEW IF NOT EXISTS note_titles AS SELECT title FROM notes',
      });
      expect(server.services.database.driver.all('SELECT title FROM note_titles')).toEqual([
        { title: 'welcome' },
      ]);
    }
    {
      // A restart applies nothing new; the hook sees the migrated tables.
      let seen: unknown;
      await using server = await startServer({
        router: notesApp,
        dbPath,
        migrations: [...list, { name: '0003_pinned', sql: PINNED }],
        prepareDatabase: async (db) => {
          seen = db.all('SELECT title, pinned FROM notes');
        },
      });
      expect(seen).toEqual([{ title: 'welcome', pinned: 0 }]);
      expect(server.services.database.driver.all('SELECT count(*) AS n FROM notes')).toEqual([{ n: 1 }]);
    }
    const changed = await startServer({
      router: notesApp,
      dbPath,
      migrations: [{ name: '0001_notes', sql: `${NOTES} -- edited` }],
    }).catch((e: unknown) => e);
    expect(changed).toBeInstanceOf(MigrationError);
    expect(changed).toMatchObject({ code: 'MIGRATION_CHANGED', migration: '0001_notes' });
    const failed = await startServer({
      router: notesApp,
      dbPath,
      migrations: [
        ...list,
        { name: '0004_bad', sql: 'CREATE TABLE extra (x); INSERT INTO nowhere VALUES (1);' },
      ],
    }).catch((e: unknown) => e);
    expect(failed).toMatchObject({ code: 'MIGRATION_FAILED', migration: '0004_bad', statement: 2 });
    // The failed run left nothing behind, and the database still opens with what it had.
    await using server = await startServer({ router: notesApp, dbPath, migrations: list });
    expect(
      server.services.database.driver.all("SELECT name FROM sqlite_schema WHERE name = 'extra'"),
    ).toEqual([]);
  });
});
