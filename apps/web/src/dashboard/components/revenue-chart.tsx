import { type ReactNode, useDeferredValue } from 'react';
import {
  Area,
  Bar,
  CartesianGrid,
  ComposedChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { useLiveQuery } from '../../client/index.ts';
import { formatCents, formatCentsCompact, formatTime } from '../format.ts';
import { useTRPC } from '../use-trpc.ts';

const BUCKET_SECONDS = 60;
const BUCKETS = 60;

/**
 * Revenue and order count over the last hour in one-minute buckets. Live on order changes; the
 * interval only slides the time window forward while nothing is written.
 */
export function RevenueChart(): ReactNode {
  const trpc = useTRPC();
  const series = useLiveQuery({
    ...trpc.dashboard.revenueSeries.queryOptions({ bucketSeconds: BUCKET_SECONDS, buckets: BUCKETS }),
    refetchInterval: 15_000,
    select: (points) => points.map((p) => ({ t: p.t, orders: p.orders, revenue: p.revenueCents })),
  });
  // Drawing the chart is the most expensive render on the page: a deferred value lets the table
  // and KPIs that arrived in the same batch commit first, and the chart follow right after.
  const data = useDeferredValue(series.data);
  return (
    <section className="card chart" data-testid="revenue-chart">
      <header className="card-header">
        <div>
          <h2>Revenue</h2>
          <p className="muted">last hour · 1 min buckets</p>
        </div>
        <div className="legend">
          <span className="legend-revenue">Revenue</span>
          <span className="legend-orders">Orders</span>
        </div>
      </header>
      <div className="chart-body">
        {data === undefined ? (
          <div className="skeleton chart-skeleton" />
        ) : (
          <ResponsiveContainer width="100%" height="100%">
            <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
              <defs>
                <linearGradient id="revenueFill" x1="0" y1="0" x2="0" y2="1">
                  <stop offset="0%" stopColor="var(--accent)" stopOpacity={0.35} />
                  <stop offset="100%" stopColor="var(--accent)" stopOpacity={0.02} />
                </linearGradient>
              </defs>
              <CartesianGrid stroke="var(--grid)" vertical={false} />
              <XAxis
                dataKey="t"
                tickFormatter={(t: number) => formatTime(t).slice(0, 5)}
                minTickGap={48}
                tick={{ fontSize: 11, fill: 'var(--muted)' }}
                axisLine={false}
                tickLine={false}
              />
              <YAxis
                yAxisId="revenue"
                tickFormatter={(v: number) => formatCentsCompact(v)}
                // A floor for the scale: an idle hour would otherwise repeat "$0" on every tick.
                domain={[0, (max: number) => Math.max(max, 10_000)]}
                width={56}
                tick={{ fontSize: 11, fill: 'var(--muted)' }}
                axisLine={false}
                tickLine={false}
              />
              <YAxis yAxisId="orders" orientation="right" allowDecimals={false} width={28} hide />
              <Tooltip
                labelFormatter={(t) => formatTime(Number(t))}
                formatter={(value, name) => (name === 'Revenue' ? formatCents(Number(value)) : String(value))}
              />
              <Bar
                yAxisId="orders"
                dataKey="orders"
                name="Orders"
                fill="var(--accent-2)"
                radius={[3, 3, 0, 0]}
                isAnimationActive={false}
              />
              <Area
                yAxisId="revenue"
                type="monotone"
                dataKey="revenue"
                name="Revenue"
                stroke="var(--accent)"
                strokeWidth={2}
                fill="url(#revenueFill)"
                isAnimationActive={false}
              />
            </ComposedChart>
          </ResponsiveContainer>
        )}
      </div>
    </section>
  );
}
