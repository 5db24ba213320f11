import { type ChangeSet, type Database, isDbError, openDatabase } from '@liveframe/db-core';

/**
 * The same app on `@liveframe/db-core`, the way a server uses it: `openDatabase({ mode: 'local' })`
 * installs the native capture on its write connection, and `db.changes()` is an async iterable of
 * one `ChangeSet { generation, frame, changes }` per committed transaction. Rolled-back work never
 * appears; `db.setCommitVeto` rejects commits before they become durable.
 */
export async function openTodoDatabase(path: string): Promise<Database> {
  const db = await openDatabase({ mode: 'local', path });
  await db.exec(
    'CREATE TABLE IF NOT EXISTS todo(id INTEGER PRIMARY KEY, title TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0)',
  );
  return db;
}

/**
 * Calls `onChange` for every committed change set until `signal` aborts. The stream is bounded:
 * a consumer that falls far behind gets one `refetch-all` instead of an ever-growing queue.
 */
export async function followChanges(
  db: Database,
  onChange: (changeSet: ChangeSet) => void,
  options: { signal: AbortSignal; onRefetchAll?: (reason: string) => void },
): Promise<void> {
  for await (const event of db.changes({ signal: options.signal })) {
    if (event.type === 'changes') onChange(event.changeSet);
    else if (event.type === 'refetch-all') options.onRefetchAll?.(event.reason);
  }
}

/** True for the error a vetoed commit surfaces as in db-core. */
export function isVetoedWrite(error: unknown): boolean {
  return isDbError(error, 'COMMIT_VETOED');
}
