/**
 * Issue 23 item 7: one definition of "errors" — URLs whose outcome this run is a failure — in the
 * summary's headline, its by-code breakdown, `crawl runs`, the JSON summary and the library's
 * RunSummary. Gone pages (a 404 after a success) and disallowed ones have their own counts; they
 * once appeared in the breakdown ("errors 2: HTTP_STATUS 4").
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type http from 'node:http';
import { runCli, seedFile, tempDir } from './helpers/cli.js';
import { startRouteServer } from './helpers/route-server.js';

const dir = tempDir('crawl-counts-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const page = (body: string) => (_q: http.IncomingMessage, res: http.ServerResponse) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(body); };
const notFound = (_q: http.IncomingMessage, res: http.ServerResponse) => { res.writeHead(404, { 'content-type': 'text/html' }); res.end('no'); };

test('errors: the headline, the breakdown, crawl runs and the JSON summary count the same URLs', async () => {
  const site = await startRouteServer({
    '/robots.txt': (_q, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('User-agent: *\nDisallow: /private\n'); },
    '/': page('<a href="/a">a</a> <a href="/b">b</a> <a href="/missing">m</a> <a href="/missing2">m2</a> <a href="/private">p</a>'),
    '/a': page('<title>a</title>'),
    '/b': page('<title>b</title>'),
  });
  const seeds = seedFile(dir, [site.origin + '/']);
  const db = `${dir}/counts.db`;
  const args = ['--urls', seeds, '--db', db, '--delay', '0ms', '--no-progress', '--retries', '0', '--recrawl-after', '0'];
  assert.equal((await runCli(args)).code, 0);
  // Run 2: /a and /b are gone (404 after a success), /missing and /missing2 still fail, /private is disallowed.
  site.routes['/a'] = notFound;
  site.routes['/b'] = notFound;
  const plain = await runCli(args);
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stderr, /gone 2, redirects 0, disallowed 1/);
  const line = /^ {2}errors {4}(\d+): (.*)$/m.exec(plain.stderr);
  assert.ok(line, plain.stderr);
  const breakdown = Object.fromEntries(line[2].split(', ').map((x) => { const [k, v] = x.split(' '); return [k, Number(v)]; }));
  assert.deepEqual(breakdown, { HTTP_STATUS: 2 }, 'the breakdown counts the failed URLs only');
  assert.equal(Number(line[1]), 2, 'the headline counts the same URLs');

  site.routes['/b'] = page('<title>b</title>'); // b is back; a stays an error (gone once, then an error)
  const json = await runCli([...args, '--log-format', 'json']);
  const summary = JSON.parse(json.stderr.trim().split('\n').at(-1)!) as { run: number; errors: number; gone: number; errors_by_code: Record<string, number> };
  assert.equal(summary.gone, 0);
  assert.deepEqual(summary.errors_by_code, { HTTP_STATUS: 3 });
  assert.equal(summary.errors, 3);

  const runs = await runCli(['runs', '--db', db, '--format', 'json']);
  assert.equal(runs.code, 0, runs.stderr);
  const rows = JSON.parse(runs.stdout) as { id: number; errors: number; gone: number }[];
  assert.deepEqual(rows.map((r) => [r.id, r.errors, r.gone]).sort((x, y) => x[0] - y[0]), [[1, 2, 0], [2, 2, 2], [3, 3, 0]]);
});
