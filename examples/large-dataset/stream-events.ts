import { type Database, isDbError, openDatabase } from '@liveframe/db-core';

/** A wide-ish event row: ~200 bytes of payload each, so a million rows are ~250 MB as JS objects. */
export interface EventRow {
  readonly id: number;
  readonly kind: string;
  readonly amount: number;
  readonly payload: string;
}

export async function openEventDatabase(
  path: string,
  options: { busyTimeoutMs?: number } = {},
): Promise<Database> {
  const db = await openDatabase({ mode: 'local', path, ...options });
  await db.exec(
    'CREATE TABLE IF NOT EXISTS event(id INTEGER PRIMARY KEY, kind TEXT NOT NULL, amount INTEGER NOT NULL, payload TEXT NOT NULL)',
  );
  return db;
}

/** Generates `count` rows inside the engine (one INSERT ... SELECT over a recursive CTE, one commit). */
export async function generateEvents(db: Database, count: number): Promise<void> {
  await db.run(
    `INSERT INTO event(id, kind, amount, payload)
     WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
     SELECT i, CASE i % 3 WHEN 0 THEN 'view' WHEN 1 THEN 'click' ELSE 'buy' END, i % 100, printf('%0200d', i)
     FROM n`,
    [count],
  );
}

export interface Progress {
  readonly rows: number;
  readonly total: number;
}

export interface Totals {
  readonly rows: number;
  readonly amountByKind: Readonly<Record<string, number>>;
  /** True when the signal stopped the scan before the end. */
  readonly cancelled: boolean;
}

export interface ScanOptions {
  readonly signal?: AbortSignal;
  /** Called every `progressEvery` rows (and once at the end). */
  readonly onProgress?: (progress: Progress) => void;
  readonly progressEvery?: number;
  /** Rows fetched per batch before the event loop gets a turn (db-core's default is 256). */
  readonly batchSize?: number;
}

/**
 * Folds every event into per-kind totals while holding one batch of rows at a time. The cursor
 * runs on a connection of its own and yields to the event loop between batches, so the server
 * keeps answering requests; aborting the signal ends the scan with an INTERRUPTED DbError,
 * which this function reports as `cancelled`, and the statement is released either way.
 */
export async function totalsByKind(db: Database, options: ScanOptions = {}): Promise<Totals> {
  const total = db.get<{ n: number }>('SELECT count(*) AS n FROM event')?.n ?? 0;
  const every = options.progressEvery ?? 100_000;
  const amountByKind: Record<string, number> = {};
  let rows = 0;
  try {
    const cursor = db.cursor<EventRow & Record<string, string | number>>(
      'SELECT id, kind, amount, payload FROM event ORDER BY id',
      [],
      {
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
      },
    );
    for await (const row of cursor) {
      amountByKind[row.kind] = (amountByKind[row.kind] ?? 0) + row.amount;
      rows++;
      if (rows % every === 0) options.onProgress?.({ rows, total });
    }
  } catch (error) {
    if (isDbError(error, 'INTERRUPTED') && options.signal?.aborted) {
      return { rows, amountByKind, cancelled: true };
    }
    throw error;
  }
  options.onProgress?.({ rows, total });
  return { rows, amountByKind, cancelled: false };
}

/**
 * True when no reader holds a read snapshot on the file: a TRUNCATE checkpoint can then copy the
 * whole WAL back and empty it. An unreleased cursor statement would make it report busy.
 */
export function walIsFree(db: Database): boolean {
  const row = db.get<{ busy: number }>('PRAGMA wal_checkpoint(TRUNCATE)');
  return row?.busy === 0;
}
