import { createHash } from 'node:crypto';
import { splitStatements } from '../sql-text.ts';
import { MigrationError } from './migration-error.ts';

/** One migration as an app gives it: a unique name and its SQL (one or more statements). */
export interface MigrationInput {
  readonly name: string;
  readonly sql: string;
}

/** A migration ready to apply: its statements and the hash recorded when it ran. */
export interface Migration {
  readonly name: string;
  /** sha256 (hex) of the SQL text with CRLF line ends read as LF (a Windows checkout is no change). */
  readonly hash: string;
  readonly statements: readonly string[];
}

/**
 * sha256 hex of the migration text, line ends normalised: what `_liveframe_migrations.hash` holds.
 * @example migrationHash(readFileSync('drizzle/0000_init.sql', 'utf8')) // 'a3f1…' (64 hex digits)
 */
export function migrationHash(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

/**
 * A migration from its text. `chunks` are drizzle-kit's `--> statement-breakpoint` pieces when
 * the source has them; each piece (or the whole text) is split into statements by db-core's SQL
 * lexer, which keeps CREATE TRIGGER bodies whole.
 */
export function toMigration(name: string, sql: string, chunks: readonly string[] = [sql]): Migration {
  const statements = chunks.flatMap((chunk) => splitStatements(chunk)).map((s) => s.trim());
  return { name, hash: migrationHash(sql), statements: statements.filter((s) => s !== '') };
}

/** An in-memory list, in the order given; names must be unique and non-empty. */
export function migrationsFromList(list: readonly MigrationInput[]): Migration[] {
  if (!Array.isArray(list)) {
    throw new MigrationError('MIGRATION_INVALID', 'migrations must be a list of { name, sql }');
  }
  const seen = new Set<string>();
  return list.map((entry, i) => {
    if (typeof entry?.name !== 'string' || entry.name === '' || typeof entry.sql !== 'string') {
      throw new MigrationError('MIGRATION_INVALID', `migration #${i + 1} needs a name and its sql text`);
    }
    if (seen.has(entry.name)) {
      throw new MigrationError('MIGRATION_INVALID', `two migrations are named ${entry.name}`, {
        migration: entry.name,
      });
    }
    seen.add(entry.name);
    return toMigration(entry.name, entry.sql);
  });
}
