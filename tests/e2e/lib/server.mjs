// A static server for dist/ mounted under a sub-path, as a course site would host the lab.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../dist');
export const SUB_PATH = '/courses/kafka/';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm',
  '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json', '.toml': 'text/plain',
  '.png': 'image/png', '.ico': 'image/x-icon',
};

/** Serves DIST under SUB_PATH on 127.0.0.1 (a free port). Extra pages (path → html) can be added. */
export async function serveDist(extraPages = {}) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (extraPages[url.pathname]) {
      res.writeHead(200, { 'content-type': TYPES['.html'] });
      res.end(extraPages[url.pathname]);
      return;
    }
    if (!url.pathname.startsWith(SUB_PATH)) { res.writeHead(404); res.end(); return; }
    let rel = decodeURIComponent(url.pathname.slice(SUB_PATH.length)) || 'index.html';
    const file = path.join(DIST, rel);
    if (!file.startsWith(DIST) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404); res.end(); return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { origin, url: origin + SUB_PATH, close: () => new Promise((r) => server.close(r)) };
}
