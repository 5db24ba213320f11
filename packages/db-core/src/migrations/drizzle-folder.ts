import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Migration, toMigration } from './migration.ts';
import { MigrationError } from './migration-error.ts';

/** drizzle-kit's separator between the statements of one generated migration. */
export const STATEMENT_BREAKPOINT = '--> statement-breakpoint';

interface JournalEntry {
  readonly tag: string;
  readonly breakpoints?: boolean;
}

/**
 * A drizzle-kit generated folder (`drizzle-kit generate`): `meta/_journal.json` lists the
 * migrations in order, each `<tag>.sql` holds its statements separated by
 * `--> statement-breakpoint` (read as drizzle-orm's own migrator reads them). The tag is the
 * migration's name.
 */
export async function readDrizzleFolder(folder: string): Promise<Migration[]> {
  const journalPath = join(folder, 'meta', '_journal.json');
  let entries: readonly JournalEntry[];
  try {
    const journal = JSON.parse(await readFile(journalPath, 'utf8')) as { entries?: unknown };
    if (!Array.isArray(journal.entries)) throw new Error('no entries list');
    entries = journal.entries as JournalEntry[];
  } catch (error) {
    throw new MigrationError('MIGRATION_INVALID', `cannot read the drizzle-kit journal ${journalPath}`, {
      cause: error,
    });
  }
  const migrations: Migration[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    if (typeof entry?.tag !== 'string' || entry.tag === '' || seen.has(entry.tag)) {
      throw new MigrationError('MIGRATION_INVALID', `${journalPath} has a missing or repeated tag`);
    }
    seen.add(entry.tag);
    const file = join(folder, `${entry.tag}.sql`);
    let sql: string;
    try {
      sql = await readFile(file, 'utf8');
    } catch (error) {
      throw new MigrationError(
        'MIGRATION_INVALID',
        `the journal lists ${entry.tag} but ${file} cannot be read`,
        {
          migration: entry.tag,
          cause: error,
        },
      );
    }
    migrations.push(toMigration(entry.tag, sql, sql.split(STATEMENT_BREAKPOINT)));
  }
  return migrations;
}
