import type { Connection } from '../connection.ts';

const PREFIX = 'liveframe_moved_';

/**
 * SQLite's update hook reports an UPDATE that changes a row's rowid (`SET id = 7` on an INTEGER
 * PRIMARY KEY, or `SET rowid = 7`) under the NEW rowid only; a live query on the old rowid would
 * never hear of it. One TEMP trigger per rowid table on the writer inserts the old rowid into a
 * TEMP table of the same number (and deletes it again at once, so the table stays empty); the
 * update hook reports that insert under the old rowid, inside the same transaction, so
 * ROLLBACK and ROLLBACK TO discard it like any other event.
 *
 * `UPDATE OF` keeps the trigger off every UPDATE that does not name a rowid column, so ordinary
 * updates pay nothing. TEMP objects live on the writer connection only and are rebuilt after
 * every schema change (table names are resolved at rebuild time: a table renamed inside the same
 * transaction as a rowid move reports the move under its previous name, next to the schema event).
 *
 * @example
 * writer.exec(moves.rebuildSql(writer)); // after open and after every schema change
 * moves.tableOf('temp.liveframe_moved_3'); // 'todo'
 */
export class RowidMoveTriggers {
  #tables: string[] = [];
  #existing: { type: string; name: string }[] = [];

  /** A script that drops our previous TEMP objects and creates them for the current tables. */
  rebuildSql(writer: Connection): string {
    const existing = writer.all<{ type: string; name: string }>(
      "SELECT type, name FROM temp.sqlite_schema WHERE name LIKE 'liveframe\\_moved\\_%' ESCAPE '\\' AND type IN ('table', 'trigger')",
    );
    this.#existing = existing;
    const tables = writer.all<{ name: string }>(
      "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND wr = 0 " +
        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE 'libsql\\_%' ESCAPE '\\' ORDER BY name",
    );
    this.#tables = tables.map((t) => t.name);
    const parts = ['BEGIN;'];
    for (const { type, name } of this.#existing) {
      parts.push(`DROP ${type === 'trigger' ? 'TRIGGER' : 'TABLE'} IF EXISTS temp.${quote(name)};`);
    }
    this.#tables.forEach((table, i) => {
      const pk = writer.all<{ name: string }>(
        "SELECT name FROM pragma_table_info(?) WHERE pk = 1 AND upper(type) = 'INTEGER'",
        [table],
      );
      const columns = [...pk.map((c) => quote(c.name)), 'rowid', 'oid', '_rowid_'].join(', ');
      const temp = quote(`${PREFIX}${i}`);
      parts.push(
        `CREATE TEMP TABLE ${temp}(x);`,
        `CREATE TEMP TRIGGER ${temp} AFTER UPDATE OF ${columns} ON main.${quote(table)} ` +
          `WHEN OLD.rowid IS NOT NEW.rowid BEGIN INSERT INTO ${temp}(rowid) VALUES (OLD.rowid); DELETE FROM ${temp}; END;`,
      );
    });
    parts.push('COMMIT;');
    return parts.join('\n');
  }

  /** The user table a `temp.liveframe_moved_N` event belongs to. */
  tableOf(eventTable: string): string | undefined {
    const prefix = `temp.${PREFIX}`;
    if (!eventTable.startsWith(prefix)) return undefined;
    return this.#tables[Number(eventTable.slice(prefix.length))];
  }
}

export function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
