import { createRouter, liveQuery } from '@liveframe/server';
import { z } from 'zod';

/** The recent-events feed. */
export const eventsRouter = createRouter({
  recent: liveQuery
    .input(z.object({ limit: z.number().int().min(1).max(200).default(20) }).default({ limit: 20 }))
    .query(({ ctx, input }) =>
      ctx.db.all<{ id: number; type: string; order_id: number | null; message: string; created_at: number }>(
        'SELECT id, type, order_id, message, created_at FROM events WHERE tenant_id = ? ORDER BY created_at DESC, id DESC LIMIT ?',
        [ctx.identity.tenantId, input.limit],
      ),
    ),
});
