import { useSuspenseLiveQuery } from '@liveframe/react';
import type { ReactNode } from 'react';
import { formatCents, formatInteger } from '../format.ts';
import { useTRPC } from '../use-trpc.ts';

interface Kpi {
  readonly id: string;
  readonly label: string;
  readonly value: string;
  readonly hint: string;
}

/** The headline numbers; suspends until the first data (the app shows skeletons meanwhile). */
export function KpiCards(): ReactNode {
  const trpc = useTRPC();
  const { data } = useSuspenseLiveQuery(trpc.dashboard.kpis.queryOptions({ windowMinutes: 60 }));
  const kpis: Kpi[] = [
    {
      id: 'revenue',
      label: 'Revenue',
      value: formatCents(data.revenueCents),
      hint: 'all time, excl. cancelled',
    },
    {
      id: 'orders',
      label: 'Orders',
      value: formatInteger(data.orders),
      hint: `${formatInteger(data.windowOrders)} in the last hour`,
    },
    {
      id: 'aov',
      label: 'Avg. order value',
      value: formatCents(data.averageOrderCents),
      hint: 'revenue / orders',
    },
    {
      id: 'rate',
      label: 'Orders / min',
      value: data.ordersPerMinute.toFixed(2),
      hint: `${formatCents(data.windowRevenueCents)} in the last hour`,
    },
  ];
  return (
    <section className="kpis" aria-label="Key figures">
      {kpis.map((kpi) => (
        <article key={kpi.id} className="card kpi" data-testid={`kpi-${kpi.id}`}>
          <h3>{kpi.label}</h3>
          {/* Keyed by the value: a change remounts it, which replays the highlight animation. */}
          <p key={kpi.value} className="kpi-value changed" data-testid={`kpi-${kpi.id}-value`}>
            {kpi.value}
          </p>
          <p className="kpi-hint">{kpi.hint}</p>
        </article>
      ))}
    </section>
  );
}

/** Placeholder cards with the same footprint, shown while the KPIs suspend. */
export function KpiCardsSkeleton(): ReactNode {
  return (
    <section className="kpis" aria-label="Key figures" aria-busy="true">
      {['revenue', 'orders', 'aov', 'rate'].map((id) => (
        <article key={id} className="card kpi skeleton">
          <h3>&nbsp;</h3>
          <p className="kpi-value">&nbsp;</p>
          <p className="kpi-hint">&nbsp;</p>
        </article>
      ))}
    </section>
  );
}
