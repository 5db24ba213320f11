import { AsyncLocalStorage } from 'node:async_hooks';
import type {
  Client,
  InArgs,
  InStatement,
  Replicated,
  ResultSet,
  Transaction,
  TransactionMode,
} from '@libsql/core/api';
import { ServerError } from '../server-error.ts';

/**
 * The context of the procedure call running now (set by liveframe's middleware); its `client` is
 * read only when used (it is made on first use).
 */
const currentCall = new AsyncLocalStorage<{ readonly client: Client }>();

/** Runs `fn` (a procedure call) with `ctx.client` as what {@link requestClient} answers to. */
export function runWithRequestClient<T>(ctx: { readonly client: Client }, fn: () => T): T {
  return currentCall.run(ctx, fn);
}

function current(): Client {
  const client = currentCall.getStore()?.client;
  if (client === undefined) {
    throw new ServerError(
      'NO_REQUEST',
      'requestClient() was used outside a liveframe procedure call (use a Database or createClient there)',
    );
  }
  return client;
}

/**
 * One `@libsql/client` `Client` for the whole app that runs every statement on the `ctx.client`
 * of the procedure call it is used in (found through AsyncLocalStorage): a query builder made once
 * on it, and its prepared statements, serve every request with that request's table permissions,
 * read-set capture and read-your-writes. Building a query builder per request (on `ctx.client`)
 * works too; this one saves the builder's set-up per request and lets prepared statements live as
 * long as the app. Outside a procedure call it throws `NO_REQUEST`.
 *
 * @example
 * const db = drizzle(requestClient(), { schema });
 * const todoById = db.select().from(todos).where(eq(todos.id, sql.placeholder('id'))).prepare();
 * // in a procedure: await todoById.get({ id: input.id })
 */
export function requestClient(): Client {
  return REQUEST_CLIENT;
}

// Every method is async, so that NO_REQUEST is a rejected promise like any other failure.
const REQUEST_CLIENT: Client = {
  execute: (async (stmtOrSql: InStatement | string, args?: InArgs): Promise<ResultSet> =>
    typeof stmtOrSql === 'string'
      ? current().execute(stmtOrSql, args)
      : current().execute(stmtOrSql)) as Client['execute'],
  batch: async (stmts, mode) => current().batch(stmts, mode),
  migrate: async (stmts) => current().migrate(stmts),
  transaction: (async (mode?: TransactionMode): Promise<Transaction> =>
    current().transaction(mode)) as Client['transaction'],
  executeMultiple: async (sql) => current().executeMultiple(sql),
  sync: async (): Promise<Replicated> => current().sync(),
  // The app's clients are the requests'; there is nothing of its own to close or reconnect.
  close: () => undefined,
  reconnect: () => undefined,
  closed: false,
  protocol: 'file',
};
