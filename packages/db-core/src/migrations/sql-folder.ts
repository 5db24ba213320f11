import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Migration, toMigration } from './migration.ts';
import { MigrationError } from './migration-error.ts';

/**
 * A folder of plain `.sql` files, applied in file-name order (compared by code point, so
 * `0002_x.sql` sorts before `0010_y.sql` only when the numbers are zero-padded alike). The file
 * name is the migration's name; other files and subfolders are ignored.
 */
export async function readSqlFolder(folder: string): Promise<Migration[]> {
  let names: string[];
  try {
    const entries = await readdir(folder, { withFileTypes: true });
    names = entries.filter((e) => e.isFile() && e.name.endsWith('.sql')).map((e) => e.name);
  } catch (error) {
    throw new MigrationError('MIGRATION_INVALID', `cannot read the migrations folder ${folder}`, {
      cause: error,
    });
  }
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const migrations: Migration[] = [];
  for (const name of names) migrations.push(toMigration(name, await readFile(join(folder, name), 'utf8')));
  return migrations;
}
