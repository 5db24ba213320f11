import type { AppRouter } from '@liveframe/demo-server';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';

/** Outputs of the demo server's procedures, for component props. */
export type Outputs = inferRouterOutputs<AppRouter>;
export type Inputs = inferRouterInputs<AppRouter>;
export type Kpis = Outputs['dashboard']['kpis'];
export type RevenuePoint = Outputs['dashboard']['revenueSeries'][number];
export type OrdersPage = Outputs['orders']['list'];
export type OrderRow = OrdersPage['rows'][number];
export type OrderStatus = OrderRow['status'];
export type OrdersFilter = Inputs['orders']['list'];
export type Product = Outputs['catalog']['products'][number];
export type Customer = Outputs['catalog']['customers'][number];
export type EventRow = Outputs['events']['recent'][number];
