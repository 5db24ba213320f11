import type { TRPCError } from '@trpc/server';
import type { FramePosition } from '../db/database-contract.ts';
import { runWithRequestClient } from '../db/request-client.ts';
import { formatPositionId, parsePositionId } from '../live/position-id.ts';
import { ServerError } from '../server-error.ts';
import type { LiveframeContext } from './context.ts';
import { toTRPCError } from './error-formatter.ts';
import { unwrapFrameEnvelope } from './frame-envelope.ts';
import { ANNOUNCED_WAIT_MS, readFloor } from './read-floor.ts';

/** The part of a tRPC middleware's options liveframe uses (any `initTRPC` instance provides it). */
interface MiddlewareOptions {
  readonly type: 'query' | 'mutation' | 'subscription';
  readonly meta?: { readonly live?: boolean } | undefined;
  readonly ctx: object;
  getRawInput(): Promise<unknown>;
  next(opts?: { getRawInput?: () => Promise<unknown> }): Promise<MiddlewareOutcome>;
}

type MiddlewareOutcome = { readonly ok: true } | { readonly ok: false; readonly error: TRPCError };

/** What `t.middleware` of any tRPC v11 instance is, as far as liveframe needs it. */
interface MiddlewareFactory<TBuilder> {
  // biome-ignore lint/suspicious/noExplicitAny: tRPC's own middleware options type is internal; see MiddlewareOptions.
  middleware(fn: (opts: any) => Promise<any>): TBuilder;
}

/**
 * What liveframe adds to every procedure, built on the app's own tRPC instance: layer errors
 * mapped to tRPC errors (`data.liveframe.code` with `formatLiveframeError`), peers hinted after
 * mutations, and for queries `minFrame` (read-your-writes) and the read floor. The context must
 * extend {@link LiveframeContext} (createLiveframe's `createContext` builds it).
 *
 * @example
 * const t = initTRPC.context<LiveframeContext & AppContext>().meta<LiveframeMeta>().create({ transformer: superjson, errorFormatter: formatLiveframeError });
 * const procedure = t.procedure.use(createLiveframeMiddleware(t));
 */
export function createLiveframeMiddleware<TBuilder>(t: MiddlewareFactory<TBuilder>): TBuilder {
  return t.middleware((opts: MiddlewareOptions) => runLiveframeMiddleware(opts));
}

function runLiveframeMiddleware(opts: MiddlewareOptions): Promise<MiddlewareOutcome> {
  // The rest of the call (the app's middleware, the procedure) sees its ctx.client through
  // requestClient() (request-client.ts).
  return runWithRequestClient(opts.ctx as LiveframeContext<object>, () => liveframeCall(opts));
}

async function liveframeCall(opts: MiddlewareOptions): Promise<MiddlewareOutcome> {
  const ctx = opts.ctx as LiveframeContext<object>;
  if (opts.type === 'query' && opts.meta?.live === true) ctx.services.metrics.liveQueryRan();
  const result = await readYourWrites(opts, ctx);
  // After a mutation: peers sync now instead of at their next poll (replica mode with `--peers`).
  if (opts.type === 'mutation') ctx.services.peerHints.afterWrite();
  // tRPC wraps anything that is not a TRPCError as INTERNAL_SERVER_ERROR with the original as cause.
  if (!result.ok && result.error.code === 'INTERNAL_SERVER_ERROR' && result.error.cause !== undefined) {
    return { ...result, error: toTRPCError(result.error.cause) };
  }
  return result;
}

/**
 * Read-your-writes (PROTOCOL.md): a query with `minFrame` (input envelope or HTTP header) waits
 * until this server's replica reached it, with a deadline and without blocking the event loop;
 * every query also waits for what the live hub already announced (read-floor.ts). Errors here
 * become the outcome, as the procedure's would.
 */
async function readYourWrites(
  opts: MiddlewareOptions,
  ctx: LiveframeContext<object>,
): Promise<MiddlewareOutcome> {
  if (opts.type !== 'query') return opts.next();
  let unwrapped: ReturnType<typeof unwrapFrameEnvelope>;
  try {
    unwrapped = unwrapFrameEnvelope(await opts.getRawInput());
    const raw = unwrapped.minFrame ?? ctx.headerMinFrame;
    const requested = raw === undefined ? undefined : parsePositionId(raw);
    await waitForFloor(ctx, requested);
  } catch (error) {
    return { ok: false, error: toTRPCError(error) };
  }
  const { input, wrapped } = unwrapped;
  return wrapped ? opts.next({ getRawInput: async () => input }) : opts.next();
}

async function waitForFloor(
  ctx: LiveframeContext<object>,
  requested: FramePosition | undefined,
): Promise<void> {
  const { database, hub, options, metrics, staleReads } = ctx.services;
  const floor = readFloor(requested, hub.position, database.driver.position());
  if (floor === undefined) return;
  if (floor === requested) return requireFrame(ctx, floor);
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

/** Waits until the replica reached `position`; throws the typed error a client acts on if not. */
async function requireFrame(ctx: LiveframeContext<object>, position: FramePosition): Promise<void> {
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
