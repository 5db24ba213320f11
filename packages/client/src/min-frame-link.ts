import { TRPCClientError, type TRPCLink } from '@trpc/client';
import type { AnyTRPCRouter } from '@trpc/server';
import { observable } from '@trpc/server/observable';
import type { FrameClock } from './frame-clock.ts';

/** The input envelope the server unwraps before validation (PROTOCOL.md "Read-your-writes"). */
export interface MinFrameEnvelope {
  readonly $liveframe: { readonly minFrame: string };
  readonly input: unknown;
}

export interface MinFrameLinkOptions {
  readonly clock: FrameClock;
  /**
   * Mutations whose `frame` is not a write of ours: `live.update` answers with the server's
   * current frame, and waiting for it would only slow reads on a replica that is behind.
   */
  readonly ignorePaths?: readonly string[];
  /** The server's replica is on another primary generation: everything cached may be stale. */
  readonly onGenerationChanged?: () => void;
}

/**
 * Read-your-writes: records the `frame` of every mutation result in the clock and sends the
 * highest one as `minFrame` with every later query, so a read on any server waits until that
 * server has the write. Put it before the terminating link.
 *
 * @example
 * createTRPCClient<AppRouter>({ links: [minFrameLink({ clock }), wsLink({ client, transformer })] })
 */
export function minFrameLink<TRouter extends AnyTRPCRouter>(options: MinFrameLinkOptions): TRPCLink<TRouter> {
  const { clock } = options;
  const ignored = new Set(options.ignorePaths ?? ['live.update']);
  return () =>
    ({ op, next }) =>
      observable((observer) => {
        const minFrame = op.type === 'query' ? clock.minFrame : null;
        const envelope: MinFrameEnvelope | null =
          minFrame === null ? null : { $liveframe: { minFrame }, input: op.input };
        const forwarded = envelope === null ? op : { ...op, input: envelope };
        const subscription = next(forwarded).subscribe({
          next(result) {
            if (op.type === 'mutation' && !ignored.has(op.path)) {
              const data = (result.result as { data?: unknown }).data;
              const frame =
                typeof data === 'object' && data !== null && 'frame' in data ? data.frame : undefined;
              if (typeof frame === 'string') clock.observe(frame);
            }
            observer.next(result);
          },
          error(error) {
            if (liveframeCodeOf(error) === 'GENERATION_CHANGED') {
              clock.reset();
              options.onGenerationChanged?.();
            }
            observer.error(error);
          },
          complete() {
            observer.complete();
          },
        });
        return () => subscription.unsubscribe();
      });
}

/**
 * The liveframe error code of a tRPC error (`error.data.liveframe.code`), if any.
 *
 * @example if (liveframeCodeOf(error) === 'FRAME_TIMEOUT') retryLater();
 */
export function liveframeCodeOf(error: unknown): string | undefined {
  if (!(error instanceof TRPCClientError)) return undefined;
  const data: unknown = error.data;
  if (typeof data !== 'object' || data === null || !('liveframe' in data)) return undefined;
  const liveframe = data.liveframe;
  if (typeof liveframe !== 'object' || liveframe === null || !('code' in liveframe)) return undefined;
  return typeof liveframe.code === 'string' ? liveframe.code : undefined;
}
