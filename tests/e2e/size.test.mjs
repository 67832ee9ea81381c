// The budget: everything shipped (wasm + js + css) stays within 300 KB gzip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { DIST } from './lib/server.mjs';

export const SHIPPED_GZIP_BYTES_MAX = 300 * 1024;

test('the shipped wasm, js and css fit in 300 KB gzip', () => {
  const shipped = fs.readdirSync(DIST).filter((f) => /\.(wasm|js|css)$/.test(f));
  assert.ok(shipped.some((f) => f.endsWith('.wasm')), 'dist/ holds the wasm module');
  let total = 0;
  for (const f of shipped) {
    const gz = zlib.gzipSync(fs.readFileSync(path.join(DIST, f)), { level: 9 }).length;
    console.log(`  ${f}: ${gz} bytes gzip`);
    total += gz;
  }
  console.log(`  shipped total: ${total} bytes gzip (budget ${SHIPPED_GZIP_BYTES_MAX})`);
  assert.ok(total <= SHIPPED_GZIP_BYTES_MAX, `shipped ${total} bytes gzip exceeds ${SHIPPED_GZIP_BYTES_MAX}`);
});
