import { type LiveframeServer, parsePositionId } from '@liveframe/server';
import { createTRPCUntypedClient, httpLink } from '@trpc/client';
import superjson from 'superjson';
import { expect, it } from 'vitest';
import { connectLiveClient } from './live-client.ts';
import { canonicalJson, PushViewer, until } from './push-viewer.ts';
import {
  expectedResults,
  memberToken,
  type ProcedureHooks,
  QUERIES,
  type QueryKey,
  seedTasks,
  signAdminToken,
} from './tasks-domain.ts';

/**
 * Scenarios every query-builder integration (Drizzle, Kysely) must pass on a real server with
 * the tasks domain: the routers differ only in how their procedures build the SQL.
 */
const DEADLINE_MS = 10_000;
const KEYS = Object.keys(QUERIES) as QueryKey[];

/** An HTTP client of the app's procedures under `token`; queries may carry `minFrame`. */
export function appClient(url: string, token: string) {
  const http = createTRPCUntypedClient({
    links: [
      httpLink({ url: `${url}/trpc`, transformer: superjson, headers: { authorization: `Bearer ${token}` } }),
    ],
  });
  return {
    query: <T = unknown>(path: string, input?: unknown, minFrame?: string) =>
      http.query(path, minFrame === undefined ? input : { $liveframe: { minFrame }, input }) as Promise<T>,
    mutate: <T = { frame: string }>(path: string, input?: unknown) =>
      http.mutation(path, input) as Promise<T>,
  };
}

type AppClient = ReturnType<typeof appClient>;

/** A write of the scenario and the queries of tenant t1 whose results it changes. */
interface Step {
  readonly name: string;
  readonly write: (ann: AppClient, bob: AppClient) => Promise<{ frame: string }>;
  /** What the invalidate subscriber must be told: the results that change plus table-level reads. */
  readonly invalidates: readonly QueryKey[];
  readonly changes: readonly QueryKey[];
}

const TABLE_READERS: readonly QueryKey[] = ['list', 'joined', 'tree'];

const STEPS: readonly Step[] = [
  {
    name: 'rename task 2 (point lookup of task 1 untouched)',
    write: (ann) => ann.mutate('tasks.rename', { id: 2, title: 'test more' }),
    invalidates: [...TABLE_READERS, 'task2'],
    changes: [...TABLE_READERS, 'task2'],
  },
  {
    name: 'rename task 1 (point lookup of task 2 untouched)',
    write: (ann) => ann.mutate('tasks.rename', { id: 1, title: 'write more' }),
    invalidates: [...TABLE_READERS, 'task1'],
    changes: [...TABLE_READERS, 'task1'],
  },
  {
    name: 'add a task',
    write: (ann) => ann.mutate('tasks.add', { projectId: 1, title: 'review' }),
    invalidates: TABLE_READERS,
    changes: TABLE_READERS,
  },
  {
    name: 'rename the project (the join and the relational query read it, the list does not)',
    write: (ann) => ann.mutate('projects.rename', { id: 1, name: 'alpha 2' }),
    invalidates: ['joined', 'tree'],
    changes: ['joined', 'tree'],
  },
  {
    name: "another tenant's task (table-level readers are told, no t1 result changes)",
    write: (_ann, bob) => bob.mutate('tasks.rename', { id: 3, title: 'ship it' }),
    invalidates: TABLE_READERS,
    changes: [],
  },
  {
    name: 'a project with its first task in one transaction',
    write: (ann) => ann.mutate('projects.create', { name: 'gamma', firstTask: 'plan' }),
    invalidates: TABLE_READERS,
    changes: TABLE_READERS,
  },
];

export async function startTasksServer(start: () => Promise<LiveframeServer>): Promise<LiveframeServer> {
  const server = await start();
  try {
    await seedTasks(server.services.database.driver);
  } catch (error) {
    await server.close();
    throw error;
  }
  return server;
}

const sorted = (keys: readonly string[]) => [...keys].sort();

/** Invalidate delivery: each write names exactly the queries whose read-set it hits, at its frame. */
export async function invalidationScenario(server: LiveframeServer): Promise<void> {
  const driver = server.services.database.driver;
  const ann = appClient(server.url, memberToken('ann', 't1'));
  const bob = appClient(server.url, memberToken('bob', 't2'));
  await using client = connectLiveClient(server.wsUrl, { token: memberToken('ann', 't1') });
  client.subscribe();
  const ack = await client.events.next();
  expect(ack.data.type).toBe('live');
  await client.trpc.live.update.mutate({
    subscriptionId: client.subscriptionId,
    add: KEYS.map((key) => ({
      key,
      path: QUERIES[key].path,
      input: QUERIES[key].input as never,
      since: ack.id,
    })),
  });
  const fetchAll = async (minFrame?: string) => {
    const results = {} as Record<QueryKey, string>;
    for (const key of KEYS) {
      const { path, input } = QUERIES[key];
      results[key] = canonicalJson(await ann.query(path, input, minFrame));
    }
    return results;
  };
  expect(await fetchAll()).toEqual(expectedResults(driver, 't1'));

  for (const step of STEPS) {
    const before = expectedResults(driver, 't1');
    const { frame } = await step.write(ann, bob);
    const event = await client.events.next(DEADLINE_MS);
    expect(event.data.type, step.name).toBe('invalidate');
    expect(event.id, step.name).toBe(frame);
    expect(sorted(event.data.type === 'invalidate' ? event.data.queries : []), step.name).toEqual(
      sorted(step.invalidates),
    );
    const after = expectedResults(driver, 't1');
    expect(sorted(KEYS.filter((k) => before[k] !== after[k])), step.name).toEqual(sorted(step.changes));
    // Results fetched at the write's frame equal a fresh execution in plain SQL.
    expect(await fetchAll(frame), step.name).toEqual(after);
  }
  expect(client.events.size).toBe(0);
}

/** Push delivery: each write pushes exactly the results it changed, equal to a fresh execution; users of a tenant share executions. */
export async function pushScenario(server: LiveframeServer, patches: boolean): Promise<void> {
  const driver = server.services.database.driver;
  const ann = appClient(server.url, memberToken('ann', 't1'));
  const bob = appClient(server.url, memberToken('bob', 't2'));
  await using viewer = new PushViewer({
    name: 'ann',
    token: memberToken('ann', 't1'),
    wsUrl: server.wsUrl,
    url: server.url,
    patches,
  });
  // A second user of the tenant: the builder's queries read only the tenant from the identity,
  // so amy shares ann's executions (the data scope is learned through the builder too).
  await using amy = new PushViewer({
    name: 'amy',
    token: memberToken('amy', 't1'),
    wsUrl: server.wsUrl,
    url: server.url,
    patches,
  });
  await viewer.subscribe();
  await amy.subscribe();
  const viewed = (key: QueryKey) => ({ key, ...QUERIES[key] });
  for (const key of KEYS) expect(await viewer.mount(viewed(key))).toBe(true);
  const runs = server.services.sessions.runs;
  for (const key of KEYS) expect(await amy.mount(viewed(key))).toBe(true);
  expect(server.services.sessions.runs - runs).toBe(0);
  const heldNow = () => Object.fromEntries(KEYS.map((k) => [k, viewer.held.get(k)?.json]));
  expect(heldNow()).toEqual(expectedResults(driver, 't1'));

  for (const step of STEPS) {
    const pushedBefore = viewer.pushed.length;
    const { frame } = await step.write(ann, bob);
    const after = expectedResults(driver, 't1');
    const converged = async () => {
      await viewer.drained();
      await amy.drained();
      return KEYS.every((k) => viewer.held.get(k)?.json === after[k] && amy.held.get(k)?.json === after[k]);
    };
    expect(await until(Date.now() + DEADLINE_MS, converged), step.name).toBe(true);
    const window = viewer.pushed.slice(pushedBefore);
    expect(sorted(window.map((p) => p.key)), step.name).toEqual(sorted(step.changes));
    for (const pushed of window) expect(pushed.at, step.name).toBe(frame);
    for (const key of KEYS) expect(await viewer.fresh(viewed(key)), step.name).toBe(after[key]);
  }
  expect([...viewer.anomalies, ...amy.anomalies]).toEqual([]);
  if (patches) expect(viewer.patched).toBeGreaterThan(0);
}

/** The liveframe code and tRPC code of a failed call. */
export async function failure(call: Promise<unknown>): Promise<{ code?: string; liveframe?: string }> {
  try {
    await call;
  } catch (error) {
    const data = (error as { data?: { code?: string; liveframe?: { code?: string } } }).data;
    return {
      ...(data?.code === undefined ? {} : { code: data.code }),
      ...(data?.liveframe?.code === undefined ? {} : { liveframe: data.liveframe.code }),
    };
  }
  throw new Error('the call succeeded');
}

/** A table the identity may not use fails with FORBIDDEN_TABLE whichever way the builder reached it. */
export async function forbiddenScenario(server: LiveframeServer): Promise<void> {
  const driver = server.services.database.driver;
  const ann = appClient(server.url, memberToken('ann', 't1'));
  const forbidden = { code: 'FORBIDDEN', liveframe: 'FORBIDDEN_TABLE' };
  expect(await failure(ann.query('secrets.read'))).toEqual(forbidden);
  expect(await failure(ann.query('secrets.joined'))).toEqual(forbidden);
  expect(await failure(ann.query('secrets.inBatch'))).toEqual(forbidden);
  expect(await failure(ann.mutate('secrets.inTransaction'))).toEqual(forbidden);
  expect(await failure(ann.mutate('secrets.write'))).toEqual(forbidden);
  expect(driver.all('SELECT body FROM secrets')).toEqual([{ body: 'launch codes' }]);
  // Nor can it be watched.
  await using client = connectLiveClient(server.wsUrl, { token: memberToken('ann', 't1') });
  client.subscribe();
  const ack = await client.events.next();
  expect(
    await failure(
      client.trpc.live.update.mutate({
        subscriptionId: client.subscriptionId,
        add: [{ key: 's', path: 'secrets.read', since: ack.id }],
      }),
    ),
  ).toEqual(forbidden);
  // The same procedures work for a role that may use the table.
  const admin = appClient(server.url, signAdminToken());
  expect(await admin.query('secrets.read')).toEqual([{ id: 1, body: 'launch codes' }]);
  expect(await admin.mutate('secrets.inTransaction')).toEqual([{ id: 1, body: 'launch codes' }]);
  expect(await admin.query('secrets.inBatch')).toHaveLength(2);
}

/** A mutation's `frame` (ctx.db.lastWrite) lets a read see the write; a constraint violation is a CONFLICT. */
export async function writesScenario(server: LiveframeServer): Promise<void> {
  const driver = server.services.database.driver;
  const ann = appClient(server.url, memberToken('ann', 't1'));
  const { id, frame } = await ann.mutate<{ id: number; frame: string }>('tasks.add', {
    projectId: 1,
    title: 'fresh',
  });
  expect(await ann.query('tasks.byId', { id }, frame)).toMatchObject({ id, title: 'fresh' });
  const created = await ann.mutate<{ id: number; frame: string }>('projects.create', {
    name: 'delta',
    firstTask: 'kickoff',
  });
  expect(parsePositionId(created.frame).frame).toBeGreaterThan(parsePositionId(frame).frame);
  expect(await ann.query('projects.tree', undefined, created.frame)).toContainEqual({
    id: created.id,
    name: 'delta',
    tasks: [{ id: expect.any(Number), title: 'kickoff' }],
  });

  const conflict = { code: 'CONFLICT', liveframe: 'DB_ERROR' };
  // tasks (tenant_id, title) is unique.
  expect(await failure(ann.mutate('tasks.add', { projectId: 1, title: 'fresh' }))).toEqual(conflict);
  // Inside a transaction: the project inserted before the failing task is rolled back.
  expect(await failure(ann.mutate('projects.create', { name: 'epsilon', firstTask: 'fresh' }))).toEqual(
    conflict,
  );
  expect(driver.all("SELECT id FROM projects WHERE name = 'epsilon'")).toEqual([]);
  // A foreign key (tasks.project_id) too.
  expect(await failure(ann.mutate('tasks.add', { projectId: 999, title: 'orphan' }))).toEqual(conflict);
}

/**
 * Two mutations over one WebSocket (one context, so one `ctx.client`): the second writes while
 * the first holds a builder transaction open; it waits for it instead of failing.
 */
export async function heldTransactionScenario(server: LiveframeServer, hooks: ProcedureHooks): Promise<void> {
  const driver = server.services.database.driver;
  await using client = connectLiveClient(server.wsUrl, { token: memberToken('ann', 't1') });
  const ws = client.trpc as unknown as {
    tasks: Record<'add' | 'addInTransaction', { mutate(input: unknown): Promise<{ frame: string }> }>;
  };
  const entered = deferred();
  const release = deferred();
  const secondStarted = deferred();
  hooks.insideTransaction = () => {
    entered.resolve();
    return release.promise;
  };
  hooks.beforeAdd = () => secondStarted.resolve();
  try {
    const first = ws.tasks.addInTransaction.mutate({ projectId: 1, title: 'held' });
    await withDeadline(entered.promise, 'the transaction was entered');
    const second = ws.tasks.add.mutate({ projectId: 1, title: 'queued' });
    await withDeadline(secondStarted.promise, 'the second mutation started');
    release.resolve();
    const [a, b] = await Promise.allSettled([first, second]);
    expect(a.status).toBe('fulfilled');
    expect(b.status === 'fulfilled' ? 'fulfilled' : String(b.reason)).toBe('fulfilled');
    expect(driver.all("SELECT title FROM tasks WHERE title IN ('held', 'queued') ORDER BY id")).toEqual([
      { title: 'held' },
      { title: 'queued' },
    ]);
  } finally {
    release.resolve();
    delete hooks.insideTransaction;
    delete hooks.beforeAdd;
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

async function withDeadline(promise: Promise<void>, what: string, ms = DEADLINE_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not within ${ms} ms: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The scenarios as one suite of tests for a query builder (each on a fresh server: they expect
 * the seeded data); `hooks` are the router's, for the held-transaction scenario.
 *
 * @example builderSuite('Kysely', () => startTasksServer(...), hooks);
 */
export function builderSuite(
  builder: string,
  start: () => Promise<LiveframeServer>,
  hooks: ProcedureHooks,
): void {
  it('invalidate delivery: joins, related rows, point lookups and a tenant list are told exactly what hits them', async () => {
    await using server = await start();
    await invalidationScenario(server);
  });

  it('push delivery: each write pushes exactly the results it changed', async () => {
    await using server = await start();
    await pushScenario(server, false);
  });

  it('push delivery with patches', async () => {
    await using server = await start();
    await pushScenario(server, true);
  });

  it(`a forbidden table is FORBIDDEN_TABLE through ${builder}: select, join, transaction, batch, insert, registration`, async () => {
    await using server = await start();
    await forbiddenScenario(server);
  });

  it(`a ${builder} mutation's frame (ctx.db.lastWrite) gives read-your-writes; constraint violations are CONFLICT`, async () => {
    await using server = await start();
    await writesScenario(server);
  });

  it(`a second mutation on the same WebSocket waits for a ${builder} transaction the first holds open`, async () => {
    await using server = await start();
    await heldTransactionScenario(server, hooks);
  });
}
