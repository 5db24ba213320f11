import type { SubscriptionEvent } from '@liveframe/reactive';
import { tracked } from '@trpc/server';
import { z } from 'zod';
import { createRouter, mutation, procedure } from '../trpc/trpc-builder.ts';
import { collapseToRefetchAll, waitForSocketCapacity } from './backpressure.ts';
import type { LiveEventData } from './live-event.ts';
import { formatPositionId } from './position-id.ts';

const subscriptionIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,128}$/);
const keySchema = z.string().min(1).max(1000);

const liveQueryRefSchema = z.object({
  key: keySchema,
  path: z.string().min(1).max(200),
  input: z.unknown().optional(),
  since: z.string().max(300).nullish(),
});

function toWire(event: SubscriptionEvent, subscriptionId: string, registered: number): LiveEventData {
  const position = formatPositionId(event.position);
  switch (event.type) {
    case 'live':
      return { type: 'live', position, subscriptionId, registered };
    case 'invalidate':
      return {
        type: 'invalidate',
        position,
        queries: event.queries as string[],
        tables: event.tables as string[],
      };
    case 'refetch-all':
      return { type: 'refetch-all', position, reason: event.reason };
  }
}

/**
 * `live.events` (the one subscription per client) and `live.update` (register/unregister live
 * queries). The protocol is written down in PROTOCOL.md.
 */
export const liveRouter = createRouter({
  events: procedure
    .input(z.object({ subscriptionId: subscriptionIdSchema, lastEventId: z.string().max(300).nullish() }))
    .subscription(async function* ({ input, ctx, signal }) {
      const { hub, sessions, permissions, options, metrics } = ctx.services;
      const after = input.lastEventId ?? undefined;
      const registered = sessions.attach(input.subscriptionId, ctx.identity, after);
      const subscription = hub.subscribe({
        subscriberId: input.subscriptionId,
        after,
        signal,
        bufferSize: options.subscriptionBufferSize,
        canSee: (table) => permissions.canRead(ctx.identity, table),
      });
      try {
        for (;;) {
          const next = await subscription.next();
          if (next.done) return;
          let event: SubscriptionEvent = next.value;
          if (ctx.socket !== undefined && ctx.socket.bufferedAmount > options.maxBufferedBytes) {
            const writable = await waitForSocketCapacity(ctx.socket, options, signal, () =>
              metrics.slowClientCut(),
            );
            if (!writable) return;
            event = await collapseToRefetchAll(subscription, event);
          }
          metrics.eventSent();
          yield tracked(formatPositionId(event.position), toWire(event, input.subscriptionId, registered));
        }
      } finally {
        subscription.close();
        sessions.detach(input.subscriptionId);
      }
    }),

  update: mutation
    .input(
      z.object({
        subscriptionId: subscriptionIdSchema,
        add: z.array(liveQueryRefSchema).max(1000).optional(),
        remove: z.array(keySchema).max(1000).optional(),
        replace: z.boolean().optional(),
      }),
    )
    .mutation(async ({ input, ctx }) => {
      const { stale, position } = await ctx.services.sessions.update(
        input.subscriptionId,
        ctx.identity,
        input,
      );
      const frame = formatPositionId(ctx.services.database.driver.position());
      return { position: formatPositionId(position), stale, frame };
    }),
});
