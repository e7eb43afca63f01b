// The startup bench's baseline (tests/bench/startup.ts): the least a server of Minerva's UI can
// be — plain Node serving dist/renderer's files on loopback, no core, no database, no practice
// network. Prints `{"url": …}` once it listens, as `minerva serve --json` does.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- run as its own CommonJS process */
const { createServer } = require('node:http');
const { readFile } = require('node:fs/promises');
const { extname, join, normalize } = require('node:path');

const root = process.argv[2];
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.woff2': 'font/woff2' };
const server = createServer((req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
  const file = join(root, path === '/' ? 'index.html' : path);
  readFile(file).then(
    (body) => res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body),
    () => readFile(join(root, 'index.html')).then((body) => res.writeHead(200, { 'content-type': types['.html'] }).end(body)),
  );
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}/` })));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
