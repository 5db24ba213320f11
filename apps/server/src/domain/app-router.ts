import { createRouter, formatPositionId, liveRouter, procedure } from '@liveframe/server';
import { catalogRouter } from './catalog-router.ts';
import { dashboardRouter } from './dashboard-router.ts';
import { eventsRouter } from './events-router.ts';
import { ordersRouter } from './orders-router.ts';

/**
 * The demo app's router: the live protocol plus the dashboard domain. The web client imports its
 * type only: `import type { AppRouter } from '@liveframe/demo-server'`.
 */
export const appRouter = createRouter({
  live: liveRouter,
  dashboard: dashboardRouter,
  orders: ordersRouter,
  catalog: catalogRouter,
  events: eventsRouter,
  /** Who the server thinks the caller is, and the frame its replica is at. */
  whoami: procedure.query(({ ctx }) => ({
    identity: ctx.identity,
    frame: formatPositionId(ctx.services.database.driver.position()),
  })),
});

export type AppRouter = typeof appRouter;
