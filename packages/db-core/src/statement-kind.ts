import type { Connection } from './connection.ts';
import type { StatementKind } from './raw-result.ts';
import type { SqlValue } from './values.ts';

/**
 * Opcodes that make a program more than a plain read. This mirrors how SQLite computes
 * `sqlite3_stmt_readonly` (a write `Transaction`, `Vacuum`, `JournalMode`, `Checkpoint`), which
 * the libsql-js binding does not expose, plus what must not run on a shared query-only read
 * connection although SQLite calls it read-only: transaction control (`AutoCommit`,
 * `Savepoint`), and anything that writes or changes the schema cache. (`Expire` is not here:
 * every PRAGMA expires itself, `PRAGMA table_info` included.)
 */
const WRITE_OPCODES = new Set([
  'OpenWrite',
  'AutoCommit',
  'Savepoint',
  'Vacuum',
  'JournalMode',
  'Checkpoint',
  'VUpdate',
  'VBegin',
  'SetCookie',
  'CreateBtree',
  'Destroy',
  'Clear',
  'ParseSchema',
  'SqlExec',
  'IncrVacuum',
]);

/**
 * Classifies a statement from the engine's own plan (EXPLAIN), not from its text: `read` when
 * it returns rows and its program neither opens a write transaction nor does any of the above.
 * A statement without result columns is never a read (what it does is a side effect: a PRAGMA
 * setting, ATTACH, BEGIN). `conn` must be a connection lent for this purpose: a finished EXPLAIN
 * pins its connection's read snapshot in libsql-js (see read-set.ts).
 */
export function classifyStatement(conn: Connection, sql: string): StatementKind {
  if (conn.columns(sql).length === 0) return 'write';
  const parameters = conn.parameters(sql);
  const placeholders =
    parameters.hasNamed && !parameters.hasAnonymous
      ? Object.fromEntries(parameters.names.map((n) => [n!.slice(1), null]))
      : new Array<SqlValue>(parameters.count).fill(null);
  const program = conn.all<{ opcode: string; p2: number | bigint }>(`EXPLAIN ${sql}`, placeholders);
  for (const op of program) {
    if (WRITE_OPCODES.has(op.opcode)) return 'write';
    if (op.opcode === 'Transaction' && Number(op.p2) !== 0) return 'write';
  }
  return 'read';
}
