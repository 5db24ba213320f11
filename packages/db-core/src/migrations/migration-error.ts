import { DbError, type DbErrorCode } from '../errors.ts';

export type MigrationErrorCode = Extract<
  DbErrorCode,
  'MIGRATION_CHANGED' | 'MIGRATION_FAILED' | 'MIGRATION_INVALID' | 'MIGRATION_LOCK_TIMEOUT'
>;

/**
 * What `migrate` throws: a {@link DbError} (house rule 2: one error type per layer) that also
 * names the migration and, for MIGRATION_FAILED, the statement (1-based, with its SQL in `sql`);
 * the engine's error is the `cause`.
 *
 * @example
 * try { await migrate(db, { folder: './drizzle' }) } catch (e) {
 *   if (e instanceof MigrationError && e.code === 'MIGRATION_FAILED') console.error(e.migration, e.statement, e.sql);
 * }
 */
export class MigrationError extends DbError {
  /** The migration's name (drizzle-kit: its tag; a folder of .sql files: the file name). */
  readonly migration: string | undefined;
  /** MIGRATION_FAILED: which statement of the migration failed, counting from 1. */
  readonly statement: number | undefined;

  constructor(
    code: MigrationErrorCode,
    message: string,
    options: {
      migration?: string;
      statement?: number;
      sql?: string;
      cause?: unknown;
      sqliteCode?: string;
    } = {},
  ) {
    super(code, message, { sql: options.sql, cause: options.cause, sqliteCode: options.sqliteCode });
    this.migration = options.migration;
    this.statement = options.statement;
  }
}
