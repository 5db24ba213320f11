import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { artifactPath } from '../src/artifacts.ts';
import { type BrowserFixture, launchBrowser } from '../src/browser-fixture.ts';
import { type Cluster, startCluster } from '../src/cluster-fixture.ts';
import { DEADLINE_MS } from '../src/dashboard-page.ts';
import { PageTracker } from '../src/page-tracker.ts';
import { writeOrder } from '../src/write-order.ts';

// One cluster (sqld + two replica servers + the built dashboard) and one Chromium per file:
// starting them is the expensive part. Each test opens its own browser contexts.
let cluster: Cluster;
let browser: BrowserFixture;
let pages: PageTracker;

beforeAll(async () => {
  cluster = await startCluster({ servers: 2 });
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

describe('dashboard on two replica servers', () => {
  it('shows a write made in a browser on server A in a browser on server B, without a reload', async () => {
    const writer = await pages.openDashboard(cluster.pageFor(cluster.server(0)));
    const reader = await pages.openDashboard(cluster.pageFor(cluster.server(1)));
    const id = await writer.placeOrder();
    // Read-your-writes: the writer's own table gets the confirmed row right after the write.
    await writer.orderRow(id).waitFor({ timeout: DEADLINE_MS });
    await reader.orderRow(id).waitFor({ timeout: DEADLINE_MS });
    // Still the first page load: the live query brought the row, not a navigation.
    expect(await reader.page.evaluate('performance.getEntriesByType("navigation").length')).toBe(1);
    // Push delivery (the client's default): server B sent the new orders list itself, no refetch.
    expect(
      await reader.page.evaluate(
        'window.__liveframe.log.getSnapshot().some((r) => (r.pushed ?? []).includes("orders.list"))',
      ),
    ).toBe(true);
  });

  it('reads its own write from server B right after writing through server A (minFrame)', async () => {
    const dashboard = await pages.openDashboard(cluster.pageFor(cluster.server(1)));
    const write = await writeOrder(cluster.server(0).url);
    // As if this browser had made the write: its link now sends minFrame with every query, so
    // server B must wait for the frame instead of answering from an older replica state.
    const ids = await dashboard.page.evaluate(
      `window.__liveframe.clock.observe(${JSON.stringify(write.frame)}),
       window.__liveframe.client.orders.list.query({ page: 0, pageSize: 5 }).then((r) => r.rows.map((o) => o.id))`,
    );
    expect(ids).toContain(write.id);
  });

  it('shows reconnecting while its server is down and converges after the restart', async () => {
    const server = cluster.server(1);
    const dashboard = await pages.openDashboard(cluster.pageFor(server));
    pages.expectOutageOf(server.port);
    await server.kill('SIGKILL');
    await dashboard.waitForConnection('reconnecting');
    // Written while the page's server is down: only resume or refetch-all can bring it.
    const missed = await writeOrder(cluster.server(0).url);
    await server.restart();
    await dashboard.waitForConnection('live');
    await dashboard.orderRow(missed.id).waitFor({ timeout: DEADLINE_MS });
    const after = await writeOrder(cluster.server(0).url);
    await dashboard.orderRow(after.id).waitFor({ timeout: DEADLINE_MS });
  });

  it('renders the dashboard without console errors and saves a screenshot', async () => {
    const dashboard = await pages.openDashboard(cluster.pageFor(cluster.server(0)));
    const id = await dashboard.placeOrder();
    await dashboard.orderRow(id).waitFor({ timeout: DEADLINE_MS });
    await dashboard.page.getByTestId('invalidation').first().waitFor({ timeout: DEADLINE_MS });
    await dashboard.page.screenshot({ path: await artifactPath('dashboard-replicas.png'), fullPage: true });
    expect(pages.unexpectedErrors()).toEqual([]);
  });
});
