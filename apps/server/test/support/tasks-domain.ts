import type { Driver } from '@liveframe/server';
import { signToken, tablePermissions } from '@liveframe/server';
import { TEST_AUTH_SECRET } from '../../src/testing/index.ts';
import { canonicalJson } from './push-viewer.ts';

/**
 * The small domain the query-builder tests (Drizzle, Kysely) share: projects and their tasks per
 * tenant, and a `secrets` table members may not use. The expected results are computed here with
 * plain SQL on the server's driver (no query builder, no permissions), so a live result is
 * compared with an execution that shares nothing with the code under test.
 */
export const TASKS_SQL = `
CREATE TABLE IF NOT EXISTS projects (id INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
  id INTEGER PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  project_id INTEGER NOT NULL REFERENCES projects (id),
  title TEXT NOT NULL,
  done INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS tasks_tenant_title ON tasks (tenant_id, title);
CREATE TABLE IF NOT EXISTS secrets (id INTEGER PRIMARY KEY, body TEXT NOT NULL);`;

/** Members may use projects and tasks only; admins everything. */
export const TASKS_PERMISSIONS = tablePermissions({ member: ['projects', 'tasks'], admin: '*' });

export function memberToken(userId: string, tenantId: string): string {
  return signToken({ userId, tenantId, role: 'member' }, TEST_AUTH_SECRET);
}

/** Tenant t1: project 1 with tasks 1 and 2; tenant t2: project 2 with task 3. */
export async function seedTasks(driver: Driver): Promise<void> {
  await driver.batch([
    { sql: "INSERT INTO projects (id, tenant_id, name) VALUES (1, 't1', 'alpha'), (2, 't2', 'beta')" },
    {
      sql: `INSERT INTO tasks (id, tenant_id, project_id, title) VALUES
        (1, 't1', 1, 'write'), (2, 't1', 1, 'test'), (3, 't2', 2, 'ship')`,
    },
    { sql: "INSERT INTO secrets (id, body) VALUES (1, 'launch codes')" },
  ]);
}

/** The live queries every test registers, by key; `byId` inputs are the tasks' ids. */
export const QUERIES = {
  list: { path: 'tasks.list', input: undefined },
  joined: { path: 'tasks.withProject', input: undefined },
  tree: { path: 'projects.tree', input: undefined },
  task1: { path: 'tasks.byId', input: { id: 1 } },
  task2: { path: 'tasks.byId', input: { id: 2 } },
} as const;

export type QueryKey = keyof typeof QUERIES;

/** What each query must return for `tenant`, by plain SQL on the driver (canonical JSON). */
export function expectedResults(driver: Driver, tenant: string): Record<QueryKey, string> {
  const task = (id: number) =>
    driver.get(
      'SELECT id, tenant_id AS tenantId, project_id AS projectId, title, done FROM tasks WHERE id = ? AND tenant_id = ?',
      [id, tenant],
    ) ?? null;
  const projects = driver.all<{ id: number; name: string }>(
    'SELECT id, name FROM projects WHERE tenant_id = ? ORDER BY id',
    [tenant],
  );
  return {
    list: canonicalJson(
      driver.all('SELECT id, title, done FROM tasks WHERE tenant_id = ? ORDER BY id', [tenant]),
    ),
    joined: canonicalJson(
      driver.all(
        `SELECT tasks.id, tasks.title, projects.name AS project FROM tasks
         JOIN projects ON projects.id = tasks.project_id WHERE tasks.tenant_id = ? ORDER BY tasks.id`,
        [tenant],
      ),
    ),
    tree: canonicalJson(
      projects.map((p) => ({
        id: p.id,
        name: p.name,
        tasks: driver.all('SELECT id, title FROM tasks WHERE project_id = ? ORDER BY id', [p.id]),
      })),
    ),
    task1: canonicalJson(task(1)),
    task2: canonicalJson(task(2)),
  };
}

/** Points where a test can pause a procedure (a held transaction, a second call arriving). */
export interface ProcedureHooks {
  beforeAdd?: () => void | Promise<void>;
  insideTransaction?: () => void | Promise<void>;
}

export function signAdminToken(): string {
  return signToken({ userId: 'root', tenantId: 't1', role: 'admin' }, TEST_AUTH_SECRET);
}
