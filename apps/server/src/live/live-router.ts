import { tracked } from '@trpc/server';
import { z } from 'zod';
import { createRouter, mutation, procedure } from '../trpc/trpc-builder.ts';
import { waitForSocketCapacity } from './backpressure.ts';
import type { HubEvent, LiveEventData } from './live-event.ts';
import { formatPositionId, parsePositionId, tryParsePositionId } from './position-id.ts';

const subscriptionIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,128}$/);
const keySchema = z.string().min(1).max(1000);

const liveQueryRefSchema = z.object({
  key: keySchema,
  path: z.string().min(1).max(200),
  input: z.unknown().optional(),
  since: z.string().max(300).nullish(),
});

function toWire(event: HubEvent, subscriptionId: string, registered: number): LiveEventData {
  const position = formatPositionId(event.position);
  switch (event.type) {
    case 'live':
      return { type: 'live', position, subscriptionId, registered };
    case 'invalidate':
      return { type: 'invalidate', position, queries: [...event.queries], tables: [...event.tables] };
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
      const registered = sessions.attach(input.subscriptionId, ctx.identity);
      const from =
        input.lastEventId === undefined || input.lastEventId === null
          ? undefined
          : (tryParsePositionId(input.lastEventId) ?? 'invalid');
      const stream = hub.open(input.subscriptionId, {
        from,
        canSee: (table) => permissions.canRead(ctx.identity, table),
      });
      try {
        for (;;) {
          await stream.waitForEvent(signal);
          if (signal?.aborted || stream.closed) return;
          const writable = await waitForSocketCapacity(ctx.socket, stream, options, signal, () =>
            metrics.slowClientCut(),
          );
          if (!writable) return;
          const event = stream.take();
          if (event === undefined) continue;
          metrics.eventSent();
          yield tracked(formatPositionId(event.position), toWire(event, input.subscriptionId, registered));
        }
      } finally {
        stream.close();
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
        (since) => {
          try {
            return parsePositionId(since);
          } catch {
            return undefined;
          }
        },
      );
      const frame = formatPositionId(ctx.services.database.driver.position());
      return { position: formatPositionId(position), stale, frame };
    }),
});
