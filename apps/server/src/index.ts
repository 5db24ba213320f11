/**
 * @liveframe/demo-server: the demo shop domain and dashboard server, built on @liveframe/server's
 * public exports only. The dashboard (apps/web) imports its router type from here.
 */

export { DEMO_DEV_SECRET, loadDemoConfig } from './demo-config.ts';
export { createDemoServer, type DemoServerOptions } from './demo-server.ts';
export { type AppRouter, appRouter } from './domain/app-router.ts';
export { DEMO_ROLES, DEMO_SCHEMA } from './domain/demo-schema.ts';
export { seedDemoData } from './domain/demo-seed.ts';
export { ORDER_STATUSES, type OrderRow } from './domain/orders-router.ts';
