import type { Connection } from '../connection.ts';
import type { ColumnarChanges } from '../replica/protocol.ts';
import type { BindParams } from '../values.ts';
import { CHANGE_LOG_TABLE, isCapturedTable, planTriggers } from './change-log.ts';

export type LogReadResult =
  | { readonly kind: 'changes'; readonly changes: ColumnarChanges | null }
  | { readonly kind: 'refetch-all'; readonly reason: string };

/**
 * Reads the replicated change log on a local connection, right after a sync (so what it reads
 * is exactly what that sync brought in), and watches the schema version. Keeps the cursor: the
 * seq of the last row handed out.
 */
export class ChangeLogReader {
  readonly #conn: Connection;
  #cursor = 0;
  #installed = false;
  #schemaVersion: number;
  #tables: Map<string, string>;

  constructor(conn: Connection) {
    this.#conn = conn;
    this.#schemaVersion = this.#readSchemaVersion();
    this.#tables = this.#readTables();
    this.#installed = this.#tables.has(CHANGE_LOG_TABLE);
    this.#cursor = this.#installed ? this.#maxSeq() : 0;
  }

  get cursor(): number {
    return this.#cursor;
  }

  get installed(): boolean {
    return this.#installed;
  }

  /** Forget what was not read yet (after a refetch-all): continue from the newest row. */
  skipToEnd(): void {
    this.#installed = this.#tables.has(CHANGE_LOG_TABLE);
    this.#cursor = this.#installed ? this.#maxSeq() : 0;
  }

  /** Tables created, dropped or altered since the last call; null when the schema did not change. */
  schemaChanges(): string[] | null {
    const version = this.#readSchemaVersion();
    if (version === this.#schemaVersion) return null;
    this.#schemaVersion = version;
    this.#conn.invalidateStatements();
    const before = this.#tables;
    const after = this.#readTables();
    this.#tables = after;
    const changed = new Set<string>();
    for (const [name, sql] of after) if (before.get(name) !== sql) changed.add(name);
    for (const name of before.keys()) if (!after.has(name)) changed.add(name);
    const wasInstalled = this.#installed;
    this.#installed = after.has(CHANGE_LOG_TABLE);
    if (this.#installed && !wasInstalled) this.#cursor = 0;
    return [...changed].filter(isCapturedTable).sort();
  }

  /**
   * The trigger changes the current schema needs (tables created after the install, UNIQUE keys
   * added or dropped since: their REPLACE-conflict triggers), as a stable signature, or null
   * when the installed triggers are exactly the desired ones.
   */
  triggerPlanSignature(): string | null {
    if (!this.#installed) return null;
    const plan = planTriggers({
      all: (sql, args) => this.#conn.all(sql, args as BindParams | undefined),
      run: () => {
        throw new Error('planning triggers never writes');
      },
    });
    if (plan.create.length === 0 && plan.drop.length === 0) return null;
    return JSON.stringify([plan.create, plan.drop]);
  }

  /** Rows past the cursor as one columnar batch. */
  read(): LogReadResult {
    if (!this.#installed) return { kind: 'refetch-all', reason: 'change log not installed on the primary' };
    const rows = this.#conn.values(
      `SELECT seq, tbl, op, rid FROM ${CHANGE_LOG_TABLE} WHERE seq > ? ORDER BY seq`,
      [this.#cursor],
    );
    if (rows.length === 0) {
      // Everything after the cursor was compacted away, including what this replica never read.
      if (this.#maxSeq() < this.#cursor) {
        this.skipToEnd();
        return { kind: 'refetch-all', reason: 'change log sequence went backwards' };
      }
      return { kind: 'changes', changes: null };
    }
    const first = Number(rows[0]![0]);
    if (first !== this.#cursor + 1 && this.#cursor !== 0) {
      this.#cursor = Number(rows[rows.length - 1]![0]);
      return { kind: 'refetch-all', reason: 'change log compacted past this replica’s cursor' };
    }
    const tables: string[] = [];
    const index = new Map<string, number>();
    const tableIndex = new Uint32Array(rows.length);
    const ops = new Uint8Array(rows.length);
    const rowids = new Float64Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const name = String(row[1]);
      let t = index.get(name);
      if (t === undefined) {
        t = tables.length;
        tables.push(name);
        index.set(name, t);
      }
      tableIndex[i] = t;
      ops[i] = Number(row[2]);
      // values() reads with safe integers: a rowid beyond 2^53 arrives as a bigint and becomes
      // unknown (a table-level change), never a rounded number that names another row.
      const rid = row[3];
      rowids[i] = typeof rid === 'number' && Number.isSafeInteger(rid) ? rid : Number.NaN;
    }
    this.#cursor = Number(rows[rows.length - 1]![0]);
    return { kind: 'changes', changes: { firstSeq: first, tables, tableIndex, ops, rowids } };
  }

  #maxSeq(): number {
    return Number(this.#conn.values(`SELECT coalesce(max(seq), 0) FROM ${CHANGE_LOG_TABLE}`)[0]?.[0] ?? 0);
  }

  #readSchemaVersion(): number {
    return Number(this.#conn.values('PRAGMA schema_version')[0]?.[0] ?? 0);
  }

  #readTables(): Map<string, string> {
    const out = new Map<string, string>();
    for (const row of this.#conn.values(
      "SELECT name, sql FROM sqlite_schema WHERE type IN ('table', 'view')",
    )) {
      out.set(String(row[0]), String(row[1]));
    }
    return out;
  }
}
