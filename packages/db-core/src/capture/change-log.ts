import type { ChangeOp } from '../change-set.ts';
import {
  readUniqueKeys,
  replaceConflictStatements,
  UNIQUE_KEYS_SQL,
  type UniqueKey,
  uniqueKeysFromRows,
} from './replace-conflict-triggers.ts';

/**
 * The replicated change log (replica mode). AFTER INSERT/UPDATE/DELETE triggers on every user
 * table of the primary append one `(seq, tbl, op, rid)` row per changed row to
 * `_liveframe_changes`; the rows travel to every replica inside the same frames as the change
 * itself, so a replica that reads the log after a sync sees whole transactions, whoever wrote
 * them (another server, a shell on the primary).
 *
 * A REPLACE conflict (INSERT OR REPLACE, REPLACE INTO, UPDATE OR REPLACE, ON CONFLICT REPLACE in
 * the schema) deletes the conflicting row without firing DELETE triggers (recursive_triggers is
 * off, libSQL's default). A conflict on the rowid needs nothing (the insert logs that rowid); for
 * a conflict on another UNIQUE key, rowid tables that have one carry BEFORE INSERT / BEFORE
 * UPDATE triggers that log a delete of every row whose key equals the new row's, before the row
 * is written (replace-conflict-triggers.ts). The triggers cannot see the conflict policy, so
 * INSERT OR IGNORE and UPSERT log a delete that did not happen (an extra invalidation, never a
 * miss); a plain INSERT that fails aborts its log rows with it. WITHOUT ROWID tables log every
 * change table-level (rid NULL) already, a REPLACE included.
 *
 * Lean on purpose (insert throughput is the cost): `seq INTEGER PRIMARY KEY` (an alias of the
 * rowid; AUTOINCREMENT measured 1.6x the trigger cost), integer op codes, no timestamp column
 * (age retention uses `_liveframe_log_marks`, one row per compaction). The log inserts say
 * `OR FAIL` although they cannot fail: a trigger statement that may ABORT (the NOT NULL checks,
 * by default) makes SQLite open a statement journal for every statement on the table inside a
 * transaction, which cost more than the log row itself (bench/change-log-instructions.ts).
 * Statements that can abort on their own (NOT NULL user columns) still pay it: any trigger
 * marks a statement multi-write. A rowid table hands out
 * max(seq)+1, so numbers would be reused if the newest rows were deleted: compaction always
 * keeps the newest row (the high-water mark), which also keeps the log contiguous -- a cursor
 * whose successor row is missing knows it was compacted past and must refetch all.
 */
export const CHANGE_LOG_TABLE = '_liveframe_changes';
export const LOG_MARKS_TABLE = '_liveframe_log_marks';
export const CURSORS_TABLE = '_liveframe_cursors';
/** Bump when the trigger bodies change: installers replace triggers whose SQL differs anyway. */
export const TRIGGER_PREFIX = '_liveframe_t';

export const OP_CODES: Readonly<Record<ChangeOp, number>> = { insert: 1, update: 2, delete: 3 };
export const OPS_BY_CODE: readonly (ChangeOp | undefined)[] = [undefined, 'insert', 'update', 'delete'];

export interface SqlRunner {
  all(sql: string, args?: readonly (string | number | null)[]): Record<string, unknown>[];
  run(sql: string, args?: readonly (string | number | null)[]): { changes: number };
}

export const CREATE_LOG_TABLES = [
  `CREATE TABLE IF NOT EXISTS ${CHANGE_LOG_TABLE}(seq INTEGER PRIMARY KEY, tbl TEXT NOT NULL, op INTEGER NOT NULL, rid INTEGER)`,
  `CREATE TABLE IF NOT EXISTS ${LOG_MARKS_TABLE}(ts INTEGER PRIMARY KEY, seq INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS ${CURSORS_TABLE}(id TEXT PRIMARY KEY, seq INTEGER NOT NULL, updated_ms INTEGER NOT NULL)`,
] as const;

/** Tables that never get triggers: SQLite's and libSQL's internals and our own. */
export function isCapturedTable(name: string): boolean {
  return !/^(sqlite_|libsql_|_liveframe_)/i.test(name);
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function quoteText(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export interface UserTable {
  readonly name: string;
  readonly withoutRowid: boolean;
  /** UNIQUE keys other than the rowid (rowid tables only): REPLACE conflicts on them delete rows. */
  readonly uniqueKeys?: readonly UniqueKey[];
}

/** The exact trigger statements one table should carry (name -> CREATE TRIGGER sql). */
export function desiredTriggers(table: UserTable): Map<string, string> {
  const t = quoteIdent(table.name);
  const tbl = quoteText(table.name);
  const log = `INSERT OR FAIL INTO ${CHANGE_LOG_TABLE}(tbl, op, rid) VALUES`;
  const newRid = table.withoutRowid ? 'NULL' : 'NEW.rowid';
  const oldRid = table.withoutRowid ? 'NULL' : 'OLD.rowid';
  const name = (kind: string) => `${TRIGGER_PREFIX}${kind}_${table.name}`;
  const out = new Map<string, string>();
  out.set(
    name('i'),
    `CREATE TRIGGER ${quoteIdent(name('i'))} AFTER INSERT ON ${t} BEGIN ${log} (${tbl}, 1, ${newRid}); END`,
  );
  // An UPDATE that moves a row to another rowid is logged as an update of the new and a delete of the old one.
  const moved = table.withoutRowid
    ? ''
    : ` INSERT OR FAIL INTO ${CHANGE_LOG_TABLE}(tbl, op, rid) SELECT ${tbl}, 3, OLD.rowid WHERE OLD.rowid IS NOT NEW.rowid;`;
  out.set(
    name('u'),
    `CREATE TRIGGER ${quoteIdent(name('u'))} AFTER UPDATE ON ${t} BEGIN ${log} (${tbl}, 2, ${newRid});${moved} END`,
  );
  out.set(
    name('d'),
    `CREATE TRIGGER ${quoteIdent(name('d'))} AFTER DELETE ON ${t} BEGIN ${log} (${tbl}, 3, ${oldRid}); END`,
  );
  // WITHOUT ROWID tables need none: every change to them is logged table-level already.
  const replace = table.withoutRowid
    ? null
    : replaceConflictStatements(
        table.name,
        table.uniqueKeys ?? [],
        `INSERT OR FAIL INTO ${CHANGE_LOG_TABLE}(tbl, op, rid)`,
      );
  if (replace !== null) {
    out.set(
      name('ri'),
      `CREATE TRIGGER ${quoteIdent(name('ri'))} BEFORE INSERT ON ${t} BEGIN ${replace.insert} END`,
    );
    const of = replace.updateOf === null ? '' : ` OF ${replace.updateOf.map(quoteIdent).join(', ')}`;
    out.set(
      name('ru'),
      `CREATE TRIGGER ${quoteIdent(name('ru'))} BEFORE UPDATE${of} ON ${t} BEGIN ${replace.update} END`,
    );
  }
  return out;
}

const USER_TABLES_SQL =
  "SELECT name, wr FROM pragma_table_list WHERE schema = 'main' AND type = 'table' ORDER BY name";
const TRIGGERS_SQL = "SELECT name, sql FROM sqlite_schema WHERE type = 'trigger'";

function capturedTables(rows: readonly Record<string, unknown>[]): UserTable[] {
  return rows
    .map((r) => ({ name: String(r.name), withoutRowid: Number(r.wr) === 1 }))
    .filter((t) => isCapturedTable(t.name));
}

export function listUserTables(db: SqlRunner): UserTable[] {
  return capturedTables(db.all(USER_TABLES_SQL)).map((t) =>
    t.withoutRowid ? t : { ...t, uniqueKeys: readUniqueKeys(db, t.name) },
  );
}

/**
 * sqld re-serializes delegated statements (its own spacing and line breaks) before storing them,
 * so stored trigger SQL is compared with whitespace removed.
 */
function sameSql(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  return a.replace(/\s+/g, '') === b.replace(/\s+/g, '');
}

export interface TriggerPlan {
  readonly tables: readonly string[];
  readonly drop: readonly string[];
  readonly create: readonly string[];
}

/** Compares the triggers a schema has with the ones it should have. */
export function planTriggers(db: SqlRunner): TriggerPlan {
  return planFor(listUserTables(db), db.all(TRIGGERS_SQL));
}

function planFor(tables: readonly UserTable[], triggerRows: readonly Record<string, unknown>[]): TriggerPlan {
  const desired = new Map<string, string>();
  for (const table of tables) for (const [name, sql] of desiredTriggers(table)) desired.set(name, sql);
  const existing = new Map<string, string>();
  for (const row of triggerRows) {
    const name = String(row.name);
    if (name.startsWith(TRIGGER_PREFIX)) existing.set(name, String(row.sql));
  }
  const drop: string[] = [];
  const create: string[] = [];
  for (const [name, sql] of existing) if (!sameSql(desired.get(name), sql)) drop.push(name);
  for (const [name, sql] of desired) if (!sameSql(existing.get(name), sql)) create.push(sql);
  return { tables: tables.map((t) => t.name), drop, create };
}

/**
 * Creates the log tables and brings the triggers in line with the current tables. Idempotent;
 * the caller wraps it in one transaction on the primary.
 */
export function applyChangeLogSchema(db: SqlRunner): {
  tables: readonly string[];
  created: number;
  dropped: number;
} {
  for (const sql of CREATE_LOG_TABLES) db.run(sql);
  const plan = planTriggers(db);
  for (const name of plan.drop) db.run(`DROP TRIGGER IF EXISTS ${quoteIdent(name)}`);
  for (const sql of plan.create) db.run(sql);
  return { tables: plan.tables, created: plan.create.length, dropped: plan.drop.length };
}

/** What {@link applyChangeLogSchema} needs, asynchronously: a transaction on the primary. */
export interface AsyncSqlRunner {
  all(sql: string, args?: readonly (string | number | null)[]): Promise<Record<string, unknown>[]>;
  run(sql: string, args?: readonly (string | number | null)[]): Promise<unknown>;
}

/**
 * {@link applyChangeLogSchema} inside a transaction the caller holds (e.g. a migration's, so the
 * tables it creates or rebuilds carry their triggers from the same commit on: no write can slip
 * in between uncaptured).
 */
export async function applyChangeLogSchemaAsync(db: AsyncSqlRunner): Promise<{
  tables: readonly string[];
  created: number;
  dropped: number;
}> {
  for (const sql of CREATE_LOG_TABLES) await db.run(sql);
  const tables: UserTable[] = [];
  for (const table of capturedTables(await db.all(USER_TABLES_SQL))) {
    tables.push(
      table.withoutRowid
        ? table
        : {
            ...table,
            uniqueKeys: uniqueKeysFromRows(await db.all(UNIQUE_KEYS_SQL, [table.name, table.name])),
          },
    );
  }
  const plan = planFor(tables, await db.all(TRIGGERS_SQL));
  for (const name of plan.drop) await db.run(`DROP TRIGGER IF EXISTS ${quoteIdent(name)}`);
  for (const sql of plan.create) await db.run(sql);
  return { tables: plan.tables, created: plan.create.length, dropped: plan.drop.length };
}

export interface RetentionOptions {
  /** Rows older than this (by compaction marks) may be dropped. */
  readonly maxAgeMs: number | null;
  /** At most this many newest rows are kept. */
  readonly maxRows: number | null;
  /** Cursors registered within this window are protected. */
  readonly cursorTtlMs: number;
  readonly now: number;
}

/**
 * Drops log rows by retention, never one a live registered cursor still needs and never the
 * newest row (the high-water mark). Runs inside one transaction on the primary.
 */
export function compactChangeLog(
  db: SqlRunner,
  options: RetentionOptions,
): { deleted: number; minSeq: number } {
  const maxSeq = Number(db.all(`SELECT coalesce(max(seq), 0) AS m FROM ${CHANGE_LOG_TABLE}`)[0]?.m ?? 0);
  db.run(`INSERT OR REPLACE INTO ${LOG_MARKS_TABLE}(ts, seq) VALUES (?, ?)`, [options.now, maxSeq]);
  let eligible = Number.NEGATIVE_INFINITY;
  if (options.maxRows !== null) eligible = Math.max(eligible, maxSeq - options.maxRows);
  if (options.maxAgeMs !== null) {
    const mark = db.all(`SELECT max(seq) AS s FROM ${LOG_MARKS_TABLE} WHERE ts <= ?`, [
      options.now - options.maxAgeMs,
    ])[0]?.s;
    if (mark !== null && mark !== undefined) eligible = Math.max(eligible, Number(mark));
  }
  const protectedRow = db.all(`SELECT min(seq) AS s FROM ${CURSORS_TABLE} WHERE updated_ms >= ?`, [
    options.now - options.cursorTtlMs,
  ])[0]?.s;
  let limit = Math.min(eligible, maxSeq - 1);
  if (protectedRow !== null && protectedRow !== undefined) limit = Math.min(limit, Number(protectedRow));
  let deleted = 0;
  if (Number.isFinite(limit) && limit > 0) {
    deleted = db.run(`DELETE FROM ${CHANGE_LOG_TABLE} WHERE seq <= ?`, [limit]).changes;
    db.run(`DELETE FROM ${LOG_MARKS_TABLE} WHERE seq <= ? AND ts < ?`, [limit, options.now]);
  }
  db.run(`DELETE FROM ${CURSORS_TABLE} WHERE updated_ms < ?`, [options.now - options.cursorTtlMs]);
  const minSeq = Number(db.all(`SELECT coalesce(min(seq), 0) AS m FROM ${CHANGE_LOG_TABLE}`)[0]?.m ?? 0);
  return { deleted, minSeq };
}
