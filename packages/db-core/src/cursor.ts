import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { DbError } from './errors.ts';
import type { LocalConnections } from './read-connection-pool.ts';
import type { BindParams, Row } from './values.ts';

export interface CursorOptions {
  /** Rows fetched per step before yielding to the event loop. */
  readonly batchSize?: number;
  /** Aborting stops the cursor with an INTERRUPTED error and releases the statement. */
  readonly signal?: AbortSignal;
  /**
   * The whole iteration must end within this many ms: a step running past it is interrupted,
   * and the next batch after it fails, with DEADLINE_EXCEEDED.
   */
  readonly timeoutMs?: number;
}

const DEFAULT_BATCH = 256;

/**
 * Streams a result with constant memory: rows come in batches from a dedicated statement on a
 * connection of its own, and the event loop gets a turn between batches. Leaving the loop early
 * (break, return, throw, abort) releases the statement and its read snapshot; nothing is
 * acquired until the first `next()`.
 *
 * @example
 * for await (const row of openCursor(db.connections, 'SELECT * FROM big')) {
 *   if (row.id === 42) break; // the statement is released here
 * }
 */
export async function* openCursor<T extends Row = Row>(
  connections: LocalConnections,
  sql: string,
  params?: BindParams,
  options: CursorOptions = {},
): AsyncGenerator<T, void, undefined> {
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH);
  const signal = options.signal;
  const checkAbort = () => {
    if (signal?.aborted) throw new DbError('INTERRUPTED', 'cursor aborted', { sql, cause: signal.reason });
  };
  checkAbort();
  const timeoutMs = options.timeoutMs;
  const end = timeoutMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + timeoutMs;
  const conn = connections.acquire();
  try {
    if (timeoutMs !== undefined) conn.setDeadline(timeoutMs);
    const iterator = conn.openIterator(sql, params);
    try {
      const names = iterator.columns;
      for (;;) {
        const batch = iterator.nextBatch(batchSize);
        for (const values of batch) {
          const row: Row = {};
          for (let i = 0; i < names.length; i++) row[names[i]!] = values[i]!;
          yield row as T;
        }
        if (batch.length < batchSize) return;
        await yieldToEventLoop();
        checkAbort();
        if (performance.now() > end) {
          throw new DbError('DEADLINE_EXCEEDED', `the cursor ran longer than its ${timeoutMs} ms deadline`, {
            sql,
          });
        }
      }
    } finally {
      iterator.release();
    }
  } finally {
    if (timeoutMs !== undefined && !conn.closed) conn.setDeadline(null);
    connections.release(conn);
  }
}
