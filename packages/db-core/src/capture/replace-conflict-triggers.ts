import type { SqlRunner } from './change-log.ts';

/** One column of a UNIQUE index key, as the index compares it. */
export interface UniqueKeyColumn {
  /** null for an expression (`CREATE UNIQUE INDEX … ON t(lower(email))`). */
  readonly name: string | null;
  /** The collation the index compares with (`BINARY` unless declared otherwise). */
  readonly collation: string;
  /** A generated column: its value derives from other columns, so `UPDATE OF` cannot name them. */
  readonly generated: boolean;
}

/** The key of one UNIQUE index of a rowid table other than the rowid itself. */
export interface UniqueKey {
  readonly index: string;
  readonly columns: readonly UniqueKeyColumn[];
  /** A partial index's WHERE (rows it does not cover never conflict); null when it has none. */
  readonly where: string | null;
}

/**
 * The UNIQUE keys a REPLACE can conflict on besides the rowid: UNIQUE constraints ('u'), a
 * PRIMARY KEY that is not the rowid ('pk'), CREATE UNIQUE INDEX ('c'). An INTEGER PRIMARY KEY
 * is the rowid and never listed here. Ordered by index name so the trigger text is stable.
 */
export function readUniqueKeys(db: SqlRunner, table: string): UniqueKey[] {
  return uniqueKeysFromRows(db.all(UNIQUE_KEYS_SQL, [table, table]));
}

/** The query behind {@link readUniqueKeys}; binds the table name twice. */
export const UNIQUE_KEYS_SQL = `SELECT il.name AS idx, ix.name AS col, ix.coll AS coll, coalesce(tx.hidden, 0) AS hidden,
            CASE WHEN il.partial = 1 THEN s.sql END AS sql
       FROM pragma_index_list(?) AS il
       JOIN pragma_index_xinfo(il.name) AS ix
       LEFT JOIN pragma_table_xinfo(?) AS tx ON tx.name = ix.name
       LEFT JOIN sqlite_schema AS s ON s.type = 'index' AND s.name = il.name
      WHERE il."unique" = 1 AND ix."key" = 1
      ORDER BY il.name, ix.seqno`;

/** The rows of {@link UNIQUE_KEYS_SQL} as keys (split out so an async runner can read them too). */
export function uniqueKeysFromRows(rows: readonly Record<string, unknown>[]): UniqueKey[] {
  const keys = new Map<string, { columns: UniqueKeyColumn[]; where: string | null }>();
  for (const row of rows) {
    const index = String(row.idx);
    let key = keys.get(index);
    if (key === undefined) {
      key = { columns: [], where: typeof row.sql === 'string' ? partialWhere(row.sql) : null };
      keys.set(index, key);
    }
    key.columns.push({
      name: row.col === null || row.col === undefined ? null : String(row.col),
      collation: String(row.coll ?? 'BINARY'),
      // 2: VIRTUAL, 3: STORED generated column.
      generated: Number(row.hidden) === 2 || Number(row.hidden) === 3,
    });
  }
  return [...keys].map(([index, key]) => ({ index, ...key }));
}

/**
 * The WHERE of `CREATE UNIQUE INDEX … ON t(…) WHERE expr`: whatever follows the column list's
 * closing parenthesis (found skipping quoted names, strings and comments). Without it the
 * conflict lookup could not use the partial index and would scan the table on every write; when
 * the text is not understood, null (a superset of the conflicting rows, still correct).
 */
export function partialWhere(sql: string): string | null {
  let depth = 0;
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i]!;
    const close = ch === "'" || ch === '"' || ch === '`' ? ch : ch === '[' ? ']' : null;
    if (close !== null) {
      // A doubled quote inside a quoted run is an escaped quote: scanning on finds the real end.
      const end = sql.indexOf(close, i + 1);
      if (end < 0) return null;
      i = end;
    } else if (ch === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      if (end < 0) return null;
      i = end;
    } else if (ch === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) return null;
      i = end + 1;
    } else if (ch === '(') {
      depth += 1;
    } else if (ch === ')') {
      depth -= 1;
      if (depth === 0) {
        const rest = sql.slice(i + 1).replace(/^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/, '');
        const match = /^WHERE\b([\s\S]+)$/i.exec(rest);
        const where = match?.[1]?.trim();
        // A comment inside it could swallow what the trigger puts after it: not worth the risk.
        return where === undefined || /--|\/\*/.test(where) ? null : where;
      }
    }
  }
  return null;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * `COLLATE` on the NEW side takes precedence over the column's declared collation, so the
 * comparison is the index's own. BINARY is left out: BINARY equality implies equality under the
 * column's collation, so at worst a row that does not conflict is logged as deleted (harmless).
 */
function equals(column: string, collation: string): string {
  const c = quoteIdent(column);
  if (collation.toUpperCase() === 'BINARY') return `${c} = NEW.${c}`;
  const coll = /^[A-Za-z_][A-Za-z0-9_]*$/.test(collation) ? collation : quoteIdent(collation);
  return `${c} = NEW.${c} COLLATE ${coll}`;
}

/**
 * BEFORE INSERT / BEFORE UPDATE statements that log, as deletes, the rows a REPLACE conflict on
 * a UNIQUE key would remove (those deletions fire no DELETE trigger while recursive_triggers is
 * off, libSQL's default). Empty when the table has no such key.
 *
 * - A key of plain columns: every existing row whose key equals the new row's is logged by rowid
 *   (`=` never matches NULL, and NULLs never conflict). A partial index's WHERE is ignored: a
 *   superset of the conflicting rows.
 * - A key with an expression: which rows conflict cannot be told from column values, so one
 *   table-level delete (rid NULL, which every reader treats as "any row") is logged whenever a row
 *   agrees on the key's plain columns (any row at all when there are none).
 *
 * The trigger cannot see the statement's conflict policy, so INSERT OR IGNORE, UPSERT and the
 * failing row of INSERT OR FAIL log a delete that did not happen: an extra invalidation, never a
 * miss. A plain INSERT/UPDATE that fails on the key aborts the statement and its log rows.
 */
export function replaceConflictStatements(
  table: string,
  keys: readonly UniqueKey[],
  log: string,
): { insert: string; update: string; updateOf: readonly string[] | null } | null {
  if (keys.length === 0) return null;
  const t = quoteIdent(table);
  const exact = new Set<string>();
  const inexact = new Set<string>();
  const columns = new Set<string>();
  let anyColumnMayChange = false;
  for (const key of keys) {
    const plain = key.columns.flatMap((c) => (c.name === null ? [] : [equals(c.name, c.collation)]));
    if (key.where !== null) plain.push(`(${key.where})`);
    const hasExpression = key.columns.some((c) => c.name === null);
    if (hasExpression || key.columns.some((c) => c.generated)) anyColumnMayChange = true;
    for (const c of key.columns) if (c.name !== null) columns.add(c.name);
    if (hasExpression) inexact.add(plain.join(' AND '));
    else exact.add(`(${plain.join(' AND ')})`);
  }
  const build = (exceptOld: boolean) => {
    const notSelf = exceptOld ? ' AND rowid <> OLD.rowid' : '';
    const parts: string[] = [];
    if (exact.size > 0) {
      const where = exact.size === 1 ? [...exact][0]! : `(${[...exact].join(' OR ')})`;
      parts.push(`${log} SELECT ${quoteText(table)}, 3, rowid FROM ${t} WHERE ${where}${notSelf};`);
    }
    for (const where of inexact) {
      const cond = where === '' ? (exceptOld ? 'rowid <> OLD.rowid' : '1') : `${where}${notSelf}`;
      parts.push(
        `${log} SELECT ${quoteText(table)}, 3, NULL WHERE EXISTS (SELECT 1 FROM ${t} WHERE ${cond});`,
      );
    }
    return parts.join(' ');
  };
  // UPDATE OF keeps the trigger off updates that cannot change a key; an expression or generated
  // column depends on columns we do not know, so then every UPDATE fires it.
  return {
    insert: build(false),
    update: build(true),
    updateOf: anyColumnMayChange ? null : [...columns].sort(),
  };
}

function quoteText(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
