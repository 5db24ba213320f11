import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import type { Identity } from '../auth/identity.ts';
import type { RequestDatabase } from '../db/request-database.ts';
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
  return {
    identity,
    db: services.requestDatabase(identity),
    services,
    headerMinFrame: typeof minFrame === 'string' && socket === undefined ? minFrame : undefined,
    socket,
  };
}

function isWebSocket(value: unknown): value is WebSocket {
  return typeof value === 'object' && value !== null && 'bufferedAmount' in value && 'readyState' in value;
}
