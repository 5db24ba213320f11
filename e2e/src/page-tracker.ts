import type { BrowserFixture, WatchedPage } from './browser-fixture.ts';
import { DashboardPage } from './dashboard-page.ts';

/**
 * Opens dashboard pages for one test file, closes them after each test (so a later server kill
 * cannot reach them) and keeps every console error for a final "no console errors" check.
 *
 * @example
 * const tracker = new PageTracker(browser);
 * const dashboard = await tracker.openDashboard(url);
 * afterEach(() => tracker.closeAll());
 */
export class PageTracker {
  readonly #browser: BrowserFixture;
  readonly #open: WatchedPage[] = [];
  readonly #errors: string[] = [];
  readonly #expected: RegExp[] = [];

  constructor(browser: BrowserFixture) {
    this.#browser = browser;
  }

  /** Opens the dashboard in a fresh context (its own storage, like another user) and waits until it is live. */
  async openDashboard(url: string): Promise<DashboardPage> {
    const watched = await this.#browser.newPage();
    this.#open.push(watched);
    await watched.page.goto(url);
    const dashboard = new DashboardPage(watched.page);
    await dashboard.waitUntilLive();
    return dashboard;
  }

  /**
   * Chromium logs every refused WebSocket connect as a console error; while a server is down on
   * purpose those are expected and not the page's fault.
   */
  expectOutageOf(port: number): void {
    this.#expected.push(
      new RegExp(
        `^console\\.error: WebSocket connection to 'ws://127\\.0\\.0\\.1:${port}/.*ERR_CONNECTION_REFUSED`,
      ),
    );
  }

  async closeAll(): Promise<void> {
    for (const watched of this.#open.splice(0)) {
      await watched.context.close();
      this.#errors.push(...watched.errors);
    }
  }

  /** Console errors and page errors so far (open pages included), minus expected outage noise. */
  unexpectedErrors(): string[] {
    return [...this.#errors, ...this.#open.flatMap((p) => p.errors)].filter(
      (error) => !this.#expected.some((expected) => expected.test(error)),
    );
  }
}
