import type { Connection } from './connection.ts';
import { analyzeSqlCached } from './connection.ts';
import type { BatchStatement, BatchStatementResult } from './driver.ts';
import { noteBatchFailure, type RawResult } from './raw-result.ts';
import { runTransaction } from './transaction.ts';

const WRITE_KEYWORDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'REPLACE']);

/**
 * Local mode's batch: the statements in one IMMEDIATE transaction on the writer, stopping at the
 * first failure (which rolls everything back), with the same per-statement results replica mode
 * gets from the primary: row counts, and the rows of statements that return any (SELECT, RETURNING).
 */
export function runLocalBatch(
  conn: Connection,
  statements: readonly BatchStatement[],
): Promise<BatchStatementResult[]> {
  return runTransaction(
    conn,
    async () =>
      statements.map(({ sql, params }) => {
        if (conn.columns(sql).length === 0) return { ...conn.run(sql, params), rows: [] };
        const rows = conn.all(sql, params);
        if (!WRITE_KEYWORDS.has(analyzeSqlCached(sql).firstKeyword))
          return { changes: 0, lastInsertRowid: 0n, rows };
        const counts = conn.get<{ c: number; r: number | bigint }>(
          'SELECT changes() AS c, last_insert_rowid() AS r',
        );
        return { changes: Number(counts?.c ?? 0), lastInsertRowid: BigInt(counts?.r ?? 0), rows };
      }),
    'immediate',
  );
}

/** The same batch with raw per-statement results (see RawResult), for the libSQL-compatible client. */
export function runLocalBatchRaw(
  conn: Connection,
  statements: readonly BatchStatement[],
): Promise<RawResult[]> {
  return runTransaction(
    conn,
    async () =>
      statements.map(({ sql, params }, index) => {
        try {
          return conn.query(sql, params);
        } catch (error) {
          noteBatchFailure(error, index);
          throw error;
        }
      }),
    'immediate',
  );
}
