import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { resolveChromium } from './find-chromium.ts';

/** A page plus every console error and uncaught exception it produced, for "no console errors" checks. */
export interface WatchedPage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Console `error` messages and page errors, in order. */
  readonly errors: string[];
}

/**
 * A disposable Chromium with a fresh user-data dir (playwright's `launch` makes a temporary
 * profile and deletes it on close). Every context and page it made is closed with it.
 *
 * @example
 * await using browser = await launchBrowser();
 * const { page, errors } = await browser.newPage();
 * await page.goto(url);
 */
export class BrowserFixture implements AsyncDisposable {
  readonly browser: Browser;

  private constructor(browser: Browser) {
    this.browser = browser;
  }

  static async launch(): Promise<BrowserFixture> {
    const { executablePath, args } = await resolveChromium();
    // Playwright refuses `--user-data-dir` in `launch()`; it always starts from a fresh temp
    // profile, which is exactly what keeps tests independent (no shared cache or storage).
    const browser = await chromium.launch({ executablePath, args: [...args], timeout: 30_000 });
    return new BrowserFixture(browser);
  }

  /** Opens a page in its own context (separate storage: like a second user) and watches its errors. */
  async newPage(options: { viewport?: { width: number; height: number } } = {}): Promise<WatchedPage> {
    const context = await this.browser.newContext({
      viewport: options.viewport ?? { width: 1440, height: 900 },
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
    });
    page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
    return { page, context, errors };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.browser.close().catch(() => undefined);
  }
}

/** Launches a disposable system Chromium; see {@link BrowserFixture}. */
export function launchBrowser(): Promise<BrowserFixture> {
  return BrowserFixture.launch();
}
