/**
 * Crawler-trap defences at the crawl level: an endless calendar, repeated path segments, very long
 * URLs and session/tracking parameters. Every crawl runs under an abort deadline, so a defence that
 * stopped working fails the test ("aborted") instead of hanging it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { crawl, type CrawlOptions } from '../src/index.js';
import { html, links, politeSuite, type PoliteServer } from './helpers/polite-server.js';

const suite = politeSuite('traps');
const { newDb, serve } = suite;
const fast = { delay: '0ms', perHost: 8, concurrency: 16, progress: false, workers: 1 };
function query(db: string, sql: string, ...params: unknown[]): Record<string, unknown>[] {
  const d = new Database(db, { readonly: true });
  try { return d.prepare(sql).all(...params) as Record<string, unknown>[]; } finally { d.close(); }
}
/** Crawls with an abort deadline; the summary says whether the crawl ended by itself. */
function bounded(opts: Partial<CrawlOptions> & { seeds: string[] }, ms = 20_000) {
  return crawl(opts, { signal: AbortSignal.timeout(ms) });
}

const day = (d: Date) => d.toISOString().slice(0, 10);
const nextDay = (d: Date) => new Date(d.getTime() + 86_400_000);
const nextMonth = (d: Date) => { const n = new Date(d); n.setUTCMonth(n.getUTCMonth() + 1); return n; };

/** /cal/YYYY-MM-DD links to the next day and the next month, forever. */
function calendar(): Promise<PoliteServer> {
  return serve({}, (_q, res, u) => {
    const m = /^\/cal\/(\d{4}-\d{2}-\d{2})$/.exec(u.pathname);
    if (!m) { res.writeHead(404); res.end(); return; }
    const d = new Date(m[1] + 'T00:00:00Z');
    html(res, links([`/cal/${day(nextDay(d))}`, `/cal/${day(nextMonth(d))}`]));
  });
}
/** Dates reachable from the start in at most `depth` clicks (the trap's true shape). */
function reachable(start: string, depth: number): Set<string> {
  const seen = new Set([start]);
  let level = [new Date(start + 'T00:00:00Z')];
  for (let i = 0; i < depth; i++) {
    const next: Date[] = [];
    for (const d of level) for (const n of [nextDay(d), nextMonth(d)]) if (!seen.has(day(n))) { seen.add(day(n)); next.push(n); }
    level = next;
  }
  return seen;
}
const calPages = (s: PoliteServer) => s.log.filter((r) => r.pathname.startsWith('/cal/')).map((r) => r.pathname.slice(5));

test('calendar trap: default limits end the crawl; every page within --max-depth (16), each fetched once', { timeout: 30_000 }, async () => {
  const s = await calendar();
  const db = newDb();
  const summary = await bounded({ ...fast, seeds: [s.url + '/cal/2024-01-01'], db });
  assert.equal(summary.stopReason, 'finished', 'the crawl ended by itself');
  const fetched = calPages(s);
  assert.equal(new Set(fetched).size, fetched.length, 'no page fetched twice');
  const within = reachable('2024-01-01', 16);
  for (const d of fetched) assert.ok(within.has(d), `${d} is deeper than 16 clicks`);
  for (const d of reachable('2024-01-01', 3)) assert.ok(fetched.includes(d), `${d} (3 clicks away) was crawled`);
  const maxDepth = query(db, 'SELECT max(depth) d FROM pages')[0].d as number;
  assert.ok(maxDepth <= 16, `depth ${maxDepth}`);
  assert.ok(fetched.length <= within.size);
});

test('calendar trap: --max-depth and --max-pages-per-host bound it further', { timeout: 30_000 }, async () => {
  const s = await calendar();
  const shallow = await bounded({ ...fast, seeds: [s.url + '/cal/2024-01-01'], db: newDb(), maxDepth: 3 });
  assert.equal(shallow.stopReason, 'finished');
  const within3 = reachable('2024-01-01', 3);
  const got = calPages(s);
  assert.ok(got.length <= within3.size && got.every((d) => within3.has(d)), `fetched ${got.length}, at most ${within3.size} within depth 3`);

  const before = s.log.length;
  const db = newDb();
  const capped = await bounded({ ...fast, seeds: [s.url + '/cal/2024-01-01'], db, maxPagesPerHost: 12 });
  assert.equal(capped.stopReason, 'finished');
  const pages = s.log.slice(before).filter((r) => r.pathname.startsWith('/cal/')).length;
  assert.equal(pages, 12, 'exactly --max-pages-per-host pages fetched');
  assert.equal(query(db, 'SELECT count(*) n FROM pages')[0].n, 12);
});

test('repeated path segments (/a/b/a/b/a/...) are not followed, but the links are stored', { timeout: 30_000 }, async () => {
  // Every page under /loop/ links to the relative paths a/ and b/: the path grows forever.
  const s = await serve({}, (_q, res, u) => {
    if (!u.pathname.startsWith('/loop/')) { res.writeHead(404); res.end(); return; }
    html(res, links(['a/', 'b/']));
  });
  const db = newDb();
  const summary = await bounded({ ...fast, seeds: [s.url + '/loop/'], db, maxPages: 400 });
  assert.equal(summary.stopReason, 'finished', 'ended by itself, not by --max-pages');
  const repeats = (p: string) => Math.max(0, ...['a', 'b'].map((x) => p.split('/').filter((seg) => seg === x).length));
  for (const r of s.log) assert.ok(repeats(r.pathname) <= 2, `fetched ${r.pathname}`);
  assert.equal(s.count('/loop/a/b/a/b/'), 1, 'two repeats are allowed (--max-repeated-segments 2)');
  const stored = query(db, 'SELECT count(*) n FROM urls WHERE url = ?', s.url + '/loop/a/b/a/b/a/')[0].n;
  assert.equal(stored, 1, 'the trap link is recorded');
  assert.equal(s.count('/loop/a/b/a/b/a/'), 0);
});

test('--max-url-length: longer URLs are not followed', { timeout: 20_000 }, async () => {
  const long = '/long/' + 'x'.repeat(120);
  const s = await serve({ '/': (_q, res) => html(res, links([long, '/short'])) }, (_q, res) => html(res, 'leaf'));
  const db = newDb();
  await bounded({ ...fast, seeds: [s.url + '/'], db, maxUrlLength: 100 });
  assert.equal(s.count('/short'), 1);
  assert.equal(s.count(long), 0, 'the long URL is not fetched');
  assert.equal(query(db, 'SELECT count(*) n FROM v_links WHERE to_url = ?', s.url + long)[0].n, 1, 'its link is stored');
  // The default (2048) lets it through.
  await bounded({ ...fast, seeds: [s.url + '/'], db: newDb() });
  assert.equal(s.count(long), 1);
});

test('session and tracking parameters are stripped: /page?utm_source=x, ;jsessionid and /page are one URL, fetched once', { timeout: 20_000 }, async () => {
  const variants = ['/page?utm_source=x', '/page?utm_medium=m&utm_campaign=c', '/page;jsessionid=ABC123', '/page?PHPSESSID=42', '/page?sid=1&fbclid=z', '/page'];
  const s = await serve({ '/': (_q, res) => html(res, links([...variants, '/keep?id=7&utm_source=x'])) }, (_q, res) => html(res, 'leaf'));
  const db = newDb();
  await bounded({ ...fast, seeds: [s.url + '/?utm_source=seed'], db });
  const pageHits = s.log.filter((r) => r.pathname.startsWith('/page'));
  assert.deepEqual(pageHits.map((r) => r.path), ['/page'], 'fetched once, without the parameters');
  assert.equal(s.count('/'), 1, 'the seed was normalized too');
  assert.equal(s.count('/keep?id=7'), 1, 'other parameters are kept');
  const urls = query(db, "SELECT url FROM urls WHERE url LIKE '%page%'").map((r) => r.url);
  assert.deepEqual(urls, [s.url + '/page']);
});
