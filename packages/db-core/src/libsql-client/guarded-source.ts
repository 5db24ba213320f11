import type { Transaction } from '../driver.ts';
import type { RawTransaction } from '../raw-result.ts';
import { splitStatements } from '../sql-text.ts';
import type { BindParams } from '../values.ts';
import type { LibsqlClientSource } from './client-source.ts';

/**
 * Sees every statement before it runs; throwing refuses it (the error reaches the caller: a
 * DbError becomes a LibsqlError with its code, anything else passes unchanged).
 */
export type StatementCheck = (sql: string, params?: BindParams) => void;

/**
 * `source` with `check` in front of every statement it runs, on every path the client uses:
 * reads, writes, each statement of a batch, each statement of a script (split, so a check sees
 * one statement at a time, as it would from `execute`), and every statement of a transaction and
 * of its savepoints at any depth. This is the request-scoped wrapper the server needs for table
 * permissions and read-set capture; `statementKind` and `sync` run no user statement and pass.
 *
 * @example
 * const seen: string[] = [];
 * const client = createLibsqlClient(guardLibsqlSource(db, (sql) => void seen.push(sql)));
 */
export function guardLibsqlSource(source: LibsqlClientSource, check: StatementCheck): LibsqlClientSource {
  return {
    get mode() {
      return source.mode;
    },
    statementKind: (sql) => source.statementKind(sql),
    query: (sql, params) => {
      check(sql, params);
      return source.query(sql, params);
    },
    execute: async (sql, params) => {
      check(sql, params);
      return source.execute(sql, params);
    },
    batchRaw: async (statements, options) => {
      for (const { sql, params } of statements) check(sql, params);
      return source.batchRaw(statements, options);
    },
    transaction: (fn, options) => source.transaction((tx) => fn(guardRawTransaction(tx, check)), options),
    exec: async (sql) => {
      checkScript(sql, check);
      return source.exec(sql);
    },
    sync: () => source.sync(),
  };
}

function checkScript(sql: string, check: StatementCheck): void {
  for (const statement of splitStatements(sql)) check(statement.trim());
}

function guardRawTransaction(tx: RawTransaction, check: StatementCheck): RawTransaction {
  return {
    ...guardTransaction(tx, check),
    query: async (sql, params) => {
      check(sql, params);
      return tx.query(sql, params);
    },
    exec: async (sql) => {
      checkScript(sql, check);
      return tx.exec(sql);
    },
  };
}

/**
 * `tx` with `check` in front of every statement, and every savepoint it opens guarded the same
 * way at any depth.
 *
 * @example await db.transaction((tx) => fn(guardTransaction(tx, check)))
 */
export function guardTransaction(tx: Transaction, check: StatementCheck): Transaction {
  return {
    run: async (sql, params) => {
      check(sql, params);
      return tx.run(sql, params);
    },
    all: async (sql, params) => {
      check(sql, params);
      return tx.all(sql, params);
    },
    get: async (sql, params) => {
      check(sql, params);
      return tx.get(sql, params);
    },
    savepoint: (fn) => tx.savepoint((child) => fn(guardTransaction(child, check))),
  };
}
