import type { TRPCUntypedClient } from '@trpc/client';
import type { AnyTRPCRouter } from '@trpc/server';
import type { LiveChannel, LiveEventData, LiveUpdateInput, LiveUpdateResult } from './live-channel.ts';

/** Procedure paths of the live protocol; the defaults match apps/server. */
export interface LiveProcedurePaths {
  readonly events: string;
  readonly update: string;
}

export const DEFAULT_LIVE_PATHS: LiveProcedurePaths = { events: 'live.events', update: 'live.update' };

/**
 * The live protocol over a tRPC client: `live.events` as a subscription (multiplexed on the one
 * WebSocket; wsLink resends it with `lastEventId` after a reconnect) and `live.update` as a
 * mutation.
 *
 * @example const channel = trpcLiveChannel(createTRPCUntypedClient({ links }));
 */
export function trpcLiveChannel(
  client: TRPCUntypedClient<AnyTRPCRouter>,
  paths: LiveProcedurePaths = DEFAULT_LIVE_PATHS,
): LiveChannel {
  return {
    subscribe(subscriptionId, handlers, options) {
      const subscription = client.subscription(
        paths.events,
        {
          subscriptionId,
          ...(options?.delivery === undefined ? {} : { delivery: options.delivery }),
          ...(options?.patches === true ? { patches: true } : {}),
        },
        {
          onData(value: unknown) {
            const event = trackedEventOf(value);
            if (event === null) handlers.onError(new Error(`malformed live event: ${JSON.stringify(value)}`));
            else handlers.onEvent(event.id, event.data);
          },
          onError: handlers.onError,
        },
      );
      return () => subscription.unsubscribe();
    },
    update(input: LiveUpdateInput): Promise<LiveUpdateResult> {
      return client.mutation(paths.update, input) as Promise<LiveUpdateResult>;
    },
  };
}

/** tracked() events arrive as `{ id, data }`; anything else is a protocol error. */
function trackedEventOf(value: unknown): { id: string | undefined; data: LiveEventData } | null {
  if (typeof value !== 'object' || value === null || !('data' in value)) return null;
  const data = value.data as { type?: unknown; position?: unknown } | null;
  if (typeof data !== 'object' || data === null || typeof data.position !== 'string') return null;
  if (
    data.type !== 'live' &&
    data.type !== 'invalidate' &&
    data.type !== 'refetch-all' &&
    data.type !== 'results'
  )
    return null;
  const id = 'id' in value && typeof value.id === 'string' ? value.id : undefined;
  return { id, data: data as LiveEventData };
}
