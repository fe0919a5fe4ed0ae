/**
 * Second and later runs on a real SQLite file against a local server whose pages change between
 * runs: links kept current, 304 sizes, non-HTML revalidation, gone once, redirect links, and hosts
 * that could not be reached.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import http from 'node:http';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { crawl } from '../src/index.js';
import { startRouteServer, type Handler } from './helpers/route-server.js';
import { tempDir } from './helpers/cli.js';

const dir = tempDir();
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const html = (body: string, headers: Record<string, string> = {}): Handler => (_q, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...headers });
  res.end(`<!doctype html><html><head><title>t</title></head><body>${body}</body></html>`);
};
const status = (code: number, headers: Record<string, string> = {}): Handler => (_q, res) => { res.writeHead(code, headers); res.end(); };

function rows<T>(db: string, sql: string, ...args: unknown[]): T[] {
  const d = new Database(db, { readonly: true });
  try { return d.prepare(sql).all(...args) as T[]; } finally { d.close(); }
}
const linksFrom = (db: string, url: string) =>
  rows<{ to_url: string; rel: string | null }>(db, 'SELECT to_url, rel FROM v_links WHERE from_url = ? ORDER BY to_url', url).map((r) => r.to_url);

test('recrawls keep links current, sizes after a 304, non-HTML revalidated, gone once, redirects linked', async () => {
  const pdf = { body: Buffer.from('%PDF-1.4 one'), etag: '"pdf1"' };
  const seen: Record<string, string | undefined> = {};
  const srv = await startRouteServer({
    '/': html('<a href="/a">a</a> <a href="/file.pdf">pdf</a> <a href="/old">old</a> <a href="/dir">dir</a> <a href="/gone">gone</a> <a href="/same">same</a>'),
    '/a': html('page a'),
    '/old': html('old target'),
    '/same': html('<p>same text</p>', { etag: '"same1"' }),
    '/gone': html('<a href="/z">z</a>'),
    '/z': html('z'),
    '/dir': status(301, { location: '/dir/' }),
    '/dir/': status(403),
    '/file.pdf': (q, res) => {
      seen['/file.pdf'] = q.headers['if-none-match'];
      if (q.headers['if-none-match'] === pdf.etag) { res.writeHead(304, { etag: pdf.etag }); res.end(); return; }
      res.writeHead(200, { 'content-type': 'application/pdf', etag: pdf.etag, 'content-length': pdf.body.length });
      res.end(pdf.body);
    },
  });
  const o = srv.origin;
  const db = path.join(dir, 'recrawl.db');
  const run = () => crawl({ seeds: [o + '/'], db, delay: '0ms', perHost: 4, progress: false, ignoreRobots: true, recrawlAfter: '0' });
  await run();
  assert.deepEqual(linksFrom(db, o + '/dir'), [o + '/dir/'], 'a redirect has its links row');
  assert.deepEqual(rows(db, "SELECT to_url FROM v_broken_links WHERE from_url = ?", o + '/dir'), [{ to_url: o + '/dir/' }], 'and its 403 target is a broken link');
  const pdfRow = () => rows<{ bytes: number; content_hash: string | null; status: number }>(db, 'SELECT bytes, content_hash, status FROM pages WHERE url = ?', o + '/file.pdf')[0];
  assert.ok(pdfRow().content_hash, 'a non-HTML body is hashed');
  const sameBytes = rows<{ bytes: number }>(db, 'SELECT bytes FROM pages WHERE url = ?', o + '/same')[0].bytes;

  // Run 2: only an href changes on /; /gone answers 404; /same answers 304; the PDF is revalidated.
  srv.routes['/'] = html('<a href="/a">a</a> <a href="/file.pdf">pdf</a> <a href="/new">old</a> <a href="/dir">dir</a> <a href="/gone">gone</a> <a href="/same">same</a>');
  srv.routes['/gone'] = status(404);
  srv.routes['/same'] = (q, res) => { if (q.headers['if-none-match'] === '"same1"') { res.writeHead(304); res.end(); } else html('<p>same text</p>', { etag: '"same1"' })(q, res); };
  const r2 = await run();
  const change = (p: string, runId: number) => rows<{ change: string }>(db, 'SELECT change FROM v_changes WHERE url = ? AND run_id = ?', o + p, runId)[0]?.change;
  assert.equal(change('/', r2.runId), 'unchanged', 'the text did not change…');
  assert.ok(linksFrom(db, o + '/').includes(o + '/new') && !linksFrom(db, o + '/').includes(o + '/old'), '…but the links did');
  assert.deepEqual(rows(db, 'SELECT from_url FROM v_broken_links WHERE to_url = ?', o + '/new'), [{ from_url: o + '/' }], 'the new 404 target is a broken link');
  assert.equal(seen['/file.pdf'], pdf.etag, 'the PDF was asked for conditionally');
  assert.equal(change('/file.pdf', r2.runId), 'unchanged');
  assert.equal(change('/same', r2.runId), 'unchanged');
  assert.equal(rows<{ bytes: number }>(db, 'SELECT bytes FROM pages WHERE url = ?', o + '/same')[0].bytes, sameBytes, 'a 304 keeps the stored size');
  assert.equal(change('/gone', r2.runId), 'gone');
  assert.deepEqual(linksFrom(db, o + '/gone'), [], 'a gone page links nowhere');
  assert.deepEqual(rows(db, 'SELECT from_url FROM v_broken_links WHERE from_url = ?', o + '/gone'), []);

  // Run 3: the PDF changes (new validator); /gone is still 404.
  pdf.body = Buffer.from('%PDF-1.4 two, longer'); pdf.etag = '"pdf2"';
  const r3 = await run();
  assert.equal(change('/file.pdf', r3.runId), 'changed', 'a changed file is recorded changed');
  assert.equal(pdfRow().bytes, pdf.body.length);
  assert.equal(change('/gone', r3.runId), 'error', 'gone is recorded once');
  assert.deepEqual(rows(db, 'SELECT gone FROM runs WHERE id = ?', r3.runId), [{ gone: 0 }]);
});

test('an unreachable host: the real cause in the outcome and the summary, exit 7, and asked again on the next run', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
  const db = path.join(dir, 'unreachable.db');
  const opts = { seeds: [`http://127.0.0.1:${port}/`], db, delay: '0ms', progress: false, recrawlAfter: '0', retries: 0 };
  const first = await crawl(opts);
  assert.equal(first.exitCode, 7, 'nothing answered');
  assert.deepEqual(first.errorsByCode, { HOST_DOWN: 1 });
  assert.deepEqual(first.hostsDown.map((d) => d.code), ['CONNECTION_REFUSED'], 'the summary names the cause');
  const [row] = rows<{ error_code: string; error_message: string }>(db, 'SELECT error_code, error_message FROM pages');
  assert.equal(row.error_code, 'HOST_DOWN');
  assert.match(row.error_message, /is down \(CONNECTION_REFUSED: robots\.txt could not be fetched: .*not fetched this run/);
  assert.deepEqual(rows(db, 'SELECT * FROM robots'), [], 'a network failure is not a robots.txt answer');

  const srv = http.createServer((q, res) => {
    if (q.url === '/robots.txt') { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': 'text/html' }); res.end('<title>up</title>');
  });
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
  try {
    const second = await crawl(opts);
    assert.equal(second.exitCode, 0);
    assert.deepEqual(rows(db, 'SELECT status, title FROM pages'), [{ status: 200, title: 'up' }], 'the host is asked again right away');
  } finally {
    srv.close();
  }
});

test('--fresh ends an interrupted run and starts over; other seeds on a resume are announced', async () => {
  const srv = await startRouteServer({ '/': html('<a href="/slow">s</a>'), '/slow': (_q, res) => setTimeout(() => html('slow')(_q, res), 300), '/b': html('b') });
  const db = path.join(dir, 'fresh.db');
  const base = { db, delay: '0ms', progress: false, ignoreRobots: true };
  const ac = new AbortController();
  const first = await crawl({ ...base, seeds: [srv.origin + '/'] }, { signal: ac.signal, onPage: () => ac.abort() });
  assert.equal(first.status, 'interrupted');
  const notices: string[] = [];
  const ac2 = new AbortController();
  ac2.abort();
  await crawl({ ...base, seeds: [srv.origin + '/b'] }, { signal: ac2.signal, onStart: (i) => notices.push(...i.notices) });
  assert.match(notices.join('\n'), /other seeds.*--fresh/);
  const fresh = await crawl({ ...base, seeds: [srv.origin + '/b'], fresh: true });
  assert.equal(fresh.status, 'done');
  assert.notEqual(fresh.runId, first.runId);
  assert.deepEqual(rows(db, 'SELECT id, status, stop_reason FROM runs ORDER BY id'), [
    { id: first.runId, status: 'interrupted', stop_reason: 'superseded' }, { id: fresh.runId, status: 'done', stop_reason: 'finished' }]);
  assert.deepEqual(rows(db, 'SELECT url FROM page_runs r JOIN urls u ON u.id = r.url_id WHERE run_id = ?', fresh.runId), [{ url: srv.origin + '/b' }],
    'the new run crawls only its own seeds');
});

test('progress after a resume counts this session only (rate and ETA are not inflated by earlier sessions)', async () => {
  const pages: Record<string, Handler> = { '/': html(Array.from({ length: 40 }, (_, i) => `<a href="/p${i}">p</a>`).join(' ')) };
  // 50 ms a page at 2 in flight: the resumed session lasts long enough for progress events (every 250 ms).
  for (let i = 0; i < 40; i++) pages[`/p${i}`] = (q, res) => { setTimeout(() => html(`page ${i}`)(q, res), 50); };
  const srv = await startRouteServer(pages);
  const db = path.join(dir, 'progress.db');
  const base = { seeds: [srv.origin + '/'], db, delay: '0ms', perHost: 2, concurrency: 2, progress: false, ignoreRobots: true };
  const ac = new AbortController();
  let seen = 0;
  const first = await crawl(base, { signal: ac.signal, onPage: () => { if (++seen === 20) ac.abort(); } });
  assert.equal(first.status, 'interrupted');
  const before = first.counters.pages;
  let maxProgress = 0;
  const second = await crawl(base, { onProgress: (p) => { maxProgress = Math.max(maxProgress, p.counters.pages); } });
  assert.equal(second.runId, first.runId, 'the same run resumed');
  assert.equal(second.counters.pages, 41, 'the run\'s counters cover both sessions');
  assert.equal(second.session.pages, 41 - before, 'the session\'s only this one');
  assert.ok(maxProgress > 0, 'progress was reported');
  assert.ok(maxProgress <= second.session.pages, `progress showed ${maxProgress} pages, this session fetched ${second.session.pages}`);
});
