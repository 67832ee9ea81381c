// What the lab ships (wasm + js + css, gzip -9), against two numbers:
// - the GOAL of issue 6, 300 KB. The build does not meet it today (about 573 KB: the engine with
//   replication, groups, transactions and the controller quorum, Yew, and the scenario module with
//   its parsers). The test prints the gap on every run; the issue stays open until it closes.
// - the CEILING this test enforces: today's size plus a little. The build may not grow past it, so
//   the gap can only shrink; lower it whenever the build shrinks. It was raised once, on 2026-11-21,
//   from 540 to 545 KiB, for work that a learner sees and that Kafka does: real consumer groups in the
//   lab presets with internal topics folded away, the quorum's active controller, lessons that stop at
//   every step and at their end, the idempotent producer's epoch bump after data loss (KIP-360) and
//   eligible leader replicas (KIP-966) in the KRaft election (about 10 KB gzip together). Lowered to
//   542 KiB the same day, when minified css and wasm-opt --low-memory-unused took 5 KB off, and to
//   537 KiB on 2026-11-22, when float formatting left the page (7.7 KB) and refused connections came
//   in (1.5 KB), and to 535 KiB on 2026-11-22 (session 19), when terser began minifying the JS glue
//   (2.4 KB: scripts/minify-js). Session 20 took 1.1 KB off (config values and expected answers left
//   serde's untagged derive) but kept 535 KiB: one build measured 545,975 bytes, every later one and a
//   fresh clone 546,356, and 534 KiB would leave less room than that difference. Raised to 541 KiB
//   on 2026-11-22 (session 22; the build is 552,545), for 5.8 KB of work a learner meets: the group
//   protocol's three remaining cases as Kafka runs them (0.6 KB); panels that offer only what applies
//   and nothing in a locked embed, and broker notes that stay readable (1.2 KB); a lesson that asks
//   again when the learner changed the run before a question, keeps a keyboard learner's focus, and
//   whose jump keys stop at every step (3 KB); links and ?at= that say what is wrong instead of
//   freezing the page (1 KB). The same day 11.3 KB that those changes first brought along was taken
//   back out (the Unicode case tables, and the specs' equality), measured by building each commit.
//   Raised to 547 KiB on 2026-11-22 (session 23; the build is 559,144), for 6.8 KB of fixes a
//   learner, an author or a sharer meets: a producer's send() that blocks as Kafka's does, and rates
//   the engine refuses past its limit (both had crashed the page); a click at 0 ms that replays from
//   its share link; lesson steps sharing a moment that each stop; a lesson opened mid-run at its
//   step, a step menu that shows it, a Lessons menu that closes; finished producers, per-poll
//   processing and folded narration told truly; notes that fade; embeds whose loops play and whose
//   locks hold; an opened file's link in the address bar; mistakes in a scenario named at their own
//   field. The helpers took 1.5 KB of the first versions back out (hooks and timers).
//   Kept at 547 KiB on 2026-11-23 (session 24; the build is 559,412): 6.0 KB came off when the wasm's
//   import and export names were shortened in the wasm and its glue together (scripts/minify-names.mjs),
//   and went to work a learner meets: logs that share their batches with the keyframes (2.5 KB; the
//   stress lesson at Max no longer kills the page at 37 simulated minutes), each group's committed
//   offsets and generation, adding a consumer to a group, breaches marked on the charts, a speed
//   slider that keeps focus. std's string sort (1.7 KB) was taken back out the same day.
//   Raised to 555 KiB on 2026-11-23 (session 25; the build is 567,611), for 8.4 KB of fixes that a
//   keyboard user, a sharer and a learner meet: focus that stays on what was pressed when markup is
//   redrawn (Play, the tabs, the Act forms) or goes back to what opened a menu or dialog; a share
//   dialog that takes the focus, keeps Tab inside, pauses the run and says when a copy worked; side
//   tabs and context menus that answer the keys of their ARIA patterns; a link that opens on the step
//   it was made at and says when it runs another seed; a refused session.timeout.ms told as Kafka's
//   INVALID_SESSION_TIMEOUT; names and link latencies refused past their limits (3.8 KB); then the
//   review's mends, an ISR below min.insync.replicas told with the HW it holds, and a late link that
//   says it is simulating before the page waits (2.4 KB); then a link that names its lesson step
//   when steps share its moment, a step menu that opens on an arrow key, and one Tab stop for the
//   side tabs (1.3 KB). The parts measured in twiggy are each under 1.6 KB; none had a smaller form
//   worth its loss.
//   Raised to 559 KiB on 2026-11-23 (session 26; the build is 571,384), for a late link or `?at=`
//   simulated a slice at a time between frames, showing how far it has got, with a Stop button that
//   leaves the run there (2.9 KB; the page used to hold still for seconds with no way out); then a
//   live region that reads the lines that matter since it last spoke, not only the newest, and a
//   reduced-motion table that lists the messages that arrived since it was last drawn (1.3 KB; a
//   first version's stable sort, 1.6 KB more, was taken back out). Then 560 KiB (the build is
//   572,603), for a lesson link's fingerprint of the lesson's run, so a link made before the lesson
//   changed says so, and the review's mends (1.2 KB; writing the fingerprint's JSON straight to text
//   had cost 4.5 KB, and it goes through a JSON value as links already do). Then 561 KiB (the build
//   is 573,238), for three rules of Kafka's the engine had not followed: a rolled segment is fsynced,
//   timed-out transactions are looked for every 10 s, and the controller quorum asks for pre-votes
//   before an election (KIP-996); 0.6 KB together, which left less room than builds vary by.
// The lesson files (dist/scenarios/*.toml) are not part of the page: a lesson's file is fetched when
// it is opened. Their sizes are reported beside the total, so nothing shipped goes unmeasured.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { DIST } from './lib/server.mjs';

export const SHIPPED_GZIP_BYTES_GOAL = 300 * 1024;
export const SHIPPED_GZIP_BYTES_CEILING = 561 * 1024;

test('the shipped wasm, js and css do not grow past the ceiling (and the gap to 300 KB is reported)', () => {
  const shipped = fs.readdirSync(DIST).filter((f) => /\.(wasm|js|css)$/.test(f));
  assert.ok(shipped.some((f) => f.endsWith('.wasm')), 'dist/ holds the wasm module');
  let total = 0;
  for (const f of shipped) {
    const gz = zlib.gzipSync(fs.readFileSync(path.join(DIST, f)), { level: 9 }).length;
    console.log(`  ${f}: ${gz} bytes gzip`);
    total += gz;
  }
  const gap = total - SHIPPED_GZIP_BYTES_GOAL;
  console.log(`  shipped total: ${total} bytes gzip; goal ${SHIPPED_GZIP_BYTES_GOAL}` +
    (gap > 0 ? ` NOT MET: ${gap} bytes over (issue 6)` : ' met') + `; ceiling ${SHIPPED_GZIP_BYTES_CEILING}`);
  const lessons = fs.readdirSync(path.join(DIST, 'scenarios')).filter((f) => f.endsWith('.toml'))
    .map((f) => zlib.gzipSync(fs.readFileSync(path.join(DIST, 'scenarios', f)), { level: 9 }).length);
  assert.ok(lessons.length > 0, 'dist/scenarios holds the lesson files the page fetches');
  console.log(`  lesson files, fetched one at a time when opened: ${lessons.length}, ` +
    `largest ${Math.max(...lessons)} bytes gzip, all together ${lessons.reduce((a, b) => a + b, 0)}`);
  assert.ok(total <= SHIPPED_GZIP_BYTES_CEILING, `shipped ${total} bytes gzip grew past the ceiling ${SHIPPED_GZIP_BYTES_CEILING}`);
});
