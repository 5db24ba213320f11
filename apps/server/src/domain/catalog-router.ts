import { createRouter, liveQuery } from '@liveframe/server';
import { z } from 'zod';

/** Products and customers (the order form's pickers). Customers are personal data: admins only. */
export const catalogRouter = createRouter({
  products: liveQuery.query(({ ctx }) =>
    ctx.db.all<{ id: number; name: string; category: string; price_cents: number }>(
      'SELECT id, name, category, price_cents FROM products WHERE tenant_id = ? ORDER BY name',
      [ctx.identity.tenantId],
    ),
  ),
  customers: liveQuery
    .input(z.object({ limit: z.number().int().min(1).max(500).default(100) }).default({ limit: 100 }))
    .query(({ ctx, input }) =>
      ctx.db.all<{ id: number; name: string; email: string; country: string }>(
        'SELECT id, name, email, country FROM customers WHERE tenant_id = ? ORDER BY name LIMIT ?',
        [ctx.identity.tenantId, input.limit],
      ),
    ),
});
