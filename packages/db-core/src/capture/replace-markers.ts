import { analyzeSqlCached, type Connection } from '../connection.ts';
import { analyzeSql } from '../sql-text.ts';
import { StatementCache } from '../statement-cache.ts';

const MARKS = 'liveframe_marks';
/** Statements that never write a table row themselves, whatever follows the keyword. */
const NEVER_WRITES = new Set([
  'SELECT',
  'VALUES',
  'BEGIN',
  'COMMIT',
  'END',
  'ROLLBACK',
  'SAVEPOINT',
  'RELEASE',
  'PRAGMA',
  'EXPLAIN',
  'CREATE',
  'DROP',
  'ALTER',
  'ANALYZE',
  'VACUUM',
  'ATTACH',
  'DETACH',
  'REINDEX',
]);

/**
 * Rows deleted to resolve a REPLACE conflict never reach SQLite's update hook (documented
 * behaviour), and with libSQL's defaults no trigger fires for them either. We cannot know which
 * rows, but we know which statements can: those with an `OR REPLACE`/`REPLACE INTO` policy (it
 * also overrides the policy of the statements in the triggers they fire), and those writing a
 * table declared with `ON CONFLICT REPLACE` or firing a trigger whose body uses REPLACE.
 *
 * For such a statement the writer first inserts one row per affected table into a TEMP marker
 * table, in the same transaction (an autocommit statement gets a transaction of its own), and the
 * capture turns the marker's update-hook event into `{ table, op: 'delete', rowid: null }`: "some
 * rows of this table may be gone". Being an ordinary write, the marker disappears with a rollback
 * or ROLLBACK TO, exactly like the rows it stands for. Which tables a statement writes comes from
 * the authorizer while preparing it (triggers included), once per SQL text.
 *
 * @example
 * writer.setWriteInterceptor((sql, execute, direct) => markers.intercept(sql, execute, direct));
 */
export class ReplaceMarkers {
  readonly #writer: Connection;
  readonly #ids = new Map<string, number>();
  readonly #names: string[] = [];
  readonly #plans = new StatementCache<readonly number[]>(512);
  #replaceTables: ReadonlySet<string> | undefined;
  #replaceTriggers: ReadonlySet<string> = new Set();

  constructor(writer: Connection) {
    this.#writer = writer;
  }

  setupSql(): string {
    return `CREATE TEMP TABLE IF NOT EXISTS ${MARKS}(id INTEGER PRIMARY KEY);`;
  }

  schemaChanged(): void {
    this.#replaceTables = undefined;
    this.#plans.clear();
  }

  /** The user table behind a marker event, or undefined for any other table. */
  tableOf(eventTable: string, rowid: number): string | undefined {
    return eventTable === `temp.${MARKS}` ? this.#names[rowid - 1] : undefined;
  }

  intercept<T>(sql: string, execute: () => T, direct: (sql: string) => void): T {
    const marks = this.#plan(sql);
    if (marks.length === 0) return execute();
    const own = !this.#writer.inTransaction;
    if (own) direct('BEGIN IMMEDIATE');
    try {
      const ids = marks.join(', ');
      direct(
        `DELETE FROM temp.${MARKS} WHERE id IN (${ids}); INSERT INTO temp.${MARKS}(id) VALUES (${marks.join('), (')})`,
      );
      const result = execute();
      if (own) direct('COMMIT');
      return result;
    } catch (error) {
      if (own && this.#writer.inTransaction) direct('ROLLBACK');
      throw error;
    }
  }

  /** Marker ids for the tables `sql` may delete rows from by REPLACE; empty for nearly everything. */
  #plan(sql: string): readonly number[] {
    const shape = analyzeSqlCached(sql);
    if (NEVER_WRITES.has(shape.firstKeyword)) return NONE;
    this.#loadSchema();
    if (!shape.mayReplace && this.#replaceTables!.size === 0 && this.#replaceTriggers.size === 0) return NONE;
    const cached = this.#plans.get(sql);
    if (cached !== undefined) return cached;
    const targets = this.#writer.writeTargets(sql) ?? [];
    const marks = new Set<number>();
    for (const { action, table, trigger } of targets) {
      if (action === 'DELETE' || table.startsWith('temp.')) continue;
      const replaces =
        shape.mayReplace ||
        this.#replaceTables!.has(table) ||
        (trigger !== null && this.#replaceTriggers.has(trigger));
      if (replaces) marks.add(this.#idOf(table));
    }
    const plan = [...marks].sort((a, b) => a - b);
    this.#plans.set(sql, plan);
    return plan;
  }

  #idOf(table: string): number {
    let id = this.#ids.get(table);
    if (id === undefined) {
      this.#names.push(table);
      id = this.#names.length;
      this.#ids.set(table, id);
    }
    return id;
  }

  #loadSchema(): void {
    if (this.#replaceTables !== undefined) return;
    const rows = this.#writer.all<{ type: string; name: string; sql: string | null }>(
      "SELECT type, name, sql FROM main.sqlite_schema WHERE type IN ('table', 'trigger') AND sql IS NOT NULL",
    );
    const tables = new Set<string>();
    const triggers = new Set<string>();
    for (const { type, name, sql } of rows) {
      if (type === 'table' && /\bON\s+CONFLICT\s+REPLACE\b/i.test(sql!)) tables.add(name);
      if (type === 'trigger' && analyzeSql(sql!).mayReplace) triggers.add(name);
    }
    this.#replaceTables = tables;
    this.#replaceTriggers = triggers;
  }
}

const NONE: readonly number[] = [];
