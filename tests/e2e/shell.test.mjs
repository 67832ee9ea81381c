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

const nowMs = (page) => page.getAttribute('[data-testid=clock]', 'data-now-ms').then(Number);

test('an embed moment past the hour a run lasts is refused at once with the limit, and the lab opens at the start and steps', async () => {
  const { page, problems } = await watchedPage(browser.context);
  const started = Date.now();
  // Opening there ran 27 hours of the run in one go: the page froze for 24 s, then crashed.
  await page.goto(`${server.url}?at=99999999#preset=leader-failover`, { waitUntil: 'networkidle' });
  const error = await page.waitForSelector('[data-testid=error]', { timeout: 10_000 });
  const text = await error.textContent();
  assert.match(text, /at=99999999: a run lasts at most one hour, so at is a moment from 0 to 3600000 ms/);
  assert.ok(Date.now() - started < 10_000, `it answered in ${Date.now() - started} ms`);
  assert.equal(await nowMs(page), 0, 'the lab opens at the start');
  await page.click('[data-testid=step]');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=clock]').dataset.nowMs) > 0);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a loop whose end is not after its start says so and loops to the lesson\'s end instead of holding the clock still', async () => {
  const { page, problems } = await watchedPage(browser.context);
  // It read "playing" with the clock stuck at 8 s: a loop from 8 s back to 8 s.
  await page.goto(`${server.url}?embed=1&lock=1&loop=1&at=8000&until=4000#preset=leader-failover`, { waitUntil: 'networkidle' });
  const text = await (await page.waitForSelector('[data-testid=error]')).textContent();
  assert.match(text, /until=4000: a loop plays from at=8000 to until, so until comes after at/);
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=clock]')?.dataset.nowMs) > 8500, null, { timeout: 20_000 });
  assert.deepEqual(problems, []);
  await page.close();
});

test('stepping at the end of the hour a run lasts says so instead of going past it', async () => {
  const { page, problems } = await watchedPage(browser.context);
  // A late moment is said before it is simulated (the page waits meanwhile): an observer set up
  // before the page's own scripts sees the message, which is gone once the run is there.
  await page.addInitScript(() => {
    new MutationObserver(() => {
      const said = document.querySelector('[data-testid=simulating]');
      if (said) window.__simulating = said.textContent;
    }).observe(document, { childList: true, subtree: true });
  });
  await page.goto(`${server.url}?at=3600000#preset=leader-failover`, { waitUntil: 'networkidle' });
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=clock]')?.dataset.nowMs) === 3600000, null, { timeout: 60_000 });
  assert.match(await page.evaluate(() => window.__simulating), /^Simulating the run up to 60:00\.000…/);
  // The Stop button went with the bar: the focus is not left on nothing.
  await page.waitForFunction(() => document.activeElement?.dataset.testid === 'play');
  await page.click('[data-testid=step]');
  const info = await page.waitForSelector('[data-testid=info]');
  assert.match(await info.textContent(), /A run lasts at most one hour of simulated time/);
  assert.equal(await nowMs(page), 3600000, 'the step stays at the hour');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a late moment is reached a slice at a time: the page shows how far the run has got, and stops there when asked', async () => {
  const { page, problems } = await watchedPage(browser.context);
  // Twenty minutes of the stress lab take seconds to simulate; the page used to hold still
  // meanwhile, with no way out but closing the tab.
  await page.goto(`${server.url}?at=1200000#preset=stress`);
  await page.waitForSelector('[data-testid=simulating]');
  const reached = async () => Number(await page.getAttribute('[data-testid=simulated-ms]', 'data-now-ms'));
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=simulated-ms]')?.dataset.nowMs) > 0);
  const first = await reached();
  await page.waitForFunction((ms) => Number(document.querySelector('[data-testid=simulated-ms]')?.dataset.nowMs) > ms, first);
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'stop-simulating', 'Enter stops');
  await page.keyboard.press('Enter');
  const stoppedAt = await nowMs(page);
  assert.ok(stoppedAt > first && stoppedAt < 1200000, `stopped at ${stoppedAt} ms, on the way`);
  assert.match(await (await page.waitForSelector('[data-testid=info]')).textContent(), /^Stopped at \d+:\d\d\.\d{3}, before 20:00\.000, the moment asked for\./);
  // The lab plays on from there.
  await page.click('[data-testid=play]');
  await page.waitForFunction((ms) => Number(document.querySelector('[data-testid=clock]').dataset.nowMs) > ms, stoppedAt);
  assert.deepEqual(problems, []);
  await page.close();
});

test('the Lessons menu stays on a tablet\'s screen', async () => {
  const { page, problems } = await watchedPage(browser.context);
  // Hung from its summary, it ran 200 px off a 1024 px screen, its second column cut off.
  for (const [width, height] of [[1024, 768], [768, 1024]]) {
    await page.setViewportSize({ width, height });
    await page.goto(`${server.url}#preset=leader-failover`, { waitUntil: 'networkidle' });
    await page.click('.lessons-menu summary');
    const box = await (await page.waitForSelector('[data-testid=lesson-index]')).boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= width, `${width}×${height}: the menu spans ${box.x}…${box.x + box.width}`);
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), width, 'nothing scrolls sideways');
    await page.click('.lessons-menu summary');
  }
  assert.deepEqual(problems, []);
  await page.close();
});

test('a link that never was one says what is wrong with it in one clean sentence', async () => {
  const { page, problems } = await watchedPage(browser.context);
  await page.goto(`${server.url}#v1.garbage`, { waitUntil: 'networkidle' });
  const text = await (await page.waitForSelector('[data-testid=error]')).textContent();
  assert.match(text, /is not a run compressed by kafka-lab \(was it typed or changed by hand\?\)\. Showing the demo lab instead\./);
  assert.doesNotMatch(text, /cut short|\?\./);
  assert.deepEqual(problems, []);
  await page.close();
});
