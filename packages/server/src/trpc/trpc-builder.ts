import { initTRPC } from '@trpc/server';
import superjson from 'superjson';
import type { FramePosition } from '../db/database-contract.ts';
import { formatPositionId, parsePositionId } from '../live/position-id.ts';
import { ServerError } from '../server-error.ts';
import type { LiveframeContext } from './context.ts';
import { formatLiveframeError, toTRPCError } from './error-formatter.ts';
import { unwrapFrameEnvelope } from './frame-envelope.ts';
import { ANNOUNCED_WAIT_MS, readFloor } from './read-floor.ts';

/** Procedure meta: `live: true` marks a query the live subscription may register. */
export interface LiveframeMeta {
  readonly live?: boolean;
}

const t = initTRPC
  .context<LiveframeContext>()
  .meta<LiveframeMeta>()
  .create({ transformer: superjson, errorFormatter: formatLiveframeError });

/** Maps every thrown layer error to a tRPC error in one place. */
const errorMapping = t.middleware(async ({ next }) => {
  const result = await next();
  // tRPC wraps anything that is not a TRPCError as INTERNAL_SERVER_ERROR with the original as cause.
  if (!result.ok && result.error.code === 'INTERNAL_SERVER_ERROR' && result.error.cause !== undefined) {
    return { ...result, error: toTRPCError(result.error.cause) };
  }
  return result;
});

/** Waits until the replica reached `position`; throws the typed error a client acts on if not. */
async function requireFrame(ctx: LiveframeContext, position: FramePosition): Promise<void> {
  const { database, options, metrics } = ctx.services;
  const target = formatPositionId(position);
  const result = await database.driver.waitForFrame(position, { timeoutMs: options.minFrameTimeoutMs });
  metrics.observeFrameWait(result.status);
  if (result.status === 'timeout') {
    throw new ServerError(
      'FRAME_TIMEOUT',
      `replica did not reach ${target} in time (at ${result.position.frame})`,
    );
  }
  if (result.status === 'generation-changed') {
    throw new ServerError(
      'GENERATION_CHANGED',
      `frame ${target} belongs to another primary generation: refetch`,
    );
  }
}

/**
 * Read-your-writes (PROTOCOL.md): a query with `minFrame` (input envelope or HTTP header) waits
 * until this server's replica reached it, with a deadline and without blocking the event loop;
 * every query also waits for what the live hub already announced (read-floor.ts).
 */
const readYourWrites = t.middleware(async ({ type, ctx, getRawInput, next }) => {
  if (type !== 'query') return next();
  const { input, minFrame, wrapped } = unwrapFrameEnvelope(await getRawInput());
  const raw = minFrame ?? ctx.headerMinFrame;
  const requested = raw === undefined ? undefined : parsePositionId(raw);
  const { database, hub, options, metrics, staleReads } = ctx.services;
  const floor = readFloor(requested, hub.position, database.driver.position());
  if (floor !== undefined && floor === requested) await requireFrame(ctx, floor);
  else if (floor !== undefined) {
    // The floor is this server's own announcement, not the client's request: if the replica
    // cannot reach it soon (the primary became unreachable right after), serve what it has and
    // let StaleReadRecovery make clients refetch once it can, rather than failing every read.
    const result = await database.driver.waitForFrame(floor, {
      timeoutMs: Math.min(options.minFrameTimeoutMs, ANNOUNCED_WAIT_MS),
    });
    metrics.observeFrameWait(result.status);
    if (result.status === 'timeout') staleReads.servedBelow(floor);
    // The client's own floor (below the announced one) still holds in full.
    if (result.status !== 'reached' && requested !== undefined) await requireFrame(ctx, requested);
  }
  return wrapped ? next({ getRawInput: async () => input }) : next();
});

/** After a mutation: peers sync now instead of at their next poll (replica mode with `--peers`). */
const syncHint = t.middleware(async ({ type, ctx, next }) => {
  const result = await next();
  if (type === 'mutation') ctx.services.peerHints.afterWrite();
  return result;
});

export const createRouter = t.router;
export const createCallerFactory = t.createCallerFactory;
export const mergeRouters = t.mergeRouters;

/** Any procedure: errors mapped, `minFrame` honoured for queries. */
export const procedure = t.procedure.use(errorMapping).use(syncHint).use(readYourWrites);

/**
 * A live query: an ordinary query the client may register with its live subscription; its
 * read-set is derived by running it under capture.
 *
 * @example const byId = liveQuery.input(z.object({ id: z.number() })).query(({ ctx, input }) => ctx.db.get(...));
 */
export const liveQuery = procedure.meta({ live: true });

/** A mutation; return `{ ..., frame: formatPositionId(position) }` so the client can read its write. */
export const mutation = procedure;
