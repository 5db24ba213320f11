import type { SubscriptionEvent } from '@liveframe/reactive';
import { tracked } from '@trpc/server';
import { z } from 'zod';
import { toTRPCError } from '../trpc/error-formatter.ts';
import { createRouter, mutation, procedure } from '../trpc/trpc-builder.ts';
import { collapseToRefetchAll, waitForSocketCapacity } from './backpressure.ts';
import { deliverDirectly, toWire } from './live-delivery.ts';
import type { HeldRegistrations } from './live-sessions.ts';
import { formatPositionId } from './position-id.ts';
import { liveEventsInputSchema } from './subscription-requests.ts';

const subscriptionIdSchema = liveEventsInputSchema.shape.subscriptionId;
const keySchema = z.string().min(1).max(1000);

const liveQueryRefSchema = z.object({
  key: keySchema,
  path: z.string().min(1).max(200),
  input: z.unknown().optional(),
  since: z.string().max(300).nullish(),
});

/**
 * `live.events` (the one subscription per client) and `live.update` (register/unregister live
 * queries). The protocol is written down in PROTOCOL.md.
 */
export const liveRouter = createRouter({
  events: procedure.input(liveEventsInputSchema).subscription(async function* ({ input, ctx, signal }) {
    const { hub, sessions, permissions, options, metrics } = ctx.services;
    // Claimed first thing: tRPC starts subscriptions in the order their requests arrived.
    const request =
      ctx.socket === undefined || !options.directEvents
        ? undefined
        : ctx.services.subscriptionRequests.claim(ctx.socket, input);
    const after = input.lastEventId ?? undefined;
    // Before the generator yields anything: tRPC would report a plain throw here as an internal error.
    let held: HeldRegistrations;
    try {
      held = sessions.attach(input.subscriptionId, ctx.identity, after, input.delivery ?? 'invalidate', {
        patches: input.patches === true,
      });
    } catch (error) {
      throw toTRPCError(error);
    }
    const subscription = hub.subscribe({
      subscriberId: input.subscriptionId,
      after,
      signal,
      bufferSize: options.subscriptionBufferSize,
      canSee: (table) => permissions.canRead(ctx.identity, table),
    });
    // After the ack is queued: a resumed push subscription gets the results it missed.
    sessions.resumePush(input.subscriptionId, after);
    try {
      if (request !== undefined && ctx.socket !== undefined) {
        // The ack goes through tRPC (after its `started`); when tRPC asks for the next event,
        // the rest is written directly (live-delivery.ts), same bytes, no per-event tRPC path.
        const first = await subscription.next();
        if (first.done) return;
        metrics.eventSent();
        yield tracked(
          formatPositionId(first.value.position),
          toWire(first.value, input.subscriptionId, held),
        );
        await deliverDirectly({
          ...options,
          socket: ctx.socket,
          request,
          subscription,
          subscriptionId: input.subscriptionId,
          held,
          cache: ctx.services.eventEncoding,
          metrics,
          signal,
        });
        return;
      }
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
        yield tracked(formatPositionId(event.position), toWire(event, input.subscriptionId, held));
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
