import { createRouter, liveQuery, liveRouter, signToken } from '@liveframe/server';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { startServer, TEST_AUTH_SECRET } from '../src/testing/index.ts';
import { atOrAfter } from './support/model-checker/positions.ts';
import { canonicalJson, PushViewer, until, type ViewedQuery } from './support/push-viewer.ts';

/**
 * Shared executions follow the data scope as the data changes it: a query that reads only the
 * tenant is run once for every user of the tenant; once the data makes it read the user too
 * (a tenant switched to private notes), each user gets an execution of their own and never
 * another's result; switched back, they share again.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS settings (tenant_id TEXT PRIMARY KEY, private INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, owner TEXT NOT NULL, body TEXT NOT NULL);
INSERT OR IGNORE INTO settings VALUES ('t1', 0);`;

type Note = {
  id: number;
  owner: string;
  body: string;
};

const notesRouter = createRouter({
  visible: liveQuery.query(({ ctx }) => {
    const tenant = ctx.identity.tenantId;
    const setting = ctx.db.get<{ private: number }>('SELECT private FROM settings WHERE tenant_id = ?', [
      tenant,
    ]);
    // Only a private tenant's query reads the user: the data decides the data scope.
    return setting?.private === 1
      ? ctx.db.all<Note>('SELECT id, owner, body FROM notes WHERE tenant_id = ? AND owner = ? ORDER BY id', [
          tenant,
          ctx.identity.userId,
        ])
      : ctx.db.all<Note>('SELECT id, owner, body FROM notes WHERE tenant_id = ? ORDER BY id', [tenant]);
  }),
});
const router = createRouter({ live: liveRouter, notes: notesRouter });
const QUERY: ViewedQuery = { key: 'notes', path: 'notes.visible', input: undefined };
const DEADLINE_MS = 10_000;

describe('push delivery: shared executions follow the data scope', () => {
  it('shares across users of a tenant, splits when the query reads the user, shares again after', async () => {
    await using server = await startServer({ router, schema: SCHEMA });
    const driver = server.services.database.driver;
    const sessions = server.services.sessions;
    const viewer = (userId: string) =>
      new PushViewer({
        name: userId,
        token: signToken({ userId, tenantId: 't1', role: 'admin' }, TEST_AUTH_SECRET),
        wsUrl: server.wsUrl,
        url: server.url,
      });
    await using ann = viewer('ann');
    await using bob = viewer('bob');
    await using cat = viewer('cat');
    const viewers = [ann, bob, cat];
    for (const v of viewers) await v.subscribe();
    const runsBefore = sessions.runs;
    for (const v of viewers) expect(await v.mount(QUERY)).toBe(true);
    // The first registration ran the query; the others agreed on the tenant and joined it.
    expect(sessions.runs - runsBefore).toBe(1);

    const converged = async () => {
      for (const v of viewers) await v.drained();
      for (const v of viewers) if (v.held.get('notes')?.json !== (await v.fresh(QUERY))) return false;
      return true;
    };
    const write = async (sql: string, params: unknown[]) => {
      const runs = sessions.runs;
      const { position } = await driver.run(sql, params as never);
      expect(await until(Date.now() + DEADLINE_MS, converged)).toBe(true);
      return { runs: sessions.runs - runs, at: `${position.generation}:${position.frame}` };
    };
    const held = (v: PushViewer) => JSON.parse(v.held.get('notes')!.json!) as Note[];

    // Shared: one execution per write, however many users hold it.
    for (const owner of ['ann', 'bob', 'cat'])
      expect(
        (await write('INSERT INTO notes (tenant_id, owner, body) VALUES (?, ?, ?)', ['t1', owner, 'hi']))
          .runs,
      ).toBe(1);
    for (const v of viewers) expect(held(v).map((n) => n.owner)).toEqual(['ann', 'bob', 'cat']);

    // Private: the execution read the user, so the others ran on their own (3 executions).
    const split = await write("UPDATE settings SET private = 1 WHERE tenant_id = 't1'", []);
    expect(split.runs).toBe(3);
    for (const v of viewers) expect(held(v).map((n) => n.owner)).toEqual([v.name]);
    // A note of one user: each execution runs (the read-set is the table), only bob's result
    // changed, so only bob is sent anything.
    const pushedBefore = viewers.map((v) => v.pushed.length);
    const own = await write('INSERT INTO notes (tenant_id, owner, body) VALUES (?, ?, ?)', [
      't1',
      'bob',
      'mine',
    ]);
    expect(own.runs).toBe(3);
    expect(viewers.map((v, i) => v.pushed.length - pushedBefore[i]!)).toEqual([0, 1, 0]);
    expect(held(bob).map((n) => n.body)).toEqual(['hi', 'mine']);
    // No result computed for one user reached another while private.
    for (const v of viewers) {
      const after = v.pushed.filter((p) => atOrAfter(p.at, split.at));
      expect(after.length).toBeGreaterThan(0);
      for (const payload of after) {
        const notes = superjson.parse<Note[]>(payload.data);
        expect(
          notes.every((n) => n.owner === v.name),
          canonicalJson(notes),
        ).toBe(true);
      }
    }

    // Public again: the executions read only the tenant and merge back into one.
    await write("UPDATE settings SET private = 0 WHERE tenant_id = 't1'", []);
    for (const v of viewers) expect(held(v).map((n) => n.owner)).toEqual(['ann', 'bob', 'cat', 'bob']);
    expect(
      (await write('INSERT INTO notes (tenant_id, owner, body) VALUES (?, ?, ?)', ['t1', 'cat', 'x'])).runs,
    ).toBe(1);
    for (const v of viewers) expect(v.anomalies).toEqual([]);
  });
});
