import type { Locator, Page } from 'playwright-core';

/** How long a test waits for something the system should do quickly (a deadline, not a sleep). */
export const DEADLINE_MS = 15_000;

/**
 * The dashboard as the tests see it: stable `data-testid`s only, no CSS selectors.
 *
 * @example
 * const dashboard = new DashboardPage(page);
 * await dashboard.waitUntilLive();
 * const id = await dashboard.placeOrder();
 */
export class DashboardPage {
  readonly page: Page;

  constructor(page: Page) {
    this.page = page;
  }

  connectionState(): Locator {
    return this.page.getByTestId('connection-state');
  }

  /** Waits until the badge shows `state` (live, reconnecting, ...). */
  async waitForConnection(state: string, timeout = DEADLINE_MS): Promise<void> {
    await this.page.locator(`[data-testid="connection-state"][data-state="${state}"]`).waitFor({ timeout });
  }

  /** Live and showing the first page of orders. */
  async waitUntilLive(): Promise<void> {
    await this.waitForConnection('live');
    await this.page.locator('[data-testid^="order-row-"]').first().waitFor({ timeout: DEADLINE_MS });
  }

  /** A confirmed (not optimistic) row of the orders table. */
  orderRow(id: number): Locator {
    return this.page.locator(`[data-testid="order-row-${id}"][data-pending="false"]`);
  }

  /** Places an order through the form and returns the id the server gave it. */
  async placeOrder(): Promise<number> {
    const last = this.page.getByTestId('last-created-order');
    const previous = (await last.count()) === 0 ? null : await last.getAttribute('data-order-id');
    await this.page.getByTestId('order-submit').click();
    const created = this.page.locator(
      previous === null
        ? '[data-testid="last-created-order"]'
        : `[data-testid="last-created-order"]:not([data-order-id="${previous}"])`,
    );
    await created.waitFor({ timeout: DEADLINE_MS });
    return Number(await created.getAttribute('data-order-id'));
  }
}
