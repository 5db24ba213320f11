import type { IncomingMessage } from 'node:http';
import { createLibsqlClient, type LiveframeLibsqlClient } from '@liveframe/db-core';
import type { WebSocket } from 'ws';
import type { Identity } from '../auth/identity.ts';
import { clientSourceOf, type RequestDatabase } from '../db/request-database.ts';
import type { LiveframeServices } from '../live/live-services.ts';
import { ServerError } from '../server-error.ts';
import { toTRPCError } from './error-formatter.ts';

/**
 * What every procedure receives as `ctx` (an app's own tRPC context extends it). `TIdentity` is
 * the shape the app's authenticator returns.
 */
export interface LiveframeContext<TIdentity extends object = Identity> {
  readonly identity: TIdentity;
  readonly db: RequestDatabase;
  /**
   * The request's database as a `@libsql/client` `Client`, for query builders written for it
   * (Drizzle's `drizzle-orm/libsql`, Kysely's `@libsql/kysely-libsql`): every statement is checked
   * and captured into a live query's read-set exactly like `ctx.db`'s, and its writes count in
   * `ctx.db.lastWrite`. Scripts (`executeMultiple`) are refused (`UNSUPPORTED_IN_PROCEDURE`).
   *
   * @example createContext: (base) => ({ ...base, drizzle: drizzle(base.client, { schema }) })
   */
  readonly client: LiveframeLibsqlClient;
  readonly services: LiveframeServices;
  /** `x-liveframe-min-frame` of an HTTP request (PROTOCOL.md "Read-your-writes"). */
  readonly headerMinFrame: string | undefined;
  /** The client's socket for WebSocket calls (backpressure of the live subscription). */
  readonly socket: WebSocket | undefined;
}

/**
 * Builds the context of a request or WebSocket connection: bearer token from the
 * `Authorization` header or `connectionParams.token`, then the identity's request database.
 */
export async function createLiveframeContext(
  services: LiveframeServices,
  opts: {
    req: IncomingMessage;
    res: unknown;
    info: { connectionParams: Record<string, string | undefined> | null };
  },
): Promise<LiveframeContext<object>> {
  const header = opts.req.headers.authorization;
  const bearer = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined;
  const token = bearer ?? opts.info.connectionParams?.token;
  const identity = await services.authenticate(token === undefined ? undefined : String(token));
  if (identity === null)
    throw toTRPCError(new ServerError('UNAUTHENTICATED', 'invalid or missing bearer token'));
  const minFrame = opts.req.headers['x-liveframe-min-frame'];
  const socket = isWebSocket(opts.res) ? opts.res : undefined;
  return liveframeContext({
    identity,
    db: services.requestDatabase(identity),
    services,
    headerMinFrame: typeof minFrame === 'string' && socket === undefined ? minFrame : undefined,
    socket,
  });
}

/**
 * How long a write through `ctx.client` waits for a transaction another call holds open on the
 * same client before failing with SQLITE_BUSY (upstream's busy timeout). Shorter than the
 * transaction deadline (10 s): a procedure that writes through the outer client inside its own
 * transaction (a deadlock) must fail and roll back, not have its write run after the deadline
 * rolled the transaction back.
 */
const CLIENT_BUSY_TIMEOUT_MS = 5_000;

/** A context from its fields; `client` is made on first use (most procedures never touch it). */
export function liveframeContext<TIdentity extends object>(
  fields: Omit<LiveframeContext<TIdentity>, 'client'>,
): LiveframeContext<TIdentity> {
  let client: LiveframeLibsqlClient | undefined;
  return {
    ...fields,
    get client() {
      // Over a WebSocket the context (so this client) serves every call of the connection: one
      // call's builder transaction must make another's write queue, as db-core queues writes,
      // not fail at once with SQLITE_BUSY as upstream's default busy timeout of 0 would.
      client ??= createLibsqlClient(clientSourceOf(fields.db), { timeout: CLIENT_BUSY_TIMEOUT_MS });
      return client;
    },
  };
}

function isWebSocket(value: unknown): value is WebSocket {
  return typeof value === 'object' && value !== null && 'bufferedAmount' in value && 'readyState' in value;
}
