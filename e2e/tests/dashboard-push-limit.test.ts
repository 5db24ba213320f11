import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserFixture, launchBrowser } from '../src/browser-fixture.ts';
import { type Cluster, startCluster } from '../src/cluster-fixture.ts';
import { DEADLINE_MS } from '../src/dashboard-page.ts';
import { PageTracker } from '../src/page-tracker.ts';

// Push delivery with a limit no result fits under: every changed result goes out as an
// invalidation of its key, and the page must still converge through refetches.
let cluster: Cluster;
let browser: BrowserFixture;
let pages: PageTracker;

beforeAll(async () => {
  cluster = await startCluster({ servers: 2, syncHints: true, maxPushBytes: 1 });
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

describe('push delivery over the size limit', () => {
  it('falls back to invalidation for results too large to push, and the other browser still converges', async () => {
    const writer = await pages.openDashboard(cluster.pageFor(cluster.server(0)));
    const reader = await pages.openDashboard(cluster.pageFor(cluster.server(1)));
    const id = await writer.placeOrder();
    await reader.orderRow(id).waitFor({ timeout: DEADLINE_MS });
    // Nothing was pushed (every result is over 1 byte): the reader refetched what was invalidated.
    const log = (await reader.page.evaluate(
      'window.__liveframe.log.getSnapshot().map((r) => ({ pushed: r.pushed ?? [], refetched: r.refetched }))',
    )) as { pushed: string[]; refetched: string[] }[];
    expect(log.some((record) => record.refetched.includes('orders.list'))).toBe(true);
    expect(log.every((record) => record.pushed.length === 0)).toBe(true);
  });
});
