import { createRouter, formatPositionId, liveQuery, mutation, ServerError } from '@liveframe/server';
import { z } from 'zod';

export const ORDER_STATUSES = ['pending', 'paid', 'shipped', 'cancelled'] as const;

export interface OrderRow {
  id: number;
  customer_id: number;
  customer_name: string;
  status: (typeof ORDER_STATUSES)[number];
  total_cents: number;
  created_at: number;
}

const SORTS = {
  newest: 'o.created_at DESC, o.id DESC',
  oldest: 'o.created_at ASC, o.id ASC',
  total_desc: 'o.total_cents DESC, o.id DESC',
  total_asc: 'o.total_cents ASC, o.id ASC',
} as const;

/** Inside a write batch (which holds the database's write lock): the order the batch inserted. */
const NEW_ORDER_ID = '(SELECT max(id) FROM orders)';

/** Orders: a filterable paginated table, a point lookup, and the writes the dashboard makes. */
export const ordersRouter = createRouter({
  list: liveQuery
    .input(
      z.object({
        status: z.enum(ORDER_STATUSES).optional(),
        customerId: z.number().int().positive().optional(),
        search: z.string().max(100).optional(),
        sort: z.enum(['newest', 'oldest', 'total_desc', 'total_asc']).default('newest'),
        page: z.number().int().min(0).max(100_000).default(0),
        pageSize: z.number().int().min(1).max(200).default(20),
      }),
    )
    .query(({ ctx, input }) => {
      const where = ['o.tenant_id = ?'];
      const params: (string | number)[] = [ctx.identity.tenantId];
      if (input.status !== undefined) {
        where.push('o.status = ?');
        params.push(input.status);
      }
      if (input.customerId !== undefined) {
        where.push('o.customer_id = ?');
        params.push(input.customerId);
      }
      if (input.search !== undefined && input.search !== '') {
        where.push("c.name LIKE ? ESCAPE '\\'");
        params.push(`%${input.search.replace(/[\\%_]/g, (m) => `\\${m}`)}%`);
      }
      const from = `FROM orders o JOIN customers c ON c.id = o.customer_id WHERE ${where.join(' AND ')}`;
      const rows = ctx.db.all<OrderRow & Record<string, number | string>>(
        `SELECT o.id, o.customer_id, c.name AS customer_name, o.status, o.total_cents, o.created_at ${from} ` +
          `ORDER BY ${SORTS[input.sort]} LIMIT ? OFFSET ?`,
        [...params, input.pageSize, input.page * input.pageSize],
      );
      const total = ctx.db.get<{ n: number }>(`SELECT count(*) AS n ${from}`, params)?.n ?? 0;
      return { rows: rows as OrderRow[], total, page: input.page, pageSize: input.pageSize };
    }),

  byId: liveQuery.input(z.object({ id: z.number().int().positive() })).query(({ ctx, input }) => {
    const order = ctx.db.get<
      Omit<OrderRow, 'customer_name'> & Record<string, number | string> & { tenant_id: string }
    >('SELECT id, tenant_id, customer_id, status, total_cents, created_at FROM orders WHERE id = ?', [
      input.id,
    ]);
    if (order === undefined || order.tenant_id !== ctx.identity.tenantId) return null;
    const items = ctx.db.all<{ product_id: number; quantity: number; price_cents: number }>(
      'SELECT product_id, quantity, price_cents FROM order_items WHERE order_id = ? ORDER BY id',
      [input.id],
    );
    const { tenant_id: _tenant, ...rest } = order;
    return { ...(rest as Omit<OrderRow, 'customer_name'>), items };
  }),

  create: mutation
    .input(
      z.object({
        customerId: z.number().int().positive(),
        items: z
          .array(
            z.object({ productId: z.number().int().positive(), quantity: z.number().int().min(1).max(1000) }),
          )
          .min(1)
          .max(50),
        status: z.enum(ORDER_STATUSES).default('pending'),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const tenant = ctx.identity.tenantId;
      // Friendly NOT_FOUND from the local replica first (no round trip).
      if (
        ctx.db.get('SELECT id FROM customers WHERE id = ? AND tenant_id = ?', [input.customerId, tenant]) ===
        undefined
      ) {
        throw new ServerError('NOT_FOUND', `no customer ${input.customerId}`);
      }
      for (const item of input.items) {
        if (
          ctx.db.get('SELECT id FROM products WHERE id = ? AND tenant_id = ?', [item.productId, tenant]) ===
          undefined
        ) {
          throw new ServerError('NOT_FOUND', `no product ${item.productId}`);
        }
      }
      // Then one atomic batch: one request to the primary in replica mode. The primary's rows
      // decide, not the replica's: customer and prices are looked up inside the batch, and a row
      // that vanished meanwhile yields NULL in a NOT NULL column, which fails (and rolls back) the
      // whole batch. Under the batch's write lock the newest order is the one it just inserted.
      const now = Date.now();
      const { results, position } = await ctx.db.batch([
        {
          sql: 'INSERT INTO orders (tenant_id, customer_id, status, total_cents, created_at) VALUES (?, (SELECT id FROM customers WHERE id = ? AND tenant_id = ?), ?, 0, ?)',
          params: [tenant, input.customerId, tenant, input.status, now],
        },
        ...input.items.map((item) => ({
          sql: `INSERT INTO order_items (order_id, product_id, quantity, price_cents) VALUES (${NEW_ORDER_ID}, ?, ?, (SELECT price_cents FROM products WHERE id = ? AND tenant_id = ?))`,
          params: [item.productId, item.quantity, item.productId, tenant],
        })),
        {
          sql: `UPDATE orders SET total_cents = (SELECT sum(quantity * price_cents) FROM order_items WHERE order_id = orders.id) WHERE id = ${NEW_ORDER_ID}`,
        },
        {
          sql: `INSERT INTO events (tenant_id, type, order_id, message, created_at) SELECT ?, 'order.created', id, printf('order %d created (%.2f)', id, total_cents / 100.0), ? FROM orders WHERE id = ${NEW_ORDER_ID}`,
          params: [tenant, now],
        },
      ]);
      return { id: Number(results[0]?.lastInsertRowid), frame: formatPositionId(position) };
    }),

  setStatus: mutation
    .input(z.object({ id: z.number().int().positive(), status: z.enum(ORDER_STATUSES) }))
    .mutation(async ({ ctx, input }) => {
      const tenant = ctx.identity.tenantId;
      // One request to the primary in replica mode: the event row is written only if the UPDATE
      // matched (changes() is the previous statement's count), so no JS needs to run in between.
      const { results, position } = await ctx.db.batch([
        {
          sql: 'UPDATE orders SET status = ? WHERE id = ? AND tenant_id = ?',
          params: [input.status, input.id, tenant],
        },
        {
          sql: 'INSERT INTO events (tenant_id, type, order_id, message, created_at) SELECT ?, ?, ?, ?, ? WHERE changes() > 0',
          params: [tenant, 'order.status', input.id, `order ${input.id} is ${input.status}`, Date.now()],
        },
      ]);
      const changed = (results[0]?.changes ?? 0) > 0;
      if (!changed) throw new ServerError('NOT_FOUND', `no order ${input.id}`);
      return { id: input.id, frame: formatPositionId(position) };
    }),
});
