import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { artifactPath } from '../src/artifacts.ts';
import { type BrowserFixture, launchBrowser } from '../src/browser-fixture.ts';
import { type Cluster, startCluster } from '../src/cluster-fixture.ts';
import { DEADLINE_MS } from '../src/dashboard-page.ts';
import { PageTracker } from '../src/page-tracker.ts';
import { writeOrder } from '../src/write-order.ts';

// The `npm start` default: one server on a local libSQL file, two users in separate contexts.
let cluster: Cluster;
let browser: BrowserFixture;
let pages: PageTracker;

beforeAll(async () => {
  cluster = await startCluster({ servers: 1, mode: 'local' });
  browser = await launchBrowser();
  pages = new PageTracker(browser);
});

afterEach(async () => {
  await pages?.closeAll();
});

afterAll(async () => {
  await browser?.[Symbol.asyncDispose]();
  await cluster?.[Symbol.asyncDispose]();
});

describe('dashboard on the embedded local server', () => {
  it("shows one user's order to another user live, and to the writer at once", async () => {
    const url = cluster.pageFor(cluster.server(0));
    const writer = await pages.openDashboard(url);
    const reader = await pages.openDashboard(url);
    const id = await writer.placeOrder();
    await writer.orderRow(id).waitFor({ timeout: DEADLINE_MS });
    await reader.orderRow(id).waitFor({ timeout: DEADLINE_MS });
    await reader.page.getByTestId('invalidation').first().waitFor({ timeout: DEADLINE_MS });
  });

  it('rolls an optimistic order back when the server rejects it', async () => {
    const dashboard = await pages.openDashboard(cluster.pageFor(cluster.server(0)));
    const totalBefore = await dashboard.page.getByTestId('orders-total').textContent();
    await dashboard.page.getByTestId('order-fail').check();
    await dashboard.page.getByTestId('order-submit').click();
    await dashboard.page.getByTestId('order-error').waitFor({ timeout: DEADLINE_MS });
    await expect.poll(() => dashboard.page.getByTestId('order-row-pending').count()).toBe(0);
    expect(await dashboard.page.getByTestId('orders-total').textContent()).toBe(totalBefore);
  });

  it('filters and paginates the live table', async () => {
    const dashboard = await pages.openDashboard(cluster.pageFor(cluster.server(0)));
    const { page } = dashboard;
    await page.getByTestId('orders-status-filter').selectOption('shipped');
    await expect
      .poll(() => page.locator('[data-testid^="order-row-"] .status').allTextContents())
      .not.toContain('paid');
    const statuses = await page.locator('[data-testid^="order-row-"] .status').allTextContents();
    expect(new Set(statuses)).toEqual(new Set(['shipped']));
    await page.getByTestId('orders-next').click();
    await page
      .locator('[data-testid="orders-page"]', { hasText: 'Page 2 of' })
      .waitFor({ timeout: DEADLINE_MS });
    // A new shipped order shows up live on page 1 of the filtered view.
    await page.getByTestId('orders-prev').click();
    const { id } = await writeOrder(cluster.server(0).url, 2, 1, 'shipped');
    await dashboard.orderRow(id).waitFor({ timeout: DEADLINE_MS });
  });

  it('shows reconnecting while the server is down and converges after the restart', async () => {
    const server = cluster.server(0);
    const dashboard = await pages.openDashboard(cluster.pageFor(server));
    pages.expectOutageOf(server.port);
    await server.kill('SIGKILL');
    await dashboard.waitForConnection('reconnecting');
    await server.restart();
    await dashboard.waitForConnection('live');
    const { id } = await writeOrder(server.url);
    await dashboard.orderRow(id).waitFor({ timeout: DEADLINE_MS });
  });

  it('shows offline while the browser has no network and goes live again after', async () => {
    const server = cluster.server(0);
    const dashboard = await pages.openDashboard(cluster.pageFor(server));
    pages.expectOutageOf(server.port);
    await dashboard.page.context().setOffline(true);
    await dashboard.waitForConnection('offline');
    await dashboard.page.context().setOffline(false);
    await dashboard.waitForConnection('live');
    const { id } = await writeOrder(server.url);
    await dashboard.orderRow(id).waitFor({ timeout: DEADLINE_MS });
  });

  it('renders without console errors and saves a screenshot', async () => {
    const dashboard = await pages.openDashboard(cluster.pageFor(cluster.server(0)));
    await dashboard.page.getByTestId('kpi-revenue-value').waitFor({ timeout: DEADLINE_MS });
    await dashboard.page.screenshot({ path: await artifactPath('dashboard-local.png'), fullPage: true });
    expect(pages.unexpectedErrors()).toEqual([]);
  });
});
