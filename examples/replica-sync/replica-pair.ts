import { join } from 'node:path';
import {
  type CaptureEvent,
  type Database,
  DbError,
  type FramePosition,
  openDatabase,
  type Row,
} from '@liveframe/db-core';

/**
 * Two "servers", each with an embedded replica of one primary (sqld locally, Turso in
 * production). Reads are local on each; writes are delegated to the primary and answer with the
 * frame they reached; a read on the other server waits for that frame first.
 */
export async function openServerReplica(
  dir: string,
  name: string,
  syncUrl: string,
  options: { syncIntervalMs?: number; authToken?: string } = {},
): Promise<Database> {
  return openDatabase({ mode: 'replica', path: join(dir, `${name}.db`), syncUrl, ...options });
}

export const NOTES_SCHEMA = 'CREATE TABLE IF NOT EXISTS note(id INTEGER PRIMARY KEY, body TEXT NOT NULL)';

/** Migrations run against the primary, then the change log is brought up to date (idempotent). */
export async function migrate(db: Database): Promise<void> {
  await db.exec(NOTES_SCHEMA);
  await db.installChangeLog();
}

export async function addNote(db: Database, body: string): Promise<{ id: number; position: FramePosition }> {
  const { lastInsertRowid, position } = await db.run('INSERT INTO note(body) VALUES (?)', [body]);
  return { id: Number(lastInsertRowid), position };
}

/**
 * Read-your-writes on any server: wait (bounded, off the event loop) until this replica has the
 * frame the write reached, then read locally. A different primary generation means frames are
 * not comparable: the caller must refetch everything; a timeout is an error to retry.
 */
export async function readAfter<T extends Row>(
  db: Database,
  minFrame: FramePosition,
  sql: string,
  params: readonly (string | number)[] = [],
  timeoutMs = 5_000,
): Promise<{ rows: T[]; refetchAll: boolean }> {
  const result = await db.waitForFrame(minFrame, { timeoutMs });
  if (result.status === 'timeout') {
    throw new DbError(
      'DEADLINE_EXCEEDED',
      `replica stayed at frame ${result.position.frame}, wanted ${minFrame.frame}`,
    );
  }
  return { rows: db.all<T>(sql, params), refetchAll: result.status === 'generation-changed' };
}

/** Collects change-stream events until `done` says so, with a deadline instead of a hang. */
export async function collectEvents(
  stream: AsyncIterator<CaptureEvent>,
  done: (events: readonly CaptureEvent[]) => boolean,
  deadlineMs = 15_000,
): Promise<CaptureEvent[]> {
  const events: CaptureEvent[] = [];
  const end = Date.now() + deadlineMs;
  while (!done(events)) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no matching change event within ${deadlineMs} ms`)),
        Math.max(1, end - Date.now()),
      );
    });
    try {
      const next = await Promise.race([stream.next(), timeout]);
      if (next.done === true) throw new Error('change stream ended');
      events.push(next.value);
    } finally {
      clearTimeout(timer);
    }
  }
  return events;
}

/** Row changes of `changes` events, flattened. */
export function rowChanges(
  events: readonly CaptureEvent[],
): { table: string; op: string; rowid: number | null }[] {
  return events.flatMap((e) => (e.type === 'changes' ? e.changeSet.changes.map((c) => ({ ...c })) : []));
}

/**
 * Disaster recovery: the primary is gone for good. A write that fails with PRIMARY_UNAVAILABLE
 * is the signal; `freeze()` turns this replica into a standalone local database (what it last
 * synced is kept) and the server keeps serving reads and writes from it. Frames start a new
 * generation, so every client refetches once (the stream says `refetch-all`).
 */
export async function writeOrFreeze(
  db: Database,
  sql: string,
  params: readonly (string | number)[] = [],
): Promise<{ position: FramePosition; frozeNow: boolean }> {
  try {
    const { position } = await db.run(sql, params);
    return { position, frozeNow: false };
  } catch (error) {
    if (!(error instanceof DbError && error.code === 'PRIMARY_UNAVAILABLE')) throw error;
    await db.freeze();
    const { position } = await db.run(sql, params);
    return { position, frozeNow: true };
  }
}
