// The release build loads from a sub-path with its shell in place and nothing going wrong.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist } from './lib/server.mjs';
import { launch, watchedPage, screenshot } from './lib/browser.mjs';

let server, browser;
before(async () => { server = await serveDist(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

test('the lab opens from a sub-path with title, cluster area, control bar and favicon, and no errors', async () => {
  const { page, problems } = await watchedPage(browser.context);
  await page.goto(server.url, { waitUntil: 'networkidle' });
  await page.waitForSelector('.lab');
  assert.equal(await page.title(), 'kafka-lab');
  assert.ok(await page.isVisible('header h1'), 'the title bar is shown');
  assert.ok(await page.isVisible('[aria-label="Cluster"]'), 'the cluster area is shown');
  assert.ok(await page.isVisible('[aria-label="Controls"]'), 'the control bar is shown');
  const icon = await page.getAttribute('link[rel="icon"]', 'href');
  assert.ok(icon, 'a favicon is linked');
  const iconResponse = await page.request.get(new URL(icon, server.url).href);
  assert.equal(iconResponse.status(), 200, 'the favicon is served from the sub-path');
  await screenshot(page, 'shell');
  assert.deepEqual(problems, []);
});
