/**
 * Polite by default, pacing: Crawl-delay (and its cap), --delay, --per-host, Retry-After on
 * 429/503, adaptive back-off, and one slow or backed-off host never holding up another.
 * Spacing is measured server-side, from request arrival times.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { crawl } from '../src/index.js';
import { html, links, minGap, sleep, politeSuite, text } from './helpers/polite-server.js';

const suite = politeSuite('pacing');
const { newDb, serve } = suite;
const fast = { delay: '0ms', perHost: 4, concurrency: 16, progress: false, retryDelay: '50ms', workers: 1 };
function page(db: string, url: string): Record<string, unknown> | undefined {
  const d = new Database(db, { readonly: true });
  try { return d.prepare('SELECT status, error_code, attempts FROM pages WHERE url = ?').get(url) as Record<string, unknown> | undefined; } finally { d.close(); }
}
/** A site: / links to /p1 … /pN, robots.txt as given. */
function smallSite(n: number, robots?: string, leafDelayMs = 0) {
  const hrefs = Array.from({ length: n }, (_, i) => `/p${i + 1}`);
  return serve({
    ...(robots === undefined ? {} : { '/robots.txt': (_q, res) => text(res, robots) }),
    '/': (_q, res) => html(res, links(hrefs)),
  }, async (_q, res) => { if (leafDelayMs) await sleep(leafDelayMs); html(res, 'leaf'); });
}
const gaps = (times: number[]) => times.slice(1).map((t, i) => Math.round(t - times[i]));

test('robots.txt Crawl-delay spaces request starts to the host', { timeout: 20_000 }, async () => {
  const s = await smallSite(3, 'User-agent: *\nCrawl-delay: 1\n');
  await crawl({ ...fast, seeds: [s.url + '/'], db: newDb() });
  const times = s.pageTimes();
  assert.equal(times.length, 4);
  assert.ok(minGap(times) >= 900, `gaps ${gaps(times)} ms, want >= 1000 (10% slack)`);
});

test('a Crawl-delay above --max-crawl-delay is capped', { timeout: 20_000 }, async () => {
  const s = await smallSite(3, 'User-agent: *\nCrawl-delay: 60\n');
  const t0 = Date.now();
  await crawl({ ...fast, seeds: [s.url + '/'], db: newDb(), maxCrawlDelay: '500ms' });
  const times = s.pageTimes();
  assert.equal(times.length, 4);
  assert.ok(minGap(times) >= 450, `gaps ${gaps(times)} ms, want >= 500`);
  assert.ok(Date.now() - t0 < 10_000, 'not the 60 s the site asked for');
});

test('--delay spaces request starts to one host; --per-host caps requests in flight', { timeout: 20_000 }, async () => {
  const s = await smallSite(4);
  await crawl({ ...fast, perHost: 4, seeds: [s.url + '/'], db: newDb(), delay: '500ms' });
  const times = s.pageTimes();
  assert.equal(times.length, 5);
  assert.ok(minGap(times) >= 450, `gaps ${gaps(times)} ms, want >= 500`);

  const slow = await smallSite(12, undefined, 150);
  await crawl({ ...fast, perHost: 3, seeds: [slow.url + '/'], db: newDb() });
  assert.equal(slow.pageTimes().length, 13);
  assert.ok(slow.maxInflight <= 3, `server saw ${slow.maxInflight} requests at once, want <= 3`);
  assert.ok(slow.maxInflight >= 2, 'per-host parallelism is used');
});

test('429 Retry-After (seconds) and 503 Retry-After (HTTP date) are waited for; the page is stored with its attempts', { timeout: 20_000 }, async () => {
  let n429 = 0, n503 = 0;
  let retryAt = 0;
  const a = await serve({
    '/limited': (_q, res) => {
      if (++n429 === 1) { res.writeHead(429, { 'retry-after': '2' }); res.end(); return; }
      html(res, 'recovered');
    },
  });
  const b = await serve({
    '/busy': (_q, res) => {
      if (++n503 === 1) {
        const date = new Date(Date.now() + 2500).toUTCString(); // whole seconds: 1.5-2.5 s ahead
        retryAt = Date.parse(date);
        res.writeHead(503, { 'retry-after': date });
        res.end();
        return;
      }
      html(res, 'recovered');
    },
  });
  const db = newDb();
  await crawl({ ...fast, seeds: [a.url + '/limited', b.url + '/busy'], db });
  const la = a.log.filter((r) => r.pathname === '/limited');
  assert.equal(la.length, 2);
  assert.ok(la[1].at - la[0].at >= 1980, `429 retried after ${Math.round(la[1].at - la[0].at)} ms, want >= 2000`);
  const lb = b.log.filter((r) => r.pathname === '/busy');
  assert.equal(lb.length, 2);
  assert.ok(retryAt - lb[0].wall >= 1000, 'the date was in the future');
  assert.ok(lb[1].wall >= retryAt - 20, `503 retried ${retryAt - lb[1].wall} ms before its Retry-After date`);
  for (const u of [a.url + '/limited', b.url + '/busy']) assert.deepEqual(page(db, u), { status: 200, error_code: null, attempts: 2 });
});

test('retries exhausted on a 429 without Retry-After: recorded with the attempts made', { timeout: 20_000 }, async () => {
  const s = await serve({ '/always': (_q, res) => { res.writeHead(429); res.end(); } });
  const db = newDb();
  await crawl({ ...fast, seeds: [s.url + '/always'], db, retries: 1, maxCrawlDelay: '200ms' });
  assert.equal(s.count('/always'), 2);
  assert.deepEqual(page(db, s.url + '/always'), { status: 429, error_code: 'HTTP_STATUS', attempts: 2 });
});

test('adaptive back-off grows while a host keeps answering 429, up to --max-crawl-delay', { timeout: 20_000 }, async () => {
  const s = await serve({ '/robots.txt': (_q, res) => text(res, 'none', 'text/plain', 404) }, (_q, res) => { res.writeHead(429); res.end(); });
  const db = newDb();
  await crawl({ ...fast, seeds: ['/a', '/b', '/c', '/d'].map((p) => s.url + p), db, retries: 0, maxCrawlDelay: '1500ms' });
  const g = gaps(s.pageTimes());
  assert.equal(g.length, 3);
  assert.ok(g[0] >= 900, `first back-off ${g[0]} ms, want >= 1000`);
  assert.ok(g[1] >= 1400 && g[2] >= 1400, `back-off doubled (capped at 1500 ms) after more 429s: gaps ${g}`);
  assert.deepEqual(page(db, s.url + '/d'), { status: 429, error_code: 'HTTP_STATUS', attempts: 1 });
});

test('adaptive back-off: a host that 429s slows down; a fast host and a slow host do not hold each other up', { timeout: 30_000 }, async () => {
  let first = true;
  const limited = await serve({
    '/': (_q, res) => {
      if (first) { first = false; res.writeHead(429); res.end(); return; } // no Retry-After: back-off alone
      html(res, links(['/a', '/b']));
    },
  }, (_q, res) => html(res, 'leaf'));
  const fastHost = await smallSite(8);
  const slowHost = await smallSite(3, undefined, 1200);
  const db = newDb();
  await crawl({ ...fast, perHost: 2, concurrency: 3, seeds: [limited.url + '/', fastHost.url + '/', slowHost.url + '/'], db });

  const lt = limited.pageTimes();
  assert.equal(lt.length, 4, '429, retry, /a, /b');
  const g = gaps(lt);
  assert.ok(g[0] >= 900, `retry after the 429 came ${g[0]} ms later; back-off is at least 1 s even with --retry-delay 50ms`);
  assert.ok(Math.min(...g.slice(1)) >= 400, `the host stays slowed after recovering (gaps ${g}), the back-off decays by halves`);
  assert.equal(page(db, limited.url + '/')?.status, 200);

  const ft = fastHost.pageTimes();
  assert.equal(ft.length, 9, 'every page of the fast host fetched');
  const fastDone = Math.max(...ft);
  assert.ok(fastDone < lt[1], 'the fast host finished while the 429 host was backed off');
  assert.ok(fastDone < Math.min(...slowHost.pageTimes()) + 1200, 'the fast host finished while the slow host was still answering its first page');
  assert.equal(page(db, slowHost.url + '/p3')?.status, 200, 'the slow host is crawled too');
});
