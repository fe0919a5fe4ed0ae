/**
 * Polite by default, at the crawl level: robots.txt groups and caching, robots.txt failures,
 * User-Agent, sitemaps and meta/X-Robots-Tag directives. The real crawler runs against local
 * servers; outcomes are read from the SQLite file and the server's request log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import zlib from 'node:zlib';
import Database from 'better-sqlite3';
import { crawl } from '../src/index.js';
import { FAST, runCli, seedFile } from './helpers/cli.js';
import { html, links, politeSuite, text, type PoliteServer } from './helpers/polite-server.js';

const suite = politeSuite('polite');
const { newDb, serve } = suite;
const fast = { delay: '0ms', perHost: 4, concurrency: 16, progress: false, retryDelay: '50ms', workers: 1 };
type Row = Record<string, unknown>;
function query(db: string, sql: string, ...params: unknown[]): Row[] {
  const d = new Database(db, { readonly: true });
  try { return d.prepare(sql).all(...params) as Row[]; } finally { d.close(); }
}
function page(db: string, url: string): Row | undefined {
  return query(db, 'SELECT status, error_code, error_message, attempts, noindex, nofollow, depth, source FROM pages WHERE url = ?', url)[0];
}

const ROBOTS = [
  'User-agent: googlebot', 'Disallow: /', '',
  'User-agent: crawl', 'Disallow: /private/', 'Allow: /private/open', 'Disallow: /*.pdf$', 'Disallow: /search*q=', '',
  'User-agent: *', 'Disallow: /only-star/', '',
].join('\n');
const ALLOWED = ['/public', '/private/open', '/doc.pdf?x=1', '/only-star/a', '/search?x=1'];
const DISALLOWED = ['/private/x', '/doc.pdf', '/search?q=1', '/dir/b.pdf'];

test('robots.txt: the crawl group wins over googlebot and *; wildcards and $; fetched once per run, cached across runs; --ignore-robots', { timeout: 30_000 }, async () => {
  const s = await serve({
    '/robots.txt': (_q, res) => text(res, ROBOTS),
    '/': (_q, res) => html(res, links([...ALLOWED, ...DISALLOWED])),
  }, (_q, res) => html(res, 'leaf'));
  const db = newDb();
  const first = await crawl({ ...fast, seeds: [s.url + '/'], db });
  assert.equal(first.status, 'done');
  for (const p of DISALLOWED) {
    assert.equal(s.count(p), 0, `${p} must never reach the server`);
    assert.equal(page(db, s.url + p)?.error_code, 'ROBOTS_DISALLOWED', `${p} recorded as disallowed`);
  }
  for (const p of ['/', ...ALLOWED]) {
    assert.equal(s.count(p), 1, `${p} fetched once`);
    assert.equal(page(db, s.url + p)?.status, 200, `${p} stored`);
  }
  const changes = query(db, "SELECT count(*) n FROM page_runs WHERE change = 'disallowed'")[0].n;
  assert.equal(changes, DISALLOWED.length);
  assert.equal(s.count('/robots.txt'), 1, 'robots.txt fetched once for the whole run');
  assert.equal(first.counters.requests, s.log.length, 'the requests counter includes robots.txt');

  // A second run within 24 h refetches the pages but takes robots.txt from the database.
  const second = await crawl({ ...fast, seeds: [s.url + '/'], db, recrawlAfter: '0' });
  assert.equal(second.runId, first.runId + 1);
  assert.equal(s.count('/'), 2, 'pages were fetched again');
  assert.equal(s.count('/robots.txt'), 1, 'robots.txt came from the database cache');

  // --ignore-robots: no robots.txt request, everything fetched.
  const before = s.count('/robots.txt');
  const ign = newDb();
  await crawl({ ...fast, seeds: [s.url + '/'], db: ign, ignoreRobots: true });
  assert.equal(s.count('/robots.txt'), before, 'robots.txt not requested');
  for (const p of DISALLOWED) {
    assert.equal(s.count(p), 1, `${p} fetched with --ignore-robots`);
    assert.equal(page(ign, s.url + p)?.status, 200);
  }
});

test('robots.txt 500 then 200: the host is held, robots.txt fetched again, and the site crawled', { timeout: 20_000 }, async () => {
  let n = 0;
  const s = await serve({
    '/robots.txt': (_q, res) => (++n === 1 ? text(res, 'oops', 'text/plain', 500) : text(res, 'User-agent: *\nDisallow: /no\n')),
    '/': (_q, res) => html(res, links(['/a', '/no'])),
  }, (_q, res) => html(res, 'leaf'));
  const db = newDb();
  await crawl({ ...fast, seeds: [s.url + '/'], db, robotsRetry: '300ms' });
  const robotsAt = s.log.filter((r) => r.pathname === '/robots.txt').map((r) => r.at);
  assert.equal(robotsAt.length, 2, 'robots.txt fetched again after the 500');
  assert.ok(robotsAt[1] - robotsAt[0] >= 280, `waited --robots-retry before the second robots.txt (${Math.round(robotsAt[1] - robotsAt[0])} ms)`);
  assert.equal(page(db, s.url + '/')?.status, 200, 'the seed was not given up');
  assert.equal(page(db, s.url + '/a')?.status, 200);
  assert.equal(page(db, s.url + '/no')?.error_code, 'ROBOTS_DISALLOWED');
  assert.equal(s.count('/no'), 0);
});

test('robots.txt always 500: URLs recorded ROBOTS_UNAVAILABLE after the retries, never fetched', { timeout: 20_000 }, async () => {
  const s = await serve({ '/robots.txt': (_q, res) => text(res, 'down', 'text/plain', 503) }, (_q, res) => html(res, 'leaf'));
  const db = newDb();
  await crawl({ ...fast, seeds: [s.url + '/', s.url + '/x'], db, robotsRetry: '100ms' });
  assert.equal(s.count('/robots.txt'), 3, 'first fetch plus two retries');
  assert.equal(s.log.filter((r) => r.pathname !== '/robots.txt').length, 0, 'no page fetched');
  for (const p of ['/', '/x']) assert.equal(page(db, s.url + p)?.error_code, 'ROBOTS_UNAVAILABLE');
});

test('robots.txt on an unreachable host: the host is down, its URLs are recorded HOST_DOWN with the real cause at once, robots.txt asked once', { timeout: 20_000 }, async () => {
  // A port that was just free: connection refused.
  const tmp = http.createServer();
  await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', r));
  const port = (tmp.address() as { port: number }).port;
  await new Promise<void>((r) => tmp.close(() => r()));
  const origin = `http://127.0.0.1:${port}`;
  const db = newDb();
  const summary = await crawl({ ...fast, seeds: [origin + '/a', origin + '/b', origin + '/c'], db });
  assert.equal(summary.status, 'done');
  assert.equal(summary.counters.requests, 1, 'one robots.txt attempt: no retry wait for a host that cannot be reached');
  assert.deepEqual(summary.errorsByCode, { HOST_DOWN: 3 });
  assert.deepEqual(summary.hostsDown.map((d) => [d.host, d.code, d.urls]), [[`127.0.0.1:${port}`, 'CONNECTION_REFUSED', 3]]);
  for (const p of ['/a', '/b', '/c']) {
    const row = page(db, origin + p);
    assert.equal(row?.error_code, 'HOST_DOWN');
    assert.match(String(row?.error_message), /^host 127\.0\.0\.1:\d+ is down \(CONNECTION_REFUSED: robots\.txt could not be fetched: connect ECONNREFUSED .*not fetched this run/);
  }
});

test('User-Agent: default names the crawler; --user-agent overrides it and picks its robots.txt group (CLI)', { timeout: 30_000 }, async () => {
  const s = await serve({
    '/robots.txt': (_q, res) => text(res, 'User-agent: mybot\nDisallow: /no-mybot\n\nUser-agent: crawl\nDisallow: /no-crawl\n'),
    '/': (_q, res) => html(res, links(['/no-mybot', '/no-crawl', '/both'])),
  }, (_q, res) => html(res, 'leaf'));
  const seeds = seedFile(suite.dir(), [s.url + '/'], 'ua-seeds.txt');
  const db1 = newDb();
  const r1 = await runCli(['--urls', seeds, '--db', db1, ...FAST, '-q']);
  assert.equal(r1.code, 0, r1.stderr);
  assert.ok(s.log.length > 0 && s.log.every((r) => /^crawl\/\S+/.test(r.userAgent)), `default UA: ${s.log[0]?.userAgent}`);
  assert.equal(s.count('/no-crawl'), 0);
  assert.equal(s.count('/no-mybot'), 1);

  const seen = s.log.length;
  const ua = 'MyBot/2.0 (+mailto:ops@example.com)';
  const db2 = newDb();
  const r2 = await runCli(['--urls', seeds, '--db', db2, ...FAST, '-q', '--user-agent', ua]);
  assert.equal(r2.code, 0, r2.stderr);
  const later = s.log.slice(seen);
  assert.ok(later.length > 0 && later.every((r) => r.userAgent === ua), 'custom UA sent on every request, robots.txt included');
  assert.equal(later.filter((r) => r.path === '/no-mybot').length, 0, 'the mybot group applies');
  assert.equal(later.filter((r) => r.path === '/no-crawl').length, 1);
  assert.equal(page(db2, s.url + '/no-mybot')?.error_code, 'ROBOTS_DISALLOWED');
});

test('--sitemaps: robots.txt Sitemap -> index -> gzipped sitemap, and /sitemap.xml; lastmod stored; off-scope URLs not fetched', { timeout: 20_000 }, async () => {
  const other = await serve({}, (_q, res) => html(res, 'other host'));
  let s!: PoliteServer;
  const urlset = (entries: string) => `<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${entries}</urlset>`;
  const gz = () => zlib.gzipSync(urlset(
    `<url><loc>${s.url}/only-in-sitemap-1</loc><lastmod>2024-05-01</lastmod></url>` +
    `<url><loc>${s.url}/only-in-sitemap-2</loc></url>` +
    `<url><loc>${other.url}/offsite</loc></url>`));
  s = await serve({
    '/robots.txt': (_q, res) => text(res, `User-agent: *\nDisallow: /blocked\n\nSitemap: ${s.url}/sitemap_index.xml\n`),
    '/': (_q, res) => html(res, 'no links'),
    '/sitemap_index.xml': (_q, res) => text(res, `<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>${s.url}/sm/pages.xml.gz</loc></sitemap></sitemapindex>`, 'application/xml'),
    '/sm/pages.xml.gz': (_q, res) => text(res, gz(), 'application/x-gzip'),
    '/sitemap.xml': (_q, res) => text(res, urlset(`<url><loc>${s.url}/from-default-sitemap</loc><lastmod>2023-12-24T10:00:00+01:00</lastmod></url><url><loc>${s.url}/blocked</loc></url>`), 'application/xml'),
  }, (_q, res) => html(res, 'leaf'));
  const db = newDb();
  await crawl({ ...fast, seeds: [s.url + '/'], db, sitemaps: true });
  for (const p of ['/only-in-sitemap-1', '/only-in-sitemap-2', '/from-default-sitemap']) {
    assert.equal(s.count(p), 1, `${p} crawled from a sitemap`);
    const row = page(db, s.url + p);
    assert.equal(row?.status, 200);
    assert.equal(row?.source, 'sitemap');
  }
  const lastmod = (p: string) => query(db, 'SELECT sitemap_lastmod l FROM urls WHERE url = ?', s.url + p)[0]?.l;
  assert.equal(lastmod('/only-in-sitemap-1'), '2024-05-01T00:00:00.000Z');
  assert.equal(lastmod('/from-default-sitemap'), '2023-12-24T09:00:00.000Z');
  assert.equal(other.log.length, 0, 'a URL on another origin listed in the sitemap is not fetched');
  assert.equal(s.count('/blocked'), 0, 'sitemap URLs still obey robots.txt');
  assert.equal(s.count('/robots.txt'), 1, 'one robots.txt request shared by the sitemap reader and the crawl');
  assert.equal(s.count('/sm/pages.xml.gz'), 1);
  assert.equal(page(db, s.url + '/blocked')?.error_code, 'ROBOTS_DISALLOWED');
});

test('meta robots nofollow: links stored, not followed; X-Robots-Tag and meta noindex recorded', { timeout: 20_000 }, async () => {
  const s = await serve({
    '/': (_q, res) => html(res, links(['/nofollow', '/x-noindex', '/meta-noindex', '/other-bot', '/none'])),
    '/nofollow': (_q, res) => html(res, links(['/hidden']), {}, '<meta name="robots" content="nofollow">'),
    '/x-noindex': (_q, res) => html(res, links(['/after-noindex']), { 'x-robots-tag': 'noindex' }),
    '/meta-noindex': (_q, res) => html(res, 'x', {}, '<meta name="robots" content="noindex">'),
    '/other-bot': (_q, res) => html(res, links(['/other-bot-link']), { 'x-robots-tag': 'googlebot: noindex, nofollow' }),
    '/none': (_q, res) => html(res, links(['/hidden-2']), { 'x-robots-tag': 'crawl: none' }),
  }, (_q, res) => html(res, 'leaf'));
  const db = newDb();
  await crawl({ ...fast, seeds: [s.url + '/'], db });
  for (const hidden of ['/hidden', '/hidden-2']) {
    assert.equal(s.count(hidden), 0, `${hidden} is on a nofollow page`);
    const link = query(db, 'SELECT count(*) n FROM v_links WHERE to_url = ?', s.url + hidden)[0].n;
    assert.equal(link, 1, `the link to ${hidden} is still stored`);
  }
  assert.equal(page(db, s.url + '/nofollow')?.nofollow, 1);
  assert.equal(page(db, s.url + '/x-noindex')?.noindex, 1);
  assert.equal(s.count('/after-noindex'), 1, 'noindex alone does not stop following');
  assert.equal(page(db, s.url + '/meta-noindex')?.noindex, 1);
  assert.deepEqual([page(db, s.url + '/none')?.noindex, page(db, s.url + '/none')?.nofollow], [1, 1]);
  assert.deepEqual([page(db, s.url + '/other-bot')?.noindex, page(db, s.url + '/other-bot')?.nofollow], [0, 0], "another crawler's directives do not apply");
  assert.equal(s.count('/other-bot-link'), 1);
  assert.equal(page(db, s.url + '/')?.noindex, 0);
});
