import type { Page } from 'playwright-core';

/**
 * Installs, in the page, a watcher that resolves with the wall-clock time (ms since the epoch,
 * sub-ms precision) at which the DOM first shows a confirmed order row with an id above `maxId`.
 * A MutationObserver fires in the same task as the DOM change, so no polling delay is added.
 * Passed as a string: bundler helpers in compiled test code do not exist inside the page.
 */
const INSTALL = `window.__liveframeNextRow = (maxId) => new Promise((resolve) => {
  const found = () => {
    for (const el of document.querySelectorAll('[data-pending="false"][data-order-id]')) {
      if (Number(el.getAttribute('data-order-id')) > maxId) return true;
    }
    return false;
  };
  if (found()) { resolve(performance.timeOrigin + performance.now()); return; }
  const observer = new MutationObserver(() => {
    if (!found()) return;
    observer.disconnect();
    resolve(performance.timeOrigin + performance.now());
  });
  observer.observe(document.body, { childList: true, subtree: true, attributes: true });
})`;

/**
 * Starts watching for a row newer than `maxId`; await `shown` after making the write. (Wrapped
 * in an object: an async function returning a bare promise would wait for it.)
 */
export async function watchNextRow(page: Page, maxId: number): Promise<{ shown: Promise<number> }> {
  await page.evaluate(INSTALL);
  await page.evaluate(`window.__liveframeShown = window.__liveframeNextRow(${maxId}); undefined`);
  return { shown: page.evaluate('window.__liveframeShown') as Promise<number> };
}

/** The highest confirmed order id the page shows (the table is sorted newest first). */
export async function newestRowId(page: Page): Promise<number> {
  const ids = (await page.evaluate(
    `[...document.querySelectorAll('[data-pending="false"][data-order-id]')].map((el) => Number(el.getAttribute('data-order-id')))`,
  )) as number[];
  return Math.max(0, ...ids);
}

/** Wall-clock now with sub-ms precision, comparable with the page's `timeOrigin + now()`. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}
