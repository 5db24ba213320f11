import { applyChangeLogSchemaAsync } from '../capture/change-log.ts';
import type { Database } from '../database.ts';
import type { Transaction } from '../driver.ts';
import { DbError, isDbError } from '../errors.ts';
import type { FramePosition } from '../position.ts';
import type { Migration } from './migration.ts';
import { MigrationError } from './migration-error.ts';
import { loadMigrations, type MigrationsSource } from './migration-source.ts';
import { type AppliedRecord, readRecords, readRecordsLocally, recordApplied } from './migrations-table.ts';

export interface MigrateOptions {
  /**
   * How long to keep trying to take the write lock while another writer (another server
   * migrating) holds it; then MIGRATION_LOCK_TIMEOUT. Default 60 s.
   */
  readonly lockTimeoutMs?: number;
  /**
   * Replica mode: bring the replicated change log's triggers in line with the new schema inside
   * the migration's own transaction (what `installChangeLog()` does), so tables it creates or
   * rebuilds are captured from the commit on. Default true; local mode has no change log.
   */
  readonly changeLog?: boolean;
}

export interface AppliedMigration {
  readonly name: string;
  readonly hash: string;
  /** Statements it ran. */
  readonly statements: number;
}

export interface MigrateResult {
  /** What this call applied, in order (empty when everything was applied already). */
  readonly applied: readonly AppliedMigration[];
  /** Migrations of the source found applied already. */
  readonly alreadyApplied: number;
  /**
   * Names recorded as applied that the source does not have (a newer server migrated this
   * database, or a migration was deleted): left alone, reported.
   */
  readonly unknown: readonly string[];
  /** The position of the commit that applied them; null when nothing was written. */
  readonly position: FramePosition | null;
  /** How long the write lock took to get (another server migrating); 0 when none was needed. */
  readonly lockWaitMs: number;
  readonly durationMs: number;
  /** Replica mode: the change-log triggers the transaction created and dropped; null otherwise. */
  readonly changeLog: {
    readonly tables: readonly string[];
    readonly created: number;
    readonly dropped: number;
  } | null;
}

const DEFAULT_LOCK_TIMEOUT_MS = 60_000;

interface Plan {
  readonly pending: readonly Migration[];
  readonly alreadyApplied: number;
  readonly unknown: readonly string[];
}

/** Compares the source with what ran; a recorded migration whose text changed is an error. */
function planFor(migrations: readonly Migration[], records: readonly AppliedRecord[]): Plan {
  const recorded = new Map(records.map((r) => [r.name, r]));
  const changed = migrations.filter((m) => {
    const record = recorded.get(m.name);
    return record !== undefined && record.hash !== m.hash;
  });
  const first = changed[0];
  if (first !== undefined) {
    throw new MigrationError(
      'MIGRATION_CHANGED',
      `migration ${changed.map((m) => m.name).join(', ')} changed after it was applied ` +
        `(recorded sha256 ${recorded.get(first.name)?.hash.slice(0, 12)}…, now ${first.hash.slice(0, 12)}…); ` +
        'restore its applied text and put the change in a new migration',
      { migration: first.name },
    );
  }
  const names = new Set(migrations.map((m) => m.name));
  const pending = migrations.filter((m) => !recorded.has(m.name));
  return {
    pending,
    alreadyApplied: migrations.length - pending.length,
    unknown: records.filter((r) => !names.has(r.name)).map((r) => r.name),
  };
}

async function runMigration(tx: Transaction, migration: Migration): Promise<void> {
  for (let i = 0; i < migration.statements.length; i++) {
    const sql = migration.statements[i]!;
    try {
      await tx.run(sql);
    } catch (error) {
      // Lost the lock race after all: the whole run is retried, nothing of it committed.
      if (isDbError(error, 'BUSY') || isDbError(error, 'BUSY_SNAPSHOT')) throw error;
      const cause = error instanceof Error ? error.message.replace(/ \(SQL: .*\)$/s, '') : String(error);
      throw new MigrationError(
        'MIGRATION_FAILED',
        `migration ${migration.name} failed at statement ${i + 1} of ${migration.statements.length}: ${cause}; nothing of this run was applied${foreignKeyHint(cause, sql)}`,
        {
          migration: migration.name,
          statement: i + 1,
          sql,
          cause: error,
          ...(isDbError(error) && error.sqliteCode !== undefined ? { sqliteCode: error.sqliteCode } : {}),
        },
      );
    }
  }
}

const FOREIGN_KEYS_OFF = /^PRAGMA\s+foreign_keys\s*=\s*(OFF|0|FALSE|NO)\s*;?$/i;

/** A statement's text without the comments before it (drizzle-kit's breakpoints are comments). */
function leadingCode(sql: string): string {
  return sql.replace(/^(\s*(--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/))*/, '').trim();
}

function isForeignKeysOff(sql: string): boolean {
  return FOREIGN_KEYS_OFF.test(leadingCode(sql));
}

/**
 * Foreign keys are enforced on db-core's and sqld's connections: dropping a table other tables
 * reference fails unless the migration turns enforcement off the way drizzle-kit's rebuilds do.
 */
function foreignKeyHint(cause: string, sql: string): string {
  if (!/FOREIGN KEY constraint failed/i.test(cause) || !/^DROP\s+TABLE/i.test(leadingCode(sql))) return '';
  return (
    ' (other tables reference the dropped table: put `PRAGMA foreign_keys=OFF;` in the migration, as' +
    ' drizzle-kit does for rebuilds, to run it with enforcement off and checked before the commit)'
  );
}

/** With enforcement off, what SQLite would have refused is looked for before the commit. */
async function checkForeignKeys(tx: Transaction, applied: readonly AppliedMigration[]): Promise<void> {
  const violations = await tx.all<{ table: string; rowid: number | null; parent: string }>(
    'PRAGMA foreign_key_check',
  );
  const first = violations[0];
  if (first === undefined) return;
  const last = applied[applied.length - 1]!;
  throw new MigrationError(
    'MIGRATION_FAILED',
    `migration ${applied.map((m) => m.name).join(', ')} left ${violations.length} foreign-key violation` +
      `${violations.length === 1 ? '' : 's'} (first: ${first.table} rowid ${String(first.rowid)} ` +
      `references a missing ${first.parent} row); nothing of this run was applied`,
    { migration: last.name, sql: 'PRAGMA foreign_key_check' },
  );
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Applies the migrations of `source` that this database has not run yet, in order, all in ONE
 * write transaction (IMMEDIATE: the write lock is taken before the migrations table is read),
 * recording each in `_liveframe_migrations` (name, sha256, applied_at). Replica mode runs it on
 * the primary and, in the same transaction, installs change-log triggers for new or rebuilt
 * tables. Several servers starting at once migrate exactly once: the others wait for the lock,
 * then find nothing to do (SQLITE_BUSY is retried until `lockTimeoutMs`).
 *
 * Throws a {@link MigrationError}: MIGRATION_CHANGED when an applied migration's text changed,
 * MIGRATION_FAILED (naming the migration and statement) when a statement fails — everything the
 * run applied is rolled back —, MIGRATION_INVALID for an unreadable source,
 * MIGRATION_LOCK_TIMEOUT.
 *
 * @example
 * const { applied } = await migrate(db, { folder: './drizzle' }); // drizzle-kit generate's output
 * await migrate(db, { migrations: [{ name: '0001_todos', sql: 'CREATE TABLE todos (id INTEGER PRIMARY KEY, title TEXT)' }] });
 */
export async function migrate(
  db: Database,
  options: MigrationsSource & MigrateOptions,
): Promise<MigrateResult> {
  const started = performance.now();
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  if (typeof lockTimeoutMs !== 'number' || !Number.isFinite(lockTimeoutMs) || lockTimeoutMs <= 0) {
    throw new DbError(
      'INVALID_OPTIONS',
      `lockTimeoutMs must be a positive number, got ${String(lockTimeoutMs)}`,
    );
  }
  const migrations = await loadMigrations(options);
  const withChangeLog = db.mode === 'replica' && !db.frozen && options.changeLog !== false;

  // Without a lock first: a database that has everything (the usual restart) costs no write.
  const local = planFor(
    migrations,
    readRecordsLocally((sql) => db.all(sql)),
  );
  if (local.pending.length === 0) {
    return {
      applied: [],
      alreadyApplied: local.alreadyApplied,
      unknown: local.unknown,
      position: null,
      lockWaitMs: 0,
      durationMs: performance.now() - started,
      changeLog: null,
    };
  }

  // drizzle-kit's table rebuilds say `PRAGMA foreign_keys=OFF`, which SQLite ignores inside the
  // transaction: honoured around it instead, with a foreign-key check before the commit. The
  // local plan's pending set is a superset of the one under the lock (the record only grows).
  const foreignKeysOff = local.pending.some((m) => m.statements.some(isForeignKeysOff));
  const deadline = Date.now() + lockTimeoutMs;
  const lockStart = performance.now();
  for (let attempt = 0; ; attempt++) {
    let lockWaitMs = 0;
    try {
      const { value, position } = await db.transaction(
        async (tx) => {
          // The first statement takes the lock (sqld holds it back until the holder commits).
          const records = await readRecords(tx);
          lockWaitMs = performance.now() - lockStart;
          const plan = planFor(migrations, records);
          const applied: AppliedMigration[] = [];
          const appliedAt = Date.now();
          for (const migration of plan.pending) {
            await runMigration(tx, migration);
            await recordApplied(tx, migration.name, migration.hash, appliedAt);
            applied.push({
              name: migration.name,
              hash: migration.hash,
              statements: migration.statements.length,
            });
          }
          if (foreignKeysOff && applied.length > 0) await checkForeignKeys(tx, applied);
          const changeLog =
            withChangeLog && applied.length > 0
              ? await applyChangeLogSchemaAsync({
                  all: (sql, args) => tx.all(sql, args),
                  run: (sql, args) => tx.run(sql, args),
                })
              : null;
          return { plan, applied, changeLog };
        },
        { behavior: 'immediate', ...(foreignKeysOff ? { foreignKeys: false } : {}) },
      );
      return {
        applied: value.applied,
        alreadyApplied: value.plan.alreadyApplied,
        unknown: value.plan.unknown,
        position: value.applied.length > 0 ? position : null,
        lockWaitMs,
        durationMs: performance.now() - started,
        changeLog: value.changeLog,
      };
    } catch (error) {
      const busy = isDbError(error, 'BUSY') || isDbError(error, 'BUSY_SNAPSHOT');
      if (!busy) throw error;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new MigrationError(
          'MIGRATION_LOCK_TIMEOUT',
          `could not take the write lock to migrate within ${lockTimeoutMs} ms (${attempt + 1} attempts)`,
          { cause: error },
        );
      }
      // Bounded backoff with jitter: servers that collided do not collide again in step.
      const pause = Math.min(left, Math.min(1000, 20 * 2 ** attempt) * (0.5 + Math.random() / 2));
      await sleep(pause);
    }
  }
}
