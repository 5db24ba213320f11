import { initTRPC } from '@trpc/server';
import superjson from 'superjson';
import type { LiveframeContext } from './context.ts';
import { formatLiveframeError } from './error-formatter.ts';
import { createLiveframeMiddleware } from './liveframe-middleware.ts';

/** Procedure meta: `live: true` marks a query the live subscription may register. */
export interface LiveframeMeta {
  readonly live?: boolean;
}

const t = initTRPC
  .context<LiveframeContext>()
  .meta<LiveframeMeta>()
  .create({ transformer: superjson, errorFormatter: formatLiveframeError });

/** liveframe's procedure middleware on its own tRPC instance (liveframe-middleware.ts). */
const liveframe = createLiveframeMiddleware(t);

export const createRouter = t.router;
export const createCallerFactory = t.createCallerFactory;
export const mergeRouters = t.mergeRouters;

/** Any procedure: errors mapped, `minFrame` honoured for queries. */
export const procedure = t.procedure.use(liveframe);

/**
 * A live query: an ordinary query the client may register with its live subscription; its
 * read-set is derived by running it under capture.
 *
 * @example const byId = liveQuery.input(z.object({ id: z.number() })).query(({ ctx, input }) => ctx.db.get(...));
 */
export const liveQuery = procedure.meta({ live: true });

/** A mutation; return `{ ..., frame: formatPositionId(position) }` so the client can read its write. */
export const mutation = procedure;
