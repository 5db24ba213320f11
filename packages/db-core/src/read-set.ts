import type { Connection } from './connection.ts';
import { DbError } from './errors.ts';
import type { ParameterInfo } from './sql-text.ts';
import type { BindParams, SqlValue } from './values.ts';

/** Which rows of one table a statement can depend on (mirrors `@liveframe/reactive`'s RowFilter). */
export type RowFilter =
  | { readonly kind: 'all' }
  | { readonly kind: 'rowids'; readonly rowids: ReadonlySet<number> };

/** Tables (lower-cased) a statement reads or writes, learned from the engine's own plan. */
export interface ReadSet {
  readonly tables: ReadonlyMap<string, RowFilter>;
}

type RowidKey = { readonly param: number } | { readonly literal: number };
type TablePlan = { readonly kind: 'all' } | { readonly kind: 'rowids'; readonly keys: readonly RowidKey[] };

interface Plan {
  readonly schemaVersion: number;
  readonly tables: ReadonlyMap<string, TablePlan>;
  readonly parameters: ParameterInfo;
}

interface ExplainRow {
  addr: number;
  opcode: string;
  p1: number;
  p2: number;
  p3: number;
  p4: SqlValue;
}

/**
 * Opcodes a table cursor may see while still reading only the rows SeekRowid/NotExists landed
 * on. Any other use of the cursor (Rewind, Next, Seek*, a DeferredSeek from an index...) means
 * a scan or an index-driven visit, so the table falls back to `all`.
 */
const POINT_SAFE = new Set([
  'OpenRead',
  'SeekRowid',
  'NotExists',
  'Column',
  'Rowid',
  'Close',
  'NullRow',
  'IfNullRow',
]);
/** Opcodes whose p1 is a cursor (for the rest p1 is a register or a constant). */
const CURSOR_OPCODE =
  /^(Open|Column|Rowid|Rewind|Last|Next|Prev|Seek|NotExists|Found|NotFound|NoConflict|Idx|DeferredSeek|FinishSeek|Delete|Insert|NewRowid|NullRow|Close|Sort|Sorter|IfNullRow|RowData|Count|Sequence|ColumnsUsed|IfNoHope|IfNotOpen|IfEmpty|Reset)/;
/** Ops that may sit between loading a key register and seeking with it without changing it. */
const KEY_PASSTHROUGH = new Set(['MustBeInt', 'Affinity', 'IsNull', 'NotNull', 'Noop']);

/**
 * Computes read-sets from `EXPLAIN`: OpenRead/OpenWrite root pages (p2) mapped through
 * sqlite_schema (indexes through tbl_name), trigger sub-programs included. A table visited only
 * through SeekRowid with a key loaded from a bound parameter or a literal becomes a rowid
 * filter; everything else is `all`, which is always correct. Plans are cached per SQL text and
 * dropped when `PRAGMA schema_version` moves.
 *
 * @example
 * const rs = new ReadSetAnalyzer(conn).readSet('SELECT * FROM users WHERE id = ?', [7]);
 * rs.tables.get('users'); // { kind: 'rowids', rowids: Set { 7 } }
 */
export class ReadSetAnalyzer {
  readonly #conn: () => Connection;
  readonly #planner: (<T>(fn: (conn: Connection) => T) => T) | undefined;
  readonly #plans = new Map<string, Plan>();

  /**
   * `planner`, when given, lends a connection used for EXPLAIN only: libsql leaves a finished
   * EXPLAIN statement in progress, which pins the read snapshot of its connection (later reads
   * there miss newer commits) and makes a COMMIT on it fail. The lent connection is closed after.
   */
  constructor(connection: () => Connection, planner?: <T>(fn: (conn: Connection) => T) => T) {
    this.#conn = connection;
    this.#planner = planner;
  }

  readSet(sql: string, params?: BindParams): ReadSet {
    const conn = this.#conn();
    const schemaVersion = Number(conn.get('PRAGMA schema_version')?.schema_version ?? 0);
    let plan = this.#plans.get(sql);
    if (plan === undefined || plan.schemaVersion !== schemaVersion) {
      plan =
        this.#planner === undefined
          ? this.#plan(conn, sql, schemaVersion)
          : this.#planner((planConn) => this.#plan(planConn, sql, schemaVersion));
      if (this.#plans.size > 1000) this.#plans.clear();
      this.#plans.set(sql, plan);
    }
    const tables = new Map<string, RowFilter>();
    for (const [table, tablePlan] of plan.tables) {
      if (tablePlan.kind === 'all') {
        tables.set(table, ALL);
        continue;
      }
      const rowids = new Set<number>();
      let exact = true;
      for (const key of tablePlan.keys) {
        const value = 'literal' in key ? key.literal : paramValue(params, plan.parameters, key.param);
        const rowid = toRowid(value);
        if (rowid === undefined) exact = false;
        else rowids.add(rowid);
      }
      tables.set(table, exact ? { kind: 'rowids', rowids } : ALL);
    }
    return { tables };
  }

  #plan(conn: Connection, sql: string, schemaVersion: number): Plan {
    // Reading sqlite_schema first makes a connection with a stale schema cache reload it;
    // EXPLAIN itself never checks the schema cookie and would describe the old schema.
    const roots = rootPages(conn);
    const parameters = conn.parameters(sql);
    const placeholders: BindParams =
      parameters.hasNamed && !parameters.hasAnonymous
        ? Object.fromEntries(parameters.names.map((n) => [n!.slice(1), null]))
        : new Array<SqlValue>(parameters.count).fill(null);
    const rows = conn.all(`EXPLAIN ${sql}`, placeholders) as unknown as ExplainRow[];

    // Trigger sub-programs follow the main program; each restarts at address 0 with its own cursors.
    const programs: ExplainRow[][] = [];
    for (const row of rows) {
      if (row.addr === 0 || programs.length === 0) programs.push([]);
      programs.at(-1)!.push(row);
    }
    const tables = new Map<string, TablePlan>();
    const mergeTable = (table: string, plan: TablePlan) => {
      const previous = tables.get(table);
      if (previous === undefined) tables.set(table, plan);
      else if (previous.kind === 'all' || plan.kind === 'all') tables.set(table, ALL);
      else tables.set(table, { kind: 'rowids', keys: [...previous.keys, ...plan.keys] });
    };
    for (const program of programs) {
      for (const [cursor, open] of openedCursors(program)) {
        const schema = open.p3 === 1 ? roots.temp : open.p3 === 0 ? roots.main : undefined;
        const target = schema?.get(open.p2);
        if (target === undefined) continue;
        if (open.opcode !== 'OpenRead' || target.isIndex) {
          mergeTable(target.table, ALL);
          continue;
        }
        mergeTable(target.table, pointKeys(program, cursor) ?? ALL);
      }
    }
    return { schemaVersion, tables, parameters };
  }
}

const ALL = { kind: 'all' } as const;

function openedCursors(program: readonly ExplainRow[]): Map<number, ExplainRow> {
  const opened = new Map<number, ExplainRow>();
  for (const row of program) {
    if (row.opcode === 'OpenRead' || row.opcode === 'OpenWrite') {
      // A cursor number reopened on another table inside one program: treat both as scans.
      const previous = opened.get(row.p1);
      if (previous !== undefined && previous.p2 !== row.p2) opened.set(-1 - opened.size, previous);
      opened.set(row.p1, row);
    }
  }
  return opened;
}

/** Rowid keys when the table cursor is only ever positioned by SeekRowid on a parameter or literal. */
function pointKeys(program: readonly ExplainRow[], cursor: number): TablePlan | undefined {
  const keys: RowidKey[] = [];
  for (let i = 0; i < program.length; i++) {
    const row = program[i]!;
    if (row.opcode === 'DeferredSeek' && row.p3 === cursor) return undefined;
    if (row.p1 !== cursor || !CURSOR_OPCODE.test(row.opcode)) continue;
    if (!POINT_SAFE.has(row.opcode)) return undefined;
    if (row.opcode !== 'SeekRowid' && row.opcode !== 'NotExists') continue;
    const key = keyLoadedInto(program, i, row.p3);
    if (key === undefined) return undefined;
    keys.push(key);
  }
  return keys.length === 0 ? undefined : { kind: 'rowids', keys };
}

function keyLoadedInto(
  program: readonly ExplainRow[],
  seekIndex: number,
  register: number,
): RowidKey | undefined {
  for (let j = seekIndex - 1; j >= 0; j--) {
    const row = program[j]!;
    if (row.opcode === 'Variable' && row.p2 === register) return { param: row.p1 };
    if (row.opcode === 'Integer' && row.p2 === register) return { literal: row.p1 };
    if (KEY_PASSTHROUGH.has(row.opcode) && row.p1 === register) continue;
    return undefined;
  }
  return undefined;
}

function paramValue(params: BindParams | undefined, info: ParameterInfo, index: number): unknown {
  if (params === undefined) return undefined;
  if (Array.isArray(params)) return params[index - 1];
  const name = info.names[index - 1];
  if (name === null || name === undefined) return undefined;
  const named = params as Readonly<Record<string, SqlValue>>;
  return named[name.slice(1)] ?? named[name];
}

function toRowid(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (
    typeof value === 'bigint' &&
    value >= BigInt(Number.MIN_SAFE_INTEGER) &&
    value <= BigInt(Number.MAX_SAFE_INTEGER)
  ) {
    return Number(value);
  }
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return toRowid(Number(value.trim()));
  return undefined;
}

interface RootTarget {
  readonly table: string;
  readonly isIndex: boolean;
}

function rootPages(conn: Connection): { main: Map<number, RootTarget>; temp: Map<number, RootTarget> } {
  const load = (schemaTable: string) => {
    const map = new Map<number, RootTarget>();
    for (const row of conn.all<{ type: string; tbl_name: string; rootpage: number | null }>(
      `SELECT type, tbl_name, rootpage FROM ${schemaTable} WHERE rootpage > 0`,
    )) {
      if (row.rootpage !== null)
        map.set(row.rootpage, { table: row.tbl_name.toLowerCase(), isIndex: row.type === 'index' });
    }
    return map;
  };
  try {
    return { main: load('main.sqlite_schema'), temp: load('temp.sqlite_schema') };
  } catch (error) {
    throw error instanceof DbError
      ? error
      : new DbError('INTERNAL', 'cannot read sqlite_schema', { cause: error });
  }
}
