// The course material in a real browser: a lesson link opens the lesson player, the learner answers a
// checkpoint before the reveal and the engine judges it; a share link reopens the exact run; a course
// page embeds a locked lab in an iframe and hears its postMessage events; bad links leave a working lab.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveDist, SUB_PATH } from './lib/server.mjs';
import { launch, watchedPage, screenshot } from './lib/browser.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The native CLI (cargo builds it if the suite's `cargo test` has not already). */
const cli = (args) => execFileSync('cargo', ['run', '--quiet', '--locked', '--bin', 'kafka-lab', '--', ...args], { cwd: ROOT }).toString();

const HOST_PAGE = '/course/replication.html';
let server, browser;
before(async () => {
  server = await serveDist({
    [HOST_PAGE]: `<!doctype html><html><head><title>A course page</title><link rel="icon" href="data:,"></head><body>
      <h1>Replication, lesson 3</h1>
      <script>
        window.labMessages = [];
        window.addEventListener('message', (e) => { if (e.data && e.data.source === 'kafka-lab') window.labMessages.push(e.data); });
        const frame = document.createElement('iframe');
        frame.src = '${SUB_PATH}?embed=1&hide=side&lock=1&at=4000&loop=1&until=9000#preset=leader-failover';
        frame.width = '1000'; frame.height = '600'; frame.title = 'kafka-lab';
        document.body.appendChild(frame);
      </script></body></html>`,
  });
  browser = await launch();
});
after(async () => { await browser?.close(); await server?.close(); });

/** Continue, and wait until the player shows the next step with the run stopped. */
async function continueToNextStep(page) {
  const before = await page.getAttribute('[data-testid=lesson]', 'data-step');
  await page.click('[data-testid=lesson-continue]');
  await page.waitForFunction((b) => document.querySelector('[data-testid=lesson]').dataset.step !== b
    && document.querySelector('.lab').dataset.playing === 'false', before, { timeout: 20000 });
}

const nowMs = (page) => page.$eval('[data-testid=clock]', (el) => Number(el.dataset.nowMs));

test('a lesson link opens the player; the learner answers a checkpoint before the reveal, and the engine judges it', async () => {
  const { page, problems } = await watchedPage(browser.context);
  const lessonFiles = [];
  page.on('request', (req) => { if (req.url().includes('/scenarios/')) lessonFiles.push(new URL(req.url()).pathname); });
  await page.goto(`${server.url}#preset=leader-failover`, { waitUntil: 'networkidle' });
  await page.waitForSelector('[data-testid=lesson]');
  assert.match(await page.textContent('.lesson-title'), /Leader failover/);
  assert.deepEqual(lessonFiles, [`${SUB_PATH}scenarios/leader-failover.toml`], 'the page fetched this lesson\'s file and no other');
  assert.match(await page.textContent('[data-testid=lesson-step-text]'), /broker 1/);
  // Continue plays the run to the first question, and the player stops there.
  await page.click('[data-testid=as-fast]');
  await continueToNextStep(page);
  assert.match(await page.textContent('[data-testid=checkpoint-question]'), /Which broker leads orders-0\?/);
  assert.equal(await nowMs(page), 4000, 'the run stopped at the question\'s moment');
  // No reveal before an answer.
  assert.ok(await page.isDisabled('[data-testid=checkpoint-check]'));
  assert.equal(await page.$('[data-testid=checkpoint-result]'), null);
  await page.click('[data-testid=checkpoint-choice][data-value="1"]');
  await page.click('[data-testid=checkpoint-check]');
  const result = await page.waitForSelector('[data-testid=checkpoint-result]');
  assert.equal(await result.getAttribute('data-correct'), 'true');
  assert.match(await result.textContent(), /says: 1/);
  // Onwards to the failover, where a wrong answer is called wrong.
  let question = '';
  for (let i = 0; i < 8 && !/leads orders-0 now/.test(question); i++) {
    await continueToNextStep(page);
    question = (await page.textContent('[data-testid=checkpoint-question]').catch(() => '')) ?? '';
  }
  assert.match(question, /leads orders-0 now/);
  await page.click('[data-testid=checkpoint-choice][data-value="3"]');
  await page.click('[data-testid=checkpoint-check]');
  const wrong = await page.waitForSelector('[data-testid=checkpoint-result]');
  assert.equal(await wrong.getAttribute('data-correct'), 'false');
  assert.match(await wrong.textContent(), /says: 2/);
  // Back goes to the previous step and rewinds the run there.
  const before = await page.getAttribute('[data-testid=lesson]', 'data-step');
  await page.click('[data-testid=lesson-back]');
  await page.waitForFunction((b) => document.querySelector('[data-testid=lesson]').dataset.step !== b, before);
  // The timeline marks each step of the run played; a mark takes the run, and the player, back there.
  const marks = await page.$$eval('[data-testid=step-mark]', (ms) => ms.map((m) => Number(m.dataset.atMs)));
  assert.deepEqual(marks.slice(0, 3), [0, 4000, 8000]);
  await page.click('[data-testid=step-mark][data-at-ms="4000"]');
  await page.waitForFunction(() => document.querySelector('[data-testid=clock]').dataset.nowMs === '4000');
  assert.match(await page.textContent('[data-testid=checkpoint-question]'), /Which broker leads orders-0\?/);
  // The lesson index lists every lesson by topic.
  await page.click('[data-testid=lessons-menu] summary');
  await page.waitForSelector('.lesson-index');
  const topics = await page.$$eval('.lesson-index .topic h3', (hs) => hs.map((h) => h.textContent));
  assert.deepEqual(topics, ['Partitions & keys', 'Consumer groups', 'Replication', 'Delivery semantics', 'Storage', 'Architecture']);
  assert.ok((await page.$$('.lesson-index a')).length >= 34);
  await screenshot(page, 'lesson');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a share link made in the lab reopens the exact run and moment', async () => {
  const { page, problems } = await watchedPage(browser.context);
  await page.goto(`${server.url}#preset=leader-failover`, { waitUntil: 'networkidle' });
  await page.waitForSelector('[data-testid=lesson]');
  await page.click('[data-testid=as-fast]');
  await continueToNextStep(page);
  const at = await nowMs(page);
  await page.click('[data-testid=share-button]');
  const link = await page.inputValue('[data-testid=share-link]');
  assert.match(link, /#v1\./);
  assert.ok(link.length < 2000, `a typical lesson link stays under 2,000 characters (${link.length})`);
  const snippet = await page.inputValue('[data-testid=embed-snippet]');
  assert.match(snippet, /^<iframe src=".*\?embed=1.*#v1\./);
  const other = await browser.context.newPage();
  await other.goto(link, { waitUntil: 'networkidle' });
  await other.waitForSelector('[data-testid=lesson]');
  assert.equal(await nowMs(other), at, 'the link opens at the moment it was made');
  const hashHere = await page.getAttribute('.lab', 'data-trace-hash');
  const hashThere = await other.getAttribute('.lab', 'data-trace-hash');
  assert.equal(hashThere, hashHere, 'the link opens the same run');
  assert.equal(await other.inputValue('[data-testid=lesson-steps]'), await page.inputValue('[data-testid=lesson-steps]'), 'the link opens on the same step');
  await other.close();
  // Opening the dialog paused the run: the link is of one moment, not of one that moves on.
  assert.equal(await page.getAttribute('.lab', 'data-playing'), 'false');
  // The CLI opens the same link into a scenario file and reaches the same trace hash at that moment.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-lab-link-'));
  const file = path.join(dir, 'run.toml');
  fs.writeFileSync(file, cli(['link', '--decode', link]));
  const report = JSON.parse(cli(['run', file, '--until-ms', String(at), '--json']));
  fs.rmSync(dir, { recursive: true, force: true });
  assert.equal(report.trace_hash, hashHere, 'the CLI and the browser reach the same trace hash');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a link made on the second of two steps sharing a moment opens on that step', async () => {
  // leader-failover tells three things at 14 s; a link made on the second opened on the first, a
  // question the sharer had already passed.
  const { page, problems } = await watchedPage(browser.context);
  await page.goto(`${server.url}#preset=leader-failover`, { waitUntil: 'networkidle' });
  await page.waitForSelector('[data-testid=lesson]');
  await page.click('[data-testid=as-fast]');
  while ((await nowMs(page)) < 14000) await continueToNextStep(page);
  await continueToNextStep(page);
  assert.equal(await nowMs(page), 14000, 'still at 14 s, one step on');
  const shown = await page.getAttribute('[data-testid=lesson]', 'data-step');
  await page.click('[data-testid=share-button]');
  const link = await page.inputValue('[data-testid=share-link]');
  const other = await browser.context.newPage();
  await other.goto(link, { waitUntil: 'networkidle' });
  await other.waitForSelector('[data-testid=lesson]');
  assert.equal(await other.getAttribute('[data-testid=lesson]', 'data-step'), shown);
  await other.close();
  assert.deepEqual(problems, []);
  await page.close();
});

test('a course page embeds a locked, looping lab in an iframe and hears its events', async () => {
  const { page, problems } = await watchedPage(browser.context);
  await page.goto(server.origin + HOST_PAGE, { waitUntil: 'networkidle' });
  const frame = page.frames().find((f) => f.url().includes('embed=1'));
  assert.ok(frame, 'the lab loads in the frame');
  await frame.waitForSelector('.lab.embedded.locked');
  assert.equal(await frame.isVisible('.titlebar'), false, 'no title bar when embedded');
  assert.equal(await frame.isVisible('[aria-label=Controls]'), false, 'locked: no control bar');
  assert.equal(await frame.isVisible('.side'), false, 'hide=side hides the side panel');
  assert.ok(await frame.isVisible('[data-testid=lesson-step-text]'), 'the lesson text still shows');
  await page.waitForFunction(() => window.labMessages.some((m) => m.type === 'ready'));
  await page.waitForFunction(() => window.labMessages.some((m) => m.type === 'step'));
  const ready = await page.evaluate(() => window.labMessages.find((m) => m.type === 'ready'));
  assert.equal(ready.preset, 'leader-failover');
  // It plays by itself and loops back to 4 s before 9 s.
  const seen = [];
  for (let i = 0; i < 40; i++) {
    seen.push(await frame.$eval('[data-testid=clock]', (el) => Number(el.dataset.nowMs)));
    await page.waitForTimeout(150);
  }
  assert.ok(seen.every((t) => t >= 4000 && t <= 9000), `stays within the loop: ${seen.join(',')}`);
  assert.ok(new Set(seen).size > 3, 'it plays');
  // Nobody answers in a locked embed: playing on from the 4 s question reports it skipped, once.
  await page.waitForFunction(() => window.labMessages.some((m) => m.type === 'checkpoint'));
  const checkpoints = await page.evaluate(() => window.labMessages.filter((m) => m.type === 'checkpoint'));
  assert.deepEqual(checkpoints.map((m) => [m.step, m.skipped, m.correct]), [[1, true, false]]);
  assert.match(checkpoints[0].question, /\?$/);
  // The course page drives it with a command.
  await frame.evaluate(() => window.postMessage({ target: 'kafka-lab', command: 'pause' }, '*'));
  await frame.waitForFunction(() => document.querySelector('.lab').dataset.playing === 'false');
  await screenshot(page, 'embed');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a damaged link and a bad embed option say what is wrong over a working lab', async () => {
  const { page, problems } = await watchedPage(browser.context);
  await page.goto(`${server.url}?embed=1&hide=everything#v1.eJzLSM3JyQcABiwCFQ`, { waitUntil: 'networkidle' });
  const error = await page.waitForSelector('[data-testid=error]');
  const text = await error.textContent();
  assert.match(text, /share link cannot be opened/);
  assert.match(text, /hide=everything/);
  await page.click('[data-testid=step]');
  assert.ok(await page.isVisible('[aria-label=Cluster]'), 'the demo lab works under the message');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a lesson whose file cannot be fetched says so over a working lab; the next lesson opens, and the lesson opens once it can be fetched', async () => {
  const { page } = await watchedPage(browser.context);
  await page.route('**/scenarios/acks-0-1-all.toml', (route) => route.fulfill({ status: 404, body: 'gone' }));
  await page.goto(`${server.url}#preset=acks-0-1-all`, { waitUntil: 'networkidle' });
  const error = await page.waitForSelector('[data-testid=error]');
  assert.match(await error.textContent(), /lesson 'acks-0-1-all' could not be loaded: the server answered 404/);
  await page.click('[data-testid=step]');
  assert.ok(await page.isVisible('[aria-label=Cluster]'), 'the demo lab works under the message');
  await page.evaluate(() => { window.location.hash = '#preset=leader-failover'; });
  await page.waitForSelector('[data-testid=lesson]');
  assert.match(await page.textContent('.lesson-title'), /Leader failover/);
  // The server is back: going to the lesson again fetches it again.
  await page.unroute('**/scenarios/acks-0-1-all.toml');
  await page.evaluate(() => { window.location.hash = '#preset=acks-0-1-all'; });
  await page.waitForFunction(() => /acks/.test(document.querySelector('.lesson-title')?.textContent ?? ''));
  assert.equal(await page.$('[data-testid=error]'), null);
  await page.close();
});

test('a run downloaded as a scenario file opens again; a broken or oversized file is named with the reason, and once fixed it opens', async () => {
  const { page, problems } = await watchedPage(browser.context);
  await page.goto(`${server.url}#preset=leader-failover`, { waitUntil: 'networkidle' });
  await page.waitForSelector('[data-testid=lesson]');
  await page.click('[data-testid=share-button]');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-toml]')]);
  assert.equal(download.suggestedFilename(), 'leader-failover.toml');
  const exported = fs.readFileSync(await download.path(), 'utf8');
  assert.match(exported, /^id = "leader-failover"$/m);
  const mine = exported.replace(/^id = ".*"$/m, 'id = "my-failover"');
  const file = (name, text) => ({ name, mimeType: 'text/plain', buffer: Buffer.from(text) });

  // A seed written as a word: the file is refused, and the message names the field.
  await page.setInputFiles('[data-testid=open-file]', file('mine.toml', mine.replace(/^seed = \d+$/m, 'seed = "soon"')));
  const problem = await page.waitForSelector('[data-testid=share-problem]');
  assert.match(await problem.textContent(), /mine\.toml cannot be opened:\s+seed: /);
  assert.equal(await page.getAttribute('.lab', 'data-preset'), 'leader-failover', 'the lab runs on');

  // Larger than any scenario: refused before the browser reads it.
  await page.setInputFiles('[data-testid=open-file]', file('huge.toml', 'x'.repeat(2 << 20)));
  await page.waitForFunction(() => /huge\.toml cannot be opened:\s+it is 2097152 bytes/.test(document.querySelector('[data-testid=share-problem]')?.textContent ?? ''));

  // Fixed, the same file name opens: the lab now runs the file's scenario.
  await page.setInputFiles('[data-testid=open-file]', file('mine.toml', mine));
  await page.waitForFunction(() => document.querySelector('.lab')?.dataset.preset === 'my-failover');
  assert.equal(await page.$('[data-testid=share-dialog]'), null, 'the dialog closes on the opened run');
  // The address bar carries the opened run: a reload reopens it, not the lesson opened before.
  assert.match(page.url(), /#v1\./);
  await page.reload({ waitUntil: 'networkidle' });
  await page.waitForFunction(() => document.querySelector('.lab')?.dataset.preset === 'my-failover');
  assert.deepEqual(problems, []);
  await page.close();
});

const activeInLesson = (page) => page.evaluate(() => document.querySelector('[data-testid=lesson]').contains(document.activeElement));

test('a key that jumps forward stops at the lesson\'s next step, so no step or question is passed unseen; focus stays in the player', async () => {
  const { page, problems } = await watchedPage(browser.context);
  await page.goto(`${server.url}#preset=leader-failover`, { waitUntil: 'networkidle' });
  await page.waitForSelector('[data-testid=lesson]');
  await page.click('[data-testid=as-fast]');
  // A keyboard learner presses Enter on Continue: the focus stays on the player's controls, not the
  // page's top (the question appearing rebuilt the player's head and dropped it).
  await page.focus('[data-testid=lesson-continue]');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('[data-testid=lesson]').dataset.step === '1'
    && document.querySelector('.lab').dataset.playing === 'false', null, { timeout: 20000 });
  assert.equal(await nowMs(page), 4000);
  assert.ok(await activeInLesson(page), 'the focus is still in the lesson player after Continue');
  // Shift+→ (10 s) from 4 s stops at 8 s, where the question about fencing broker 1 waits.
  await page.keyboard.press('Shift+ArrowRight');
  await page.waitForFunction(() => document.querySelector('[data-testid=lesson]').dataset.step === '2');
  assert.equal(await nowMs(page), 8000, 'the jump stopped at the next step');
  assert.match(await page.textContent('[data-testid=checkpoint-question]'), /fenced broker 1/);
  await page.keyboard.press('Shift+ArrowRight');
  await page.waitForFunction(() => document.querySelector('[data-testid=lesson]').dataset.step === '3');
  assert.equal(await nowMs(page), 14000);
  assert.match(await page.textContent('[data-testid=checkpoint-question]'), /leads orders-0 now/);
  // Two more steps share 14 s (the leader epoch, then the ISR): a jump, then Play, each shows the
  // next of them where the run is, as Continue would, rather than running past them unseen.
  await page.keyboard.press('Shift+ArrowRight');
  await page.waitForFunction(() => document.querySelector('[data-testid=lesson]').dataset.step === '4');
  await page.keyboard.press('k');
  await page.waitForFunction(() => document.querySelector('[data-testid=lesson]').dataset.step === '5');
  await page.waitForFunction(() => document.querySelector('.lab').dataset.playing === 'false');
  assert.equal(await nowMs(page), 14000, 'the run stayed at 14 s through the steps that share it');
  // Back to 4 s; End goes to the furthest moment played (14 s) but stops at 8 s first.
  await page.selectOption('[data-testid=lesson-steps]', '1');
  await page.waitForFunction(() => document.querySelector('[data-testid=clock]').dataset.nowMs === '4000');
  await page.focus('[data-testid=lesson-continue]');
  await page.keyboard.press('End');
  await page.waitForFunction(() => document.querySelector('[data-testid=lesson]').dataset.step === '2');
  assert.equal(await nowMs(page), 8000, 'End stopped at the next step too');
  // The last step's Continue is disabled and looks it: grey, not the solid blue of a button to press.
  await page.selectOption('[data-testid=lesson-steps]', '6');
  await page.waitForFunction(() => document.querySelector('[data-testid=lesson-continue]').disabled);
  const look = await page.$eval('[data-testid=lesson-continue]', (b) => getComputedStyle(b).backgroundColor);
  assert.notEqual(look, 'rgb(0, 114, 178)', 'a disabled Continue is not painted as the primary action');
  assert.deepEqual(problems, []);
  await page.close();
});

test('an answer checked before the learner changed the run is asked again, and the reveal comes from the new run', async () => {
  const { page, problems } = await watchedPage(browser.context);
  await page.goto(`${server.url}#preset=segments-retention`, { waitUntil: 'networkidle' });
  await page.waitForSelector('[data-testid=lesson]');
  await page.click('[data-testid=as-fast]');
  await continueToNextStep(page);
  assert.equal(await nowMs(page), 1300);
  await page.click('[data-testid=checkpoint-choice][data-value="2"]');
  await page.click('[data-testid=checkpoint-check]');
  const first = await page.waitForSelector('[data-testid=checkpoint-result]');
  assert.equal(await first.getAttribute('data-correct'), 'true');
  assert.match(await first.textContent(), /says: 2/);
  // After Check the focus goes on to Continue, not to the page's top.
  assert.ok(await activeInLesson(page), 'the focus is still in the lesson player after Check');
  // A rewind alone is the same run: the answer stays.
  await page.click('[data-testid=lesson-back]');
  await page.waitForFunction(() => document.querySelector('[data-testid=clock]').dataset.nowMs === '0');
  await continueToNextStep(page);
  assert.match(await page.textContent('[data-testid=checkpoint-result]'), /says: 2/, 'replaying the same run keeps the answer');
  // Back to the start, the producer stopped before the step: the run up to 1.3 s is another one.
  await page.click('[data-testid=lesson-back]');
  await page.waitForFunction(() => document.querySelector('[data-testid=clock]').dataset.nowMs === '0');
  await page.click('[data-testid=producer-app]', { button: 'right' });
  await page.click('[data-testid=context-menu] button:has-text("Stop sending")');
  await continueToNextStep(page);
  assert.equal(await page.$('[data-testid=checkpoint-result]'), null, 'the old reveal is gone: the learner answers again');
  await page.click('[data-testid=checkpoint-choice][data-value="2"]');
  await page.click('[data-testid=checkpoint-check]');
  const again = await page.waitForSelector('[data-testid=checkpoint-result]');
  assert.equal(await again.getAttribute('data-correct'), 'false', 'nothing was sent, so the log never rolled');
  assert.match(await again.textContent(), /says: 1/);
  // Restart starts the lesson over: no answer survives it.
  await page.click('[data-testid=restart]');
  await page.waitForFunction(() => document.querySelector('[data-testid=lesson]').dataset.step === '0');
  await continueToNextStep(page);
  assert.equal(await page.$('[data-testid=checkpoint-result]'), null, 'after Restart the question is asked again');
  assert.deepEqual(problems, []);
  await page.close();
});

test('the shortcuts open at their top with Close focused; a locked embed lists only the keys that work there', async () => {
  const { page, problems } = await watchedPage(browser.context);
  await page.goto(`${server.url}#preset=leader-failover`, { waitUntil: 'networkidle' });
  await page.waitForSelector('[data-testid=lesson]');
  await page.keyboard.press('?');
  await page.waitForSelector('[data-testid=help]');
  await page.waitForFunction(() => document.activeElement?.dataset.testid === 'help-close');
  const open = await page.$eval('[data-testid=help]', (d) => ({
    scrollTop: d.scrollTop,
    titleTop: document.getElementById('help-title').getBoundingClientRect().top - d.getBoundingClientRect().top,
    firstKeys: [...d.querySelectorAll('.shortcuts kbd')].slice(0, 3).map((k) => k.textContent),
  }));
  assert.equal(open.scrollTop, 0, 'the list opens scrolled to its top');
  assert.ok(open.titleTop >= 0, 'its title is in sight');
  assert.deepEqual(open.firstKeys, ['Space', 'k', '.']);
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-testid=help]', { state: 'detached' });

  await page.goto(`${server.url}?embed=1&lock=1#preset=leader-failover`, { waitUntil: 'networkidle' });
  await page.waitForSelector('.lab.locked');
  await page.keyboard.press('?');
  await page.waitForSelector('[data-testid=help]');
  const keys = await page.$$eval('[data-testid=shortcuts] kbd', (ks) => ks.map((k) => k.textContent));
  assert.deepEqual(keys, ['?', 'Esc'], 'a locked embed lists only the shortcuts it obeys');
  await page.keyboard.press('Escape');
  // It plays by itself: a click on a narration line no longer pauses it where nothing resumes it,
  // and the step menu is not offered.
  assert.equal(await page.isVisible('[data-testid=lesson-steps]'), false);
  const line = await page.waitForSelector('[data-testid=narration-lines] [data-at-ms]');
  await line.click();
  await page.waitForTimeout(300);
  assert.equal(await page.getAttribute('.lab', 'data-playing'), 'true', 'still playing after a click on a line');
  assert.deepEqual(problems, []);
  await page.close();
});

const stepShown = (page) => page.getAttribute('[data-testid=lesson]', 'data-step');
const menuShows = (page) => page.$eval('[data-testid=lesson-steps]', (s) => s.value);

test('the step menu shows the step the player is at, after the learner picked from it and after Restart', async () => {
  const { page, problems } = await watchedPage(browser.context);
  await page.goto(`${server.url}#preset=transactions-read-committed`, { waitUntil: 'networkidle' });
  await page.waitForSelector('[data-testid=lesson]');
  await page.click('[data-testid=as-fast]');
  for (let i = 0; i < 3; i++) await continueToNextStep(page);
  // Picked from the menu, a select stops following its options' `selected`: it showed step 1 with
  // the player back at step 2.
  await page.selectOption('[data-testid=lesson-steps]', '1');
  await page.waitForFunction(() => document.querySelector('[data-testid=lesson]').dataset.step === '1');
  for (let i = 0; i < 4; i++) {
    await continueToNextStep(page);
    assert.equal(await menuShows(page), await stepShown(page), 'after Continue');
  }
  for (let i = 0; i < 4; i++) {
    const before = await stepShown(page);
    await page.click('[data-testid=lesson-back]');
    await page.waitForFunction((b) => document.querySelector('[data-testid=lesson]').dataset.step !== b, before);
  }
  assert.equal(await stepShown(page), '1');
  assert.equal(await menuShows(page), '1', 'the menu shows the step the player is at');
  await page.click('[data-testid=restart]');
  await page.waitForFunction(() => document.querySelector('[data-testid=lesson]').dataset.step === '0');
  await continueToNextStep(page);
  assert.equal(await menuShows(page), await stepShown(page), 'after Restart and Continue');
  // An arrow key on the closed menu opens it rather than going to the next step at once: a
  // keyboard learner browsing the list was taken through every step on the way.
  const [stepBefore, clockBefore] = [await stepShown(page), await nowMs(page)];
  await page.focus('[data-testid=lesson-steps]');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Escape');
  await page.waitForTimeout(200);
  assert.equal(await stepShown(page), stepBefore, 'the step stays');
  assert.equal(await nowMs(page), clockBefore, 'the run stays');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a lesson opened at a moment shows the step reached by then, and Continue plays on from there', async () => {
  const { page, problems } = await watchedPage(browser.context);
  // delivery-semantics' steps: 0, 13.25 s, 13.3 s, 20.4 s… At 20 s the step of 13.3 s is the one reached;
  // the player showed 13.25 s's, and Continue moved the step without the clock.
  await page.goto(`${server.url}?at=20000#preset=delivery-semantics`, { waitUntil: 'networkidle' });
  await page.waitForSelector('[data-testid=lesson]');
  await page.waitForFunction(() => document.querySelector('[data-testid=clock]')?.dataset.nowMs === '20000');
  assert.equal(await stepShown(page), '2');
  assert.equal(await menuShows(page), '2');
  await page.click('[data-testid=as-fast]');
  await continueToNextStep(page);
  assert.equal(await stepShown(page), '3');
  assert.equal(await nowMs(page), 20400, 'Continue played the run to the next step');
  assert.deepEqual(problems, []);
  await page.close();
});

test('the Lessons menu closes with Esc and with a click outside it, and the controls it covered work again', async () => {
  const { page, problems } = await watchedPage(browser.context);
  await page.goto(`${server.url}#preset=leader-failover`, { waitUntil: 'networkidle' });
  await page.waitForSelector('[data-testid=lesson]');
  const isOpen = () => page.$eval('[data-testid=lessons-menu]', (d) => d.open);
  await page.click('[data-testid=lessons-menu] summary');
  await page.waitForSelector('.lesson-index');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.querySelector('[data-testid=lessons-menu]').open);
  assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'SUMMARY', 'the focus goes back to "Lessons"');
  await page.click('[data-testid=lessons-menu] summary');
  await page.waitForSelector('.lesson-index');
  assert.ok(await isOpen());
  await page.click('header h1');
  await page.waitForFunction(() => !document.querySelector('[data-testid=lessons-menu]').open);
  await page.click('[data-testid=as-fast]', { timeout: 5000 });
  await page.waitForSelector('[data-testid=as-fast][aria-pressed=true]');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a typed answer that cannot be read says why below, without moving "Check my answer"', async () => {
  const { page, problems } = await watchedPage(browser.context);
  await page.goto(`${server.url}#preset=replication-leaders-followers`, { waitUntil: 'networkidle' });
  await page.waitForSelector('[data-testid=checkpoint-answer]');
  await page.fill('[data-testid=checkpoint-answer]', 'banana');
  const box = () => page.$eval('[data-testid=checkpoint-check]', (b) => { const r = b.getBoundingClientRect(); return [r.left, r.top]; });
  const before = await box();
  await page.click('[data-testid=checkpoint-check]');
  await page.waitForSelector('[data-testid=checkpoint] [role=alert]');
  assert.deepEqual(await box(), before, 'the button stays where the learner clicked it');
  assert.deepEqual(problems, []);
  await page.close();
});

test('the lab shows what a group has committed: an empty group\'s offsets in the consumer table, every group\'s in the partition inspector', async () => {
  const { page, problems } = await watchedPage(browser.context);
  // fan-out-decoupling at 14 s: the sms-service group has no members left, and the step asks what
  // it committed for orders-1. The learner can look it up instead of guessing.
  await page.goto(`${server.url}?at=14000#preset=fan-out-decoupling`, { waitUntil: 'networkidle' });
  await page.waitForFunction(() => document.querySelector('[data-testid=clock]')?.dataset.nowMs === '14000');
  await page.click('[data-testid=tab-consumers]');
  const sms = await page.textContent('[data-testid=group-rows-sms-service]');
  assert.match(sms, /group sms-service · generation 2 · Empty/);
  assert.match(sms, /orders-1 committed 25/, 'the empty group\'s commits are shown although no member holds the partition');
  assert.match(await page.textContent('[data-testid=group-rows-email-service]'), /orders-1 @70, committed 70 \(lag 0\)/);
  await page.click('[data-testid=partition-orders-1]');
  const committed = await page.textContent('[data-testid=committed-offsets]');
  assert.match(committed, /group sms-service: committed 25/);
  assert.match(committed, /group email-service: committed 70/);
  await screenshot(page, 'lesson-committed-offsets');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a broken guarantee is marked on the charts, and its mark jumps to the moment it broke', async () => {
  const { page, problems } = await watchedPage(browser.context);
  // unclean-election: at 28 s the out-of-sync replica elected leader has lost acknowledged records.
  await page.goto(`${server.url}?at=40000#preset=unclean-election`, { waitUntil: 'networkidle' });
  await page.waitForFunction(() => document.querySelector('[data-testid=clock]')?.dataset.nowMs === '40000');
  await page.click('[data-testid=tab-charts]');
  const marks = page.locator('[data-testid=chart-throughput] .violation');
  // Records lost at 28.004 s, and offsets reused from 28.847 s: one mark each, not one per record.
  assert.equal(await marks.count(), 2, 'the breaches of one moment are one mark');
  assert.match(await marks.first().textContent(), /Guarantee broken: acked record lost at offset \d+ of lenient-0 at 0:28/);
  await marks.first().click();
  await page.waitForFunction(() => document.querySelector('[data-testid=clock]').dataset.nowMs === '28004');
  await screenshot(page, 'lesson-violation-mark');
  assert.deepEqual(problems, []);
  await page.close();
});
