import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readDrizzleFolder } from './drizzle-folder.ts';
import { type Migration, type MigrationInput, migrationsFromList } from './migration.ts';
import { MigrationError } from './migration-error.ts';
import { readSqlFolder } from './sql-folder.ts';

/**
 * Where migrations come from:
 * - `{ folder }`: a drizzle-kit output folder when it has `meta/_journal.json` (journal order),
 *   otherwise a folder of plain `.sql` files (name order); `format` forces one reading;
 * - `{ migrations }`: an in-memory list of `{ name, sql }`, in the order given.
 */
export type MigrationsSource =
  | { readonly folder: string; readonly format?: 'drizzle' | 'sql' }
  | { readonly migrations: readonly MigrationInput[] };

/**
 * The migrations of a source, in the order they apply (what `migrate` would consider).
 * @example (await loadMigrations({ folder: './drizzle' })).map((m) => m.name) // ['0000_init', '0001_add_pinned']
 */
export async function loadMigrations(source: MigrationsSource): Promise<Migration[]> {
  if ('migrations' in source && source.migrations !== undefined) return migrationsFromList(source.migrations);
  if (!('folder' in source) || typeof source.folder !== 'string' || source.folder === '') {
    throw new MigrationError(
      'MIGRATION_INVALID',
      'give migrations as { folder } or { migrations: [{ name, sql }] }',
    );
  }
  const format =
    source.format ?? (existsSync(join(source.folder, 'meta', '_journal.json')) ? 'drizzle' : 'sql');
  return format === 'drizzle' ? readDrizzleFolder(source.folder) : readSqlFolder(source.folder);
}
