import { describe, expect, it } from 'vitest';
import { launchBrowser } from '../src/browser-fixture.ts';

describe('browser harness', () => {
  it('launches the system Chromium and renders a static page', async () => {
    await using browser = await launchBrowser();
    const { page, errors } = await browser.newPage();
    await page.setContent('<main><h1 data-testid="title">liveframe</h1></main>');
    await expect.poll(() => page.getByTestId('title').textContent()).toBe('liveframe');
    expect(errors).toEqual([]);
  });

  it('reports console errors of a page', async () => {
    await using browser = await launchBrowser();
    const { page, errors } = await browser.newPage();
    await page.setContent('<script>console.error("boom")</script>');
    await page.waitForFunction(() => document.readyState === 'complete');
    expect(errors).toEqual(['console.error: boom']);
  });
});
