import { createRouter, liveQuery } from '@liveframe/server';
import { z } from 'zod';

/** KPIs and the revenue time series of the dashboard's header and chart. */
export const dashboardRouter = createRouter({
  kpis: liveQuery
    .input(
      z
        .object({
          windowMinutes: z
            .number()
            .int()
            .min(1)
            .max(7 * 24 * 60)
            .default(60),
        })
        .default({ windowMinutes: 60 }),
    )
    .query(({ ctx, input }) => {
      const since = Date.now() - input.windowMinutes * 60_000;
      const totals = ctx.db.get<{ orders: number; revenue: number | null }>(
        "SELECT count(*) AS orders, sum(total_cents) AS revenue FROM orders WHERE tenant_id = ? AND status != 'cancelled'",
        [ctx.identity.tenantId],
      );
      const recent = ctx.db.get<{ orders: number; revenue: number | null }>(
        "SELECT count(*) AS orders, sum(total_cents) AS revenue FROM orders WHERE tenant_id = ? AND created_at >= ? AND status != 'cancelled'",
        [ctx.identity.tenantId, since],
      );
      const orders = totals?.orders ?? 0;
      const revenue = totals?.revenue ?? 0;
      return {
        orders,
        revenueCents: revenue,
        averageOrderCents: orders === 0 ? 0 : Math.round(revenue / orders),
        windowOrders: recent?.orders ?? 0,
        windowRevenueCents: recent?.revenue ?? 0,
        ordersPerMinute: (recent?.orders ?? 0) / input.windowMinutes,
      };
    }),

  revenueSeries: liveQuery
    .input(
      z.object({
        bucketSeconds: z.number().int().min(1).max(86_400).default(60),
        buckets: z.number().int().min(1).max(500).default(60),
      }),
    )
    .query(({ ctx, input }) => {
      const bucketMs = input.bucketSeconds * 1000;
      const end = Math.ceil(Date.now() / bucketMs) * bucketMs;
      const start = end - input.buckets * bucketMs;
      const rows = ctx.db.all<{ bucket: number; orders: number; revenue: number }>(
        "SELECT (created_at - ?) / ? AS bucket, count(*) AS orders, sum(total_cents) AS revenue FROM orders WHERE tenant_id = ? AND created_at >= ? AND created_at < ? AND status != 'cancelled' GROUP BY bucket",
        [start, bucketMs, ctx.identity.tenantId, start, end],
      );
      const byBucket = new Map(rows.map((r) => [r.bucket, r]));
      return Array.from({ length: input.buckets }, (_, i) => ({
        t: start + i * bucketMs,
        orders: byBucket.get(i)?.orders ?? 0,
        revenueCents: byBucket.get(i)?.revenue ?? 0,
      }));
    }),
});
