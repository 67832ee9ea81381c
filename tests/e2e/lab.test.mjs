// The lab as a learner uses it, on the release build under a sub-path: play a preset, kill the leader's
// broker through the UI, watch leadership move, rewind and see the old leader back. Screenshots land in
// tests/e2e/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist } from './lib/server.mjs';
import { launch, watchedPage, screenshot } from './lib/browser.mjs';

let server, browser;
before(async () => { server = await serveDist(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

const nowMs = (page) => page.getAttribute('[data-testid=clock]', 'data-now-ms').then(Number);
const leaderOf = (page, partition) => page.getAttribute(`[data-testid=partition-${partition}]`, 'data-leader');

async function open(page, preset) {
  await page.goto(`${server.url}#preset=${preset}`, { waitUntil: 'networkidle' });
  await page.waitForSelector('[data-testid=flights-canvas]');
}

/** Plays at Max until the clock is past `ms`, then pauses. */
async function playPast(page, ms) {
  await page.click('[data-testid=as-fast]');
  await page.click('[data-testid=play]');
  await page.waitForFunction((t) => Number(document.querySelector('[data-testid=clock]').dataset.nowMs) > t, ms);
  await page.click('[data-testid=play]');
}

/** Moves the timeline to `ms`, as dragging its slider does. */
async function scrubTo(page, ms) {
  await page.$eval('[data-testid=timeline]', (input, at) => {
    input.value = String(at);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, ms);
}

test('killing the leader through the context menu moves leadership, and a rewind brings the old leader back', async () => {
  const { page, problems } = await watchedPage(browser.context);
  await open(page, 'demo');
  for (let i = 0; i < 4; i++) await page.keyboard.press(']');
  assert.equal(await page.textContent('[data-testid=speed-label]'), '10×');
  await page.click('[data-testid=play]');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=clock]').dataset.nowMs) >= 4000);
  const oldLeader = await leaderOf(page, 'orders-0');
  assert.match(oldLeader, /^[1-3]$/);
  await screenshot(page, 'lab-before-kill');

  // Right-click the broker's title bar (its replica cells have menus of their own).
  await page.click(`[data-testid=broker-${oldLeader}] rect.box`, { button: 'right', position: { x: 30, y: 8 } });
  await page.waitForSelector('[data-testid=context-menu]');
  const killedAt = await nowMs(page);
  await page.click('[data-testid=context-menu] button:text-is("Kill")');
  await page.waitForSelector(`[data-testid=broker-${oldLeader}][data-status=down]`);

  // broker.session.timeout.ms (9 s) later the controller fences it and elects a new leader.
  await page.waitForFunction((old) => {
    const leader = document.querySelector('[data-testid=partition-orders-0]').dataset.leader;
    return leader !== old && leader !== 'none';
  }, oldLeader, { timeout: 30000 });
  const newLeader = await leaderOf(page, 'orders-0');
  assert.notEqual(newLeader, oldLeader);
  const narration = await page.textContent('[data-testid=narration-lines]');
  assert.match(narration, new RegExp(`orders-0's leader moved from broker ${oldLeader} to broker ${newLeader}`));
  assert.match(narration, /missed its heartbeats/);
  await page.click('[data-testid=play]');
  await screenshot(page, 'lab-leader-moved');

  await scrubTo(page, Math.max(0, killedAt - 500));
  await page.waitForFunction((old) => document.querySelector('[data-testid=partition-orders-0]').dataset.leader === old, oldLeader);
  assert.equal(await page.getAttribute(`[data-testid=broker-${oldLeader}]`, 'data-status'), 'up');
  await screenshot(page, 'lab-rewound');

  // Forward again to the end: the same run, the new leader again.
  await page.click('[aria-label="Go to the furthest moment played"]');
  await page.waitForFunction((fresh) => document.querySelector('[data-testid=partition-orders-0]').dataset.leader === fresh, newLeader);
  assert.deepEqual(problems, []);
});

test('every part of the lab answers the keyboard, and the ? overlay lists the shortcuts', async () => {
  const { page, problems } = await watchedPage(browser.context);
  await open(page, 'demo');
  await page.keyboard.press('?');
  await page.waitForSelector('[data-testid=help]');
  assert.match(await page.textContent('[data-testid=help]'), /play or pause/);
  await screenshot(page, 'lab-shortcuts');
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-testid=help]', { state: 'detached' });

  // Tab to broker 2, inspect it with Enter, kill it with x.
  await page.focus('[data-testid=broker-2]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid=broker-panel]');
  await page.keyboard.press('x');
  await page.waitForSelector('[data-testid=broker-2][data-status=down]');
  // The context menu from the keyboard, then arrows and Enter.
  await page.focus('[data-testid=broker-2]');
  await page.keyboard.press('Shift+F10');
  await page.waitForSelector('[data-testid=context-menu]');
  assert.match(await page.evaluate(() => document.activeElement.textContent), /Inspect/);
  // End and Home go to the last and first item; Up from the first wraps to the last.
  const onLast = () => page.evaluate(() => document.activeElement === [...document.querySelectorAll('[role=menuitem]')].pop());
  await page.keyboard.press('End');
  assert.ok(await onLast(), 'End: the last item');
  await page.keyboard.press('Home');
  assert.match(await page.evaluate(() => document.activeElement.textContent), /Inspect/);
  await page.keyboard.press('ArrowUp');
  assert.ok(await onLast(), 'Up from the first: the last item');
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Restart');
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid=broker-2][data-status=up]');
  // Focus went back to the broker the menu was opened on.
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'broker-2');
  // There, Space would inspect it: k plays and pauses from anywhere. "." steps to the next event.
  await page.keyboard.press('k');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=clock]').dataset.nowMs) > 500);
  await page.keyboard.press('k');
  const before = await nowMs(page);
  await page.keyboard.press('.');
  await page.waitForFunction((t) => Number(document.querySelector('[data-testid=clock]').dataset.nowMs) > t, before);
  // On the focused timeline the arrows move a second, as the overlay says, not the slider's 1 ms.
  const stepped = await nowMs(page);
  await page.focus('[data-testid=timeline]');
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((t) => Number(document.querySelector('[data-testid=clock]').dataset.nowMs) === t + 1000, stepped);
  await page.keyboard.press('Home');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=clock]').dataset.nowMs) === 0);
  // Markup replaced under the focus keeps it: Enter on Play plays, Enter again pauses.
  const focused = () => page.evaluate(() => document.activeElement.dataset.testid);
  await page.focus('[data-testid=play]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.lab[data-playing=true]');
  assert.equal(await focused(), 'play');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.lab[data-playing=false]');
  // The side tabs: the arrows choose a tab (and leave the run where it is).
  const at = await nowMs(page);
  await page.focus('[data-testid=tab-inspect]');
  await page.keyboard.press('ArrowRight');
  await page.waitForSelector('[data-testid=tab-consumers][aria-selected=true]');
  assert.equal(await focused(), 'tab-consumers');
  assert.equal(await nowMs(page), at);
  // The share dialog takes the focus to its link, keeps Tab inside, and gives it back on Escape.
  await page.focus('[data-testid=share-button]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid=share-dialog]');
  assert.equal(await focused(), 'share-link');
  for (let i = 0; i < 40; i++) await page.keyboard.press('Tab');
  assert.ok(await page.evaluate(() => document.activeElement.closest('[data-testid=share-dialog]') !== null), 'Tab stays in the dialog');
  await page.keyboard.press('Shift+Tab');
  assert.ok(await page.evaluate(() => document.activeElement.closest('[data-testid=share-dialog]') !== null), 'Shift+Tab too');
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-testid=share-dialog]', { state: 'detached' });
  await page.waitForFunction(() => document.activeElement.dataset.testid === 'share-button');
  // Reduced motion: the same state as a table.
  await page.keyboard.press('m');
  await page.waitForSelector('[data-testid=step-table]');
  assert.deepEqual(problems, []);
});

test('the live region reads a broker stopping, and a filter turned off and on reads nothing again', async () => {
  const { page, problems } = await watchedPage(browser.context);
  await open(page, 'demo');
  // Reading only the newest line, it lost "Broker 2 stopped" behind reconnect attempts.
  await page.focus('[data-testid=broker-2]');
  await page.keyboard.press('Enter');
  await page.keyboard.press('x');
  const live = () => page.textContent('[data-testid=narration-live]');
  await page.waitForFunction(() => /Broker 2/.test(document.querySelector('[data-testid=narration-live]').textContent));
  await page.click('[data-testid=play]');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=clock]').dataset.nowMs) > 3000);
  await page.click('[data-testid=play]');
  await page.waitForTimeout(700);
  const said = await live();
  for (const id of ['brokers', 'network', 'brokers', 'network']) {
    await page.click(`[data-testid=filter-${id}]`);
    await page.waitForTimeout(100);
  }
  assert.equal(await live(), said, 'nothing read again');
  assert.deepEqual(problems, []);
});

test('a system asking for reduced motion gets the step table from the start', async () => {
  const { page, problems } = await watchedPage(browser.context);
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await open(page, 'demo');
  await page.waitForSelector('[data-testid=step-table]');
  assert.equal(await page.getAttribute('[data-testid=reduced-motion]', 'aria-pressed'), 'true');
  await page.click('[data-testid=play]');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=clock]').dataset.nowMs) > 2000);
  assert.match(await page.textContent('[data-testid=step-table]'), /^At \d+:\d\d\.\d{3}: \d+ messages? on the wire carrying \d+ records?; \d+ arrived in the last half second/);
  // Most messages of the demo take a few ms: drawn twice a second, the table showed a tenth of them.
  // The ones that arrived since it was last drawn are listed too.
  const states = await page.$$eval('[data-testid=step-rows] tbody tr td:last-child', (cells) => cells.map((c) => c.textContent));
  assert.ok(states.includes('arrived'), `rows: ${states}`);
  await screenshot(page, 'lab-reduced-motion');
  assert.deepEqual(problems, []);
});

test('the Act tab adds a broker and a consumer, cuts the network and heals it', async () => {
  const { page, problems } = await watchedPage(browser.context);
  await open(page, 'demo');
  await page.click('[data-testid=tab-act]');
  await page.click('[data-testid=add-broker]');
  await page.waitForSelector('[data-testid=broker-4]');
  await page.fill('[data-testid=add-consumer-form] [name=name]', 'learner-1');
  await page.fill('[data-testid=add-consumer-form] [name=partitions]', '0');
  // Submitted from the keyboard, the form is drawn again and the focus stays where it was.
  await page.focus('[data-testid=add-consumer-form] button[type=submit]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid=consumer-learner-1]');
  await page.waitForFunction(() => document.activeElement.matches('[data-testid=add-consumer-form] button[type=submit]'));
  await page.click('[data-testid=play]');
  await page.waitForSelector('[data-testid=consumer-learner-1][data-status=reading]');
  await page.selectOption('[data-testid=cut-form] [name=a]', 'broker:3');
  await page.click('[data-testid=cut-form] button[type=submit]');
  await page.waitForSelector('[data-testid=broker-3].cut');
  await page.click('[data-testid=heal-all]');
  await page.waitForSelector('[data-testid=broker-3]:not(.cut)');
  await page.click('[data-testid=play]');
  const narration = await page.textContent('[data-testid=narration-lines]');
  assert.match(narration, /Network cut #\d+: nothing crosses between broker 3 and/);
  assert.match(narration, /healed/);
  await screenshot(page, 'lab-act-tab');
  assert.deepEqual(problems, []);
});

test('a consumer added to a group joins it: the group rebalances, and a member beyond the partitions sits idle', async () => {
  const { page, problems } = await watchedPage(browser.context);
  await open(page, 'demo');
  await playPast(page, 5000);
  await page.click('[data-testid=tab-act]');
  // The demo's shipping group has two members for orders' three partitions; two more make four.
  for (const name of ['learner-a', 'learner-b']) {
    await page.fill('[data-testid=add-consumer-form] [name=name]', name);
    await page.fill('[data-testid=add-consumer-form] [name=group]', 'shipping');
    await page.click('[data-testid=add-consumer-form] button[type=submit]');
  }
  await page.click('[data-testid=play]');
  await page.waitForSelector('[data-testid=consumer-learner-a][data-status=reading], [data-testid=consumer-learner-b][data-status=reading]', { timeout: 60000 });
  await page.click('[data-testid=play]');
  await page.click('[data-testid=tab-consumers]');
  const shipping = await page.textContent('[data-testid=group-rows-shipping]');
  assert.match(shipping, /learner-a/);
  assert.match(shipping, /learner-b/);
  assert.match(shipping, /generation [2-9]/, 'the group rebalanced for its new members');
  assert.equal(await page.locator('[data-testid=group-rows-shipping] tr[data-status=idle]').count(), 1, 'four members, three partitions: one is idle');
  // Partitions picked by hand for a group member are refused, not ignored.
  await page.click('[data-testid=tab-act]');
  await page.fill('[data-testid=add-consumer-form] [name=group]', 'audit');
  await page.fill('[data-testid=add-consumer-form] [name=partitions]', '0');
  await page.click('[data-testid=add-consumer-form] button[type=submit]');
  assert.match(await page.textContent('[data-testid=error]'), /gets its partitions from the group/);
  await screenshot(page, 'lab-group-member-added');
  assert.deepEqual(problems, []);
});

test('a refused action says why, and an unknown preset says so over the demo lab', async () => {
  const { page, problems } = await watchedPage(browser.context);
  await open(page, 'no-such-preset');
  assert.equal(await page.getAttribute('.lab', 'data-preset'), 'demo');
  assert.match(await page.textContent('[data-testid=error]'), /There is no preset 'no-such-preset'/);
  await page.click('[data-testid=error] .dismiss');

  await page.click('[data-testid=partition-orders-0]');
  await page.selectOption('[data-testid=topic-config-key]', 'min.insync.replicas');
  await page.fill('[data-testid=topic-config-value]', '0');
  await page.click('[data-testid=topic-config-apply]');
  const error = await page.textContent('[data-testid=error]');
  assert.match(error, /refused/);
  assert.match(error, /min.insync.replicas/);
  await screenshot(page, 'lab-refused-action');
  // Still usable: it plays.
  await page.click('[data-testid=play]');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=clock]').dataset.nowMs) > 1000);
  assert.deepEqual(problems, []);
});

test('the stress preset shows hundreds of records on the wire and every panel', async () => {
  const { page, problems } = await watchedPage(browser.context);
  await open(page, 'stress');
  for (let i = 0; i < 4; i++) await page.keyboard.press(']');
  await page.click('[data-testid=play]');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=clock]').dataset.nowMs) >= 8000);
  const drawn = Number(await page.getAttribute('[data-testid=flights-canvas]', 'data-records-drawn'));
  assert.ok(drawn >= 500, `records drawn on the wire: ${drawn}`);
  await screenshot(page, 'stress-playing');
  await page.click('[data-testid=tab-consumers]');
  await page.waitForSelector('[data-testid=consumer-table]');
  assert.equal(await page.locator('[data-testid^=consumer-row-]').count(), 12);
  for (const tab of ['charts', 'act']) {
    await page.click(`[data-testid=tab-${tab}]`);
    await page.waitForSelector(`[data-testid=tab-${tab}][aria-selected=true]`);
  }
  await page.setViewportSize({ width: 1024, height: 768 });
  await screenshot(page, 'stress-tablet');
  await page.setViewportSize({ width: 1280, height: 720 });
  assert.deepEqual(problems, []);
});

test('a note such as "Restarted" goes by itself after a few seconds, and stays gone', async () => {
  const { page, problems } = await watchedPage(browser.context);
  await open(page, 'demo');
  await page.click('[data-testid=restart]');
  const note = await page.waitForSelector('[data-testid=info]', { state: 'visible' });
  assert.match(await note.textContent(), /Restarted from 0:00 with seed/);
  // It stayed up for minutes; now it goes after 8 s, while the lab plays and redraws around it.
  await page.click('[data-testid=play]');
  await page.waitForSelector('[data-testid=info]', { state: 'hidden', timeout: 12000 });
  // An error drawn after it does not bring it back.
  await page.keyboard.press('x');
  await page.waitForSelector('[data-testid=error]');
  assert.equal(await page.isVisible('[data-testid=info]'), false);
  assert.deepEqual(problems, []);
  await page.close();
});

test('the speed slider keeps focus under the arrow keys: each press is one step of speed, and the clock stays', async () => {
  const { page, problems } = await watchedPage(browser.context);
  await open(page, 'demo');
  const slider = page.locator('[data-testid=speed]');
  const before = Number(await slider.inputValue());
  await slider.focus();
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
  assert.equal(Number(await slider.inputValue()), before + 3, 'three presses, three steps');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'speed', 'focus stayed on the slider');
  assert.equal(await page.getAttribute('[data-testid=clock]', 'data-now-ms'), '0', 'the arrows did not move the clock');
  assert.deepEqual(problems, []);
});

test('an action after a rewind says that it starts a new run from that moment', async () => {
  const { page, problems } = await watchedPage(browser.context);
  await open(page, 'demo');
  await playPast(page, 20000);
  await page.click('button[data-at-ms="0"]');
  await page.waitForFunction(() => document.querySelector('[data-testid=clock]').dataset.nowMs === '0');
  await page.click('[data-testid=tab-act]');
  await page.click('[data-testid=add-broker]');
  const note = await page.waitForSelector('[data-testid=info]', { state: 'visible' });
  assert.match(await note.textContent(), /A new run from 0:00\.000: what had happened after it, up to \d+:\d\d\.\d{3}, gives way/);
  assert.deepEqual(problems, []);
});
