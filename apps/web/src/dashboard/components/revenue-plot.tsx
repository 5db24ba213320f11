import { memo, type ReactNode } from 'react';
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
import { formatCents, formatCentsCompact, formatTime } from '../format.ts';

/** One bucket as the plot draws it. */
export interface RevenuePlotPoint {
  readonly t: number;
  readonly orders: number;
  readonly revenue: number;
}

// Every prop below is a module constant: recharts copies axis and series settings into its own
// store whenever a prop changes identity, and each copy re-renders the whole chart.
const MARGIN = { top: 8, right: 8, bottom: 0, left: 0 };
const TICK = { fontSize: 11, fill: 'var(--muted)' };
const BAR_RADIUS: [number, number, number, number] = [3, 3, 0, 0];
// A floor for the scale: an idle hour would otherwise repeat "$0" on every tick.
const REVENUE_DOMAIN: [number, (max: number) => number] = [0, (max) => Math.max(max, 10_000)];
const timeTick = (t: number) => formatTime(t).slice(0, 5);
const revenueTick = (v: number) => formatCentsCompact(v);
const tooltipLabel = (t: unknown) => formatTime(Number(t));
const tooltipValue = (value: unknown, name: unknown) =>
  name === 'Revenue' ? formatCents(Number(value)) : String(value);

/**
 * The revenue/orders chart itself, the most expensive render on the page. Memoized on `data`:
 * it renders when the series changes, not when its parent re-renders for anything else.
 */
export const RevenuePlot = memo(function RevenuePlot(props: {
  data: readonly RevenuePlotPoint[];
}): ReactNode {
  return (
    <ResponsiveContainer width="100%" height="100%">
      <ComposedChart data={props.data as RevenuePlotPoint[]} margin={MARGIN}>
        <defs>
          <linearGradient id="revenueFill" x1="0" y1="0" x2="0" y2="1">
            <stop offset="0%" stopColor="var(--accent)" stopOpacity={0.35} />
            <stop offset="100%" stopColor="var(--accent)" stopOpacity={0.02} />
          </linearGradient>
        </defs>
        <CartesianGrid stroke="var(--grid)" vertical={false} />
        <XAxis
          dataKey="t"
          tickFormatter={timeTick}
          minTickGap={48}
          tick={TICK}
          axisLine={false}
          tickLine={false}
        />
        <YAxis
          yAxisId="revenue"
          tickFormatter={revenueTick}
          domain={REVENUE_DOMAIN}
          width={56}
          tick={TICK}
          axisLine={false}
          tickLine={false}
        />
        <YAxis yAxisId="orders" orientation="right" allowDecimals={false} width={28} hide />
        <Tooltip labelFormatter={tooltipLabel} formatter={tooltipValue} />
        <Bar
          yAxisId="orders"
          dataKey="orders"
          name="Orders"
          fill="var(--accent-2)"
          radius={BAR_RADIUS}
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
  );
});
