// Called by scripts/minify-js (Trunk's post_build hook) in a release build, before terser.
//
// wasm-bindgen names each import after the JS function it wraps plus a 16-digit hash
// (`__wbg_addEventListener_f2d27251d333a631`), under the module "./kafka-lab-web_bg.js", and each
// export after its Rust function. The names are written twice, in the wasm and in the JS glue, and
// the hashes do not compress: about 6 KB of the page's gzip budget. wasm-opt's
// minify-imports-and-exports-and-modules pass renames them all ("a", "b", …, module "a") and prints
// the renaming as JSON; this script applies the same renaming to the glue.
//
// The glue is rewritten by exact name, and every import must be found exactly once as a key of the
// glue's import object: if a new wasm-bindgen writes the glue differently, the build stops here
// instead of shipping a page that cannot instantiate its wasm.
//
// Usage: node scripts/minify-names.mjs <wasm file> <glue file>
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

const [wasmPath, gluePath] = process.argv.slice(2);
if (!wasmPath || !gluePath) {
  console.error('usage: node scripts/minify-names.mjs <wasm file> <glue file>');
  process.exit(2);
}

// The features rustc's wasm32 target uses (the same list Trunk's wasm-opt run accepts).
const features = ['--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext',
  '--enable-mutable-globals', '--enable-reference-types', '--enable-multivalue'];
const out = execFileSync('wasm-opt', [...features, '--minify-imports-and-exports-and-modules', wasmPath, '-o', wasmPath],
  { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
const renaming = JSON.parse(out);

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
let glue = fs.readFileSync(gluePath, 'utf8');
const fail = (why) => {
  console.error(`scripts/minify-names.mjs: ${why}; the glue no longer looks as this script expects`);
  process.exit(1);
};

const modules = new Set(renaming.imports.map(([module]) => module));
for (const module of modules) {
  const key = new RegExp(`(["'])${escape(module)}\\1(?=\\s*:)`, 'g');
  const found = glue.match(key)?.length ?? 0;
  if (found !== 1) fail(`the import module "${module}" is a key of the import object ${found} times, not once`);
  // wasm-opt moves every import into the module "a".
  glue = glue.replace(key, '"a"');
}
for (const [, name, minified] of renaming.imports) {
  const key = new RegExp(`(?<![\\w$])${escape(name)}(?=\\s*:\\s*function)`, 'g');
  const found = glue.match(key)?.length ?? 0;
  if (found !== 1) fail(`the import ${name} is defined ${found} times in the import object, not once`);
  glue = glue.replace(key, minified);
}
for (const [name, minified] of renaming.exports) {
  // The glue reads the instance's exports as `wasm.<name>`; exports it never reads (main) need nothing.
  glue = glue.replace(new RegExp(`(?<![\\w$])wasm\\.${escape(name)}(?![\\w$])`, 'g'), `wasm.${minified}`);
}
fs.writeFileSync(gluePath, glue);
console.log(`scripts/minify-names.mjs: ${renaming.imports.length} imports and ${renaming.exports.length} exports renamed`);
