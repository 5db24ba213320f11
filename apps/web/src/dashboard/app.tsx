import { type ReactNode, Suspense } from 'react';
import { ConnectionBadge } from './components/connection-badge.tsx';
import { EventsFeed } from './components/events-feed.tsx';
import { KpiCards, KpiCardsSkeleton } from './components/kpi-cards.tsx';
import { LivePanel } from './components/live-panel.tsx';
import { OrderForm } from './components/order-form.tsx';
import { OrdersTable } from './components/orders-table.tsx';
import { RevenueChart } from './components/revenue-chart.tsx';

/** The realtime dashboard: KPIs, chart and orders on the left, writing and live status on the right. */
export function App(): ReactNode {
  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <span className="logo" aria-hidden="true" />
          <span className="brand-name">liveframe</span>
          <span className="brand-sep">/</span>
          <span className="brand-page">Shop operations</span>
        </div>
        <ConnectionBadge />
      </header>
      <main className="content">
        <Suspense fallback={<KpiCardsSkeleton />}>
          <KpiCards />
        </Suspense>
        <div className="columns">
          <div className="column-main">
            <RevenueChart />
            <OrdersTable />
          </div>
          <aside className="column-side">
            <OrderForm />
            <LivePanel />
            <EventsFeed />
          </aside>
        </div>
      </main>
    </div>
  );
}
