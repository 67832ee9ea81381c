// The bench-reference workload (src/bench.rs) in the shipped wasm, in headless Chromium: the number
// issue 3's performance goal asks for (wasm within 2× of native), printed beside the native one when
// a fresh `target/release/kafka-lab` is at hand.
//
// Speed is printed, never asserted: a timed assertion on a shared 2-core machine measures the
// neighbours as much as the engine. What is asserted cannot flake: the workload ran, repeated runs are
// identical, and the browser's counts and trace hash equal the native binary's for the same workload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveDist } from './lib/server.mjs';
import { launch, watchedPage } from './lib/browser.mjs';
import { quietMachine } from './lib/machine.mjs';

/** The full reference run: 60 simulated seconds, 1.2 M records offered (REFERENCE_DURATION_MS). */
const BENCH_DURATION_MS = 60000;
/** Each side runs this often and keeps its fastest run: the slower ones measure other work. */
const RUNS = 3;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NATIVE_BIN = path.join(ROOT, 'target/release/kafka-lab');

let server, browser;
before(async () => { server = await serveDist(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

/** The newest modification time (ms) of the files the native binary is built from. */
function newestSourceMs() {
  let newest = fs.statSync(path.join(ROOT, 'Cargo.lock')).mtimeMs;
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  };
  walk(path.join(ROOT, 'src'));
  return newest;
}

/**
 * The native binary's runs of the same workload, or a reason there are none. A binary older than the
 * sources may simulate different rules, so its counts are not compared (scripts/test builds debug only).
 */
function nativeRuns() {
  if (!fs.existsSync(NATIVE_BIN)) return { skipped: `${path.relative(ROOT, NATIVE_BIN)} is not built (cargo build --release)` };
  if (fs.statSync(NATIVE_BIN).mtimeMs < newestSourceMs()) return { skipped: `${path.relative(ROOT, NATIVE_BIN)} is older than src/ (cargo build --release)` };
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const out = spawnSync(NATIVE_BIN, ['bench', '--json', '--seconds', String(BENCH_DURATION_MS / 1000)], { encoding: 'utf8' });
    assert.equal(out.status, 0, `kafka-lab bench failed: ${out.stderr}`);
    runs.push(JSON.parse(out.stdout));
  }
  return { runs };
}

const fastest = (runs) => runs.reduce((a, b) => (b.wall_ms < a.wall_ms ? b : a));
const perSec = (count, wallMs) => Math.round(count / (wallMs / 1000));
const thousands = (n) => n.toLocaleString('en-US');

test('bench-reference in headless Chromium: runs, repeats identically, matches native; speeds printed', async () => {
  const { page, problems } = await watchedPage(browser.context);
  await page.goto(server.url, { waitUntil: 'networkidle' });
  // Trunk's loader sets window.wasmBindings once the module is instantiated.
  await page.waitForFunction(() => typeof window.wasmBindings?.bench_reference === 'function');
  const load = await quietMachine();

  const wasmRuns = [];
  for (let i = 0; i < RUNS; i++) {
    // One evaluate per run, so the page (and its garbage collector) gets a turn between runs. The
    // wall clock is read here, around the call: the engine never reads it.
    wasmRuns.push(await page.evaluate((durationMs) => {
      const startedMs = performance.now();
      const json = window.wasmBindings.bench_reference(durationMs);
      const wallMs = performance.now() - startedMs;
      return { ...JSON.parse(json), wall_ms: wallMs };
    }, BENCH_DURATION_MS));
  }
  const native = nativeRuns();
  const loadAfter = os.loadavg()[0].toFixed(1);

  const wasm = fastest(wasmRuns);
  const wasmRecordsPerSec = perSec(wasm.records, wasm.wall_ms);
  console.log(`  load average ${load} before, ${loadAfter} after, on ${os.cpus().length} cores; ${BENCH_DURATION_MS / 1000} simulated seconds, fastest of ${RUNS}`);
  console.log(`  wasm:   ${thousands(wasm.records)} records, ${thousands(wasm.events)} events in ${wasm.wall_ms.toFixed(0)} ms: ${thousands(wasmRecordsPerSec)} records/s, ${thousands(perSec(wasm.events, wasm.wall_ms))} events/s (runs: ${wasmRuns.map((r) => r.wall_ms.toFixed(0)).join(', ')} ms)`);
  if (native.runs) {
    const best = fastest(native.runs);
    console.log(`  native: ${thousands(best.records)} records, ${thousands(best.events)} events in ${best.wall_ms} ms: ${thousands(best.records_per_sec)} records/s, ${thousands(best.events_per_sec)} events/s (runs: ${native.runs.map((r) => r.wall_ms).join(', ')} ms)`);
    console.log(`  wasm takes ${(wasm.wall_ms / Math.max(best.wall_ms, 1)).toFixed(2)}× native's time (goal: at most 2×)`);
  } else {
    console.log(`  native: not compared: ${native.skipped}`);
  }

  assert.ok(wasm.records > 0 && wasm.consumed > 0 && wasm.events > 0, `the workload ran: ${JSON.stringify(wasm)}`);
  const identity = ({ records, consumed, events, trace_hash }) => ({ records, consumed, events, trace_hash });
  for (const run of wasmRuns) assert.deepEqual(identity(run), identity(wasmRuns[0]), 'repeated runs in the browser are identical');
  if (native.runs) {
    for (const run of native.runs) assert.deepEqual(identity(run), identity(wasm), 'the browser run equals the native run');
  }
  assert.deepEqual(problems, []);
});
