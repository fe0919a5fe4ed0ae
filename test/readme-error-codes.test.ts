/**
 * Issue 23 item 8: the README's table of error codes against the code and against what a crawl
 * stores. Every code the crawler records on page rows is in the table and nothing else is; a crawl
 * that meets the common failures stores, for each, the code whose README row describes it (a host
 * whose robots.txt cannot be reached was once stored CONNECTION_REFUSED while the README said
 * ROBOTS_UNAVAILABLE).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { crawl } from '../src/index.js';
import { ErrorCodes } from '../src/errors.js';
import { ROOT, tempDir } from './helpers/cli.js';
import { startRouteServer } from './helpers/route-server.js';

const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const dir = tempDir('crawl-codes-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** code -> the meaning cell of its README row. */
function readmeCodes(): Map<string, string> {
  const section = /^## Error codes\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? '';
  const out = new Map<string, string>();
  for (const row of section.split('\n').filter((l) => l.startsWith('| `'))) {
    const [, codes, meaning] = row.split('|').map((c) => c.trim());
    for (const m of codes.matchAll(/`([A-Z_]+)`/g)) out.set(m[1], meaning);
  }
  return out;
}

/** Codes of the run itself (thrown, mapped to exit codes), never stored on a page. */
const RUN_LEVEL = new Set<string>([ErrorCodes.BAD_INPUT, ErrorCodes.LOCKED, ErrorCodes.DB_ERROR, ErrorCodes.INTERNAL]);

test('the README lists exactly the codes the crawler records on page rows', () => {
  const documented = [...readmeCodes().keys()].sort();
  const recorded = Object.values(ErrorCodes).filter((c) => !RUN_LEVEL.has(c)).sort();
  assert.deepEqual(documented, recorded);
});

test('a crawl stores, for each failure it meets, the code the README describes for it', async () => {
  const codes = readmeCodes();
  const html = (body: string) => (_q: unknown, res: import('node:http').ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/html' }); res.end(body);
  };
  const site = await startRouteServer({
    '/robots.txt': (_q, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('User-agent: *\nDisallow: /private\n'); },
    '/': html('<a href="/missing">gone</a> <a href="/private">private</a> <a href="/loop">loop</a> <a href="/ok">ok</a>'),
    '/ok': html('<title>ok</title>'),
    '/loop': (_q, res) => { res.writeHead(301, { location: '/loop' }); res.end(); },
  });
  const unavailable = await startRouteServer({
    '/robots.txt': (_q, res) => { res.writeHead(503); res.end('down'); },
  }, '127.0.0.2');
  const refusedPort = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
  const refused = `http://127.0.0.1:${refusedPort}`;
  const db = path.join(dir, 'codes.db');
  const summary = await crawl({
    seeds: [site.origin + '/', unavailable.origin + '/page', refused + '/page'], db, delay: '0ms', progress: false,
    retries: 0, robotsRetry: '50ms', allowPrivate: true,
  });
  assert.equal(summary.status, 'done');
  const d = new Database(db, { readonly: true });
  let rows: { url: string; error_code: string | null }[];
  try { rows = d.prepare('SELECT url, error_code FROM pages').all() as typeof rows; } finally { d.close(); }
  const codeOf = (url: string) => rows.find((r) => r.url === url)?.error_code;

  const expected: [string, string, RegExp][] = [
    [site.origin + '/missing', 'HTTP_STATUS', /error status/],
    [site.origin + '/private', 'ROBOTS_DISALLOWED', /disallows/],
    [site.origin + '/loop', 'REDIRECT_LOOP', /looping/],
    [unavailable.origin + '/page', 'ROBOTS_UNAVAILABLE', /robots\.txt answered 5xx/],
    [refused + '/page', 'HOST_DOWN', /robots\.txt got no answer/],
  ];
  for (const [url, code, meaning] of expected) {
    assert.equal(codeOf(url), code, `${url} is stored ${code}`);
    assert.match(codes.get(code) ?? '', meaning, `the README row of ${code} describes what happened to ${url}`);
  }
  for (const r of rows) if (r.error_code) assert.ok(codes.has(r.error_code), `${r.error_code} (${r.url}) is in the README table`);
});
