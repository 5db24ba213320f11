import type { Transaction } from '../driver.ts';

/**
 * The record of applied migrations, one row each: its name, the sha256 of its text when it ran,
 * and when (ms since the epoch). The `_liveframe_` prefix keeps it out of change capture (no
 * change-log triggers in replica mode, no change events in local mode) and out of table
 * permissions, like liveframe's other tables.
 */
export const MIGRATIONS_TABLE = '_liveframe_migrations';

export const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
  name TEXT PRIMARY KEY NOT NULL,
  hash TEXT NOT NULL,
  applied_at INTEGER NOT NULL
)`;

export interface AppliedRecord {
  readonly name: string;
  readonly hash: string;
  readonly appliedAt: number;
}

const SELECT_RECORDS = `SELECT name, hash, applied_at FROM ${MIGRATIONS_TABLE} ORDER BY applied_at, rowid`;

function toRecords(rows: readonly Record<string, unknown>[]): AppliedRecord[] {
  return rows.map((r) => ({ name: String(r.name), hash: String(r.hash), appliedAt: Number(r.applied_at) }));
}

/** What a local read sees (no lock; replica mode: as of the last sync). Empty when there is no table. */
export function readRecordsLocally(all: (sql: string) => Record<string, unknown>[]): AppliedRecord[] {
  const exists = all(
    `SELECT 1 AS x FROM sqlite_schema WHERE type = 'table' AND name = '${MIGRATIONS_TABLE}'`,
  );
  return exists.length === 0 ? [] : toRecords(all(SELECT_RECORDS));
}

/** Inside the migration's write transaction: creates the table if needed, then reads it. */
export async function readRecords(tx: Transaction): Promise<AppliedRecord[]> {
  await tx.run(CREATE_MIGRATIONS_TABLE);
  return toRecords(await tx.all(SELECT_RECORDS));
}

export async function recordApplied(
  tx: Transaction,
  name: string,
  hash: string,
  appliedAt: number,
): Promise<void> {
  await tx.run(`INSERT INTO ${MIGRATIONS_TABLE} (name, hash, applied_at) VALUES (?, ?, ?)`, [
    name,
    hash,
    appliedAt,
  ]);
}
