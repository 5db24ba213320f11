import { AsyncLocalStorage } from 'node:async_hooks';
import type { Client } from '@libsql/core/api';
import { createLibsqlClient, guardLibsqlSource, type LibsqlClientSource } from '@liveframe/db-core';
import { ServerError } from '../server-error.ts';
import {
  type RequestDatabase,
  type RequestInternals,
  refuseScript,
  requestInternals,
} from './request-database.ts';

/** The context of the procedure call running now (set by liveframe's middleware). */
const currentCall = new AsyncLocalStorage<{ readonly db: RequestDatabase }>();

/**
 * Whether the app asked for {@link requestClient}. Until it does, procedure calls are not run
 * inside the AsyncLocalStorage: on Node 20 its first `run` turns on promise hooks for the whole
 * process (measured: ~3% of a server's CPU under load), a cost apps without it should not pay.
 */
let wanted = false;

/** Runs `fn` (a procedure call) with `ctx`'s request database as what {@link requestClient} uses. */
export function runWithRequestClient<T>(ctx: { readonly db: RequestDatabase }, fn: () => T): T {
  return wanted ? currentCall.run(ctx, fn) : fn();
}

function call(): RequestInternals {
  const ctx = currentCall.getStore();
  if (ctx === undefined) {
    throw new ServerError(
      'NO_REQUEST',
      'requestClient() was used outside a liveframe procedure call (use a Database or createClient there), ' +
        'or first called inside one: call it when the app starts (make the query builder once)',
    );
  }
  return requestInternals(ctx.db);
}

/**
 * The calling request's database as a client source: each statement is checked and captured by
 * that request's guard and its writes count in its `ctx.db.lastWrite`, exactly as through
 * `ctx.client`, but nothing is built per request.
 */
const routedSource: LibsqlClientSource = {
  get mode() {
    return call().driver.mode;
  },
  statementKind: (sql) => call().driver.statementKind(sql),
  query: (sql, params) => {
    const request = call();
    request.guard(sql, params);
    return request.driver.query(sql, params);
  },
  execute: async (sql, params) => {
    const request = call();
    request.guard(sql, params);
    return request.wrote(await request.driver.execute(sql, params));
  },
  batchRaw: async (statements, options) => {
    const request = call();
    for (const { sql, params } of statements) request.guard(sql, params);
    const result = await request.driver.batchRaw(statements, options);
    return options?.readOnly === true ? result : request.wrote(result);
  },
  transaction: async (fn, options) => {
    const request = call();
    // Every statement of the transaction and its savepoints goes through the guard.
    const guarded = guardLibsqlSource(request.driver, request.guard);
    return request.wrote(await guarded.transaction(fn, options));
  },
  exec: refuseScript,
  sync: () => call().driver.sync(),
};

/**
 * Like `ctx.client` (same limits: writes queue up to 5 s behind an open transaction of this
 * client, which a transaction still open after 10 s is rolled back to free).
 */
const REQUEST_CLIENT: Client = createLibsqlClient(routedSource, {
  timeout: 5_000,
  transactionTimeoutMs: 10_000,
});

/**
 * One `@libsql/client` `Client` for the whole app that runs every statement on the request of the
 * procedure call it is used in (found through AsyncLocalStorage, which liveframe's middleware
 * sets): a query builder made once on it, and its prepared statements, serve every request with
 * that request's table permissions, read-set capture and `ctx.db.lastWrite`, with no per-request
 * set-up. Call it when the app starts (calls already running when it is first called do not
 * see it). Outside a procedure call it rejects with `NO_REQUEST`.
 *
 * @example
 * const db = drizzle(requestClient(), { schema });
 * const todoById = db.select().from(todos).where(eq(todos.id, sql.placeholder('id'))).prepare();
 * // in a procedure: await todoById.get({ id: input.id })
 */
export function requestClient(): Client {
  wanted = true;
  return REQUEST_CLIENT;
}
