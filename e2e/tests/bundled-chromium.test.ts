import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { resolveChromium } from '../src/find-chromium.ts';

/**
 * The fallback for machines without Debian's Chromium: the browser inside @sparticuz/chromium
 * must start and run a page's script, whatever this machine has installed.
 */
describe('bundled Chromium (no system browser)', () => {
  it('unpacks, launches and runs a page served on loopback', async () => {
    const previous = process.env.LIVEFRAME_CHROMIUM;
    process.env.LIVEFRAME_CHROMIUM = 'bundled';
    let launch: Awaited<ReturnType<typeof resolveChromium>>;
    try {
      launch = await resolveChromium();
    } finally {
      if (previous === undefined) delete process.env.LIVEFRAME_CHROMIUM;
      else process.env.LIVEFRAME_CHROMIUM = previous;
    }
    expect(launch.source).toBe('bundled');
    expect(launch.args).not.toContain('--disable-web-security');

    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        '<p id="out">static</p><script>document.getElementById("out").textContent = "ran " + (6 * 7)</script>',
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const browser = await chromium.launch({
      executablePath: launch.executablePath,
      args: [...launch.args],
      timeout: 30_000,
    });
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      expect(await page.textContent('#out')).toBe('ran 42');
      expect(browser.version()).toMatch(/^\d+\./);
    } finally {
      await browser.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
