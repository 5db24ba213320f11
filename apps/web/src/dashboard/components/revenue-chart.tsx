import { useLiveQuery } from '@liveframe/react';
import { type ReactNode, useDeferredValue } from 'react';
import type { RevenuePoint } from '../api-types.ts';
import { useTRPC } from '../use-trpc.ts';
import { RevenuePlot, type RevenuePlotPoint } from './revenue-plot.tsx';

const BUCKET_SECONDS = 60;
const BUCKETS = 60;

// A module function, not an inline one: react-query re-runs `select` (and hands out a new array)
// whenever the function changes, which would re-render the plot on every parent render.
const toPlotPoints = (points: readonly RevenuePoint[]): RevenuePlotPoint[] =>
  points.map((p) => ({ t: p.t, orders: p.orders, revenue: p.revenueCents }));

/**
 * Revenue and order count over the last hour in one-minute buckets. Live on order changes; the
 * interval only slides the time window forward while nothing is written.
 */
export function RevenueChart(): ReactNode {
  const trpc = useTRPC();
  const series = useLiveQuery({
    ...trpc.dashboard.revenueSeries.queryOptions({ bucketSeconds: BUCKET_SECONDS, buckets: BUCKETS }),
    refetchInterval: 15_000,
    select: toPlotPoints,
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
        {data === undefined ? <div className="skeleton chart-skeleton" /> : <RevenuePlot data={data} />}
      </div>
    </section>
  );
}
