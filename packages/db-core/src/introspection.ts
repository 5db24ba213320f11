import type { ColumnInfo, Connection } from './connection.ts';

/** What a statement returns and takes, without running it. */
export interface StatementInfo {
  readonly columns: readonly ColumnInfo[];
  readonly columnCount: number;
  readonly parameterCount: number;
  /** One entry per parameter index (1-based index i at i-1): `:name`/`@name`/`$name`, or null for `?`. */
  readonly parameterNames: readonly (string | null)[];
  /** True for statements that return rows (SELECT, RETURNING, most PRAGMAs). */
  readonly returnsRows: boolean;
}

/**
 * Column metadata comes from the prepared statement (libsql-js `columns()`: name, origin
 * table/column, declared type); parameters come from db-core's lexer, since the binding exposes
 * no parameter API.
 */
export function describeStatement(conn: Connection, sql: string): StatementInfo {
  const columns = conn.columns(sql);
  const parameters = conn.parameters(sql);
  return {
    columns,
    columnCount: columns.length,
    parameterCount: parameters.count,
    parameterNames: parameters.names,
    returnsRows: columns.length > 0,
  };
}
