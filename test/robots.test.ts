import { test, after, describe } from 'node:test';
import { startRouteServer, type Handler } from './helpers/route-server.js';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RobotsPolicy, productToken, type RobotsCacheStore, type RobotsPolicyOptions } from '../src/polite/robots.js';
import type { RobotsRecord } from '../src/store/types.js';
import { UndiciFetcher } from '../src/fetch/fetcher.js';

const startServer = startRouteServer;

const text = (body: string, status = 200): Handler => (_req, res) => {
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end(body);
};
const redirect = (to: string, status = 301): Handler => (_req, res) => {
  res.writeHead(status, { location: to });
  res.end();
};

class MemoryRobotsStore implements RobotsCacheStore {
  readonly map = new Map<string, RobotsRecord>();
  async getRobots(origin: string) { return this.map.get(origin); }
  async putRobots(rec: RobotsRecord) { this.map.set(rec.origin, { ...rec }); }
}

const UA = 'crawl/0.1 (+https://example.com/bot)';
const fetcher = new UndiciFetcher({
  userAgent: 'crawl/0.1 (+https://example.com/bot)', perHost: 4, connectTimeoutMs: 2000, headersTimeoutMs: 5000,
  bodyTimeoutMs: 5000, totalTimeoutMs: 5_000, maxBytes: 10 * 1024 * 1024, allowPrivateHost: () => true,
});
after(() => fetcher.close());

function policy(extra: Partial<RobotsPolicyOptions> = {}) {
  const store = new MemoryRobotsStore();
  const p = new RobotsPolicy({ fetcher, store, userAgent: UA, maxCrawlDelayMs: 10_000, ...extra });
  return { p, store: (extra.store as MemoryRobotsStore | undefined) ?? store };
}

describe('productToken', () => {
  test('takes the first token before "/" and lower-cases it', () => {
    assert.equal(productToken('crawl/0.1 (+https://example.com)'), 'crawl');
    assert.equal(productToken('Googlebot/2.1'), 'googlebot');
    assert.equal(productToken('  MyBot  extra'), 'mybot');
    assert.equal(productToken(''), '*');
  });
});

describe('rules', () => {
  const ROBOTS = [
    'User-agent: googlebot',
    'Disallow: /',
    '',
    'User-agent: Crawl',
    'Disallow: /private',
    'Allow: /private/open',
    'Disallow: /*.pdf$',
    'Disallow: /search?q=*',
    'Allow: /tie',
    'Disallow: /tie',
    'Allow: /page',
    'Disallow: /*age',
    'Crawl-delay: 2',
    'Sitemap: https://example.com/sitemap.xml',
    '',
    'User-agent: *',
    'Disallow: /everything-else',
    'Crawl-delay: 1',
    'Sitemap: https://example.com/other.xml',
  ].join('\n');

  test('our group: longest match, allow wins ties, * and $ wildcards', async () => {
    const s = await startServer({ '/robots.txt': text(ROBOTS) });
    const { p } = policy();
    const allowed = async (path: string) => (await p.check(s.origin + path)).allowed;
    assert.equal(await allowed('/private/x'), false);
    assert.equal(await allowed('/private/open/y'), true, 'longer Allow beats shorter Disallow');
    assert.equal(await allowed('/doc.pdf'), false);
    assert.equal(await allowed('/a/b/doc.pdf'), false);
    assert.equal(await allowed('/doc.pdf?download=1'), true, '$ anchors the end');
    assert.equal(await allowed('/search?q=cats'), false);
    assert.equal(await allowed('/search'), true);
    assert.equal(await allowed('/tie'), true, 'equal Allow and Disallow: Allow wins');
    assert.equal(await allowed('/page'), true, 'equal-length wildcard Disallow: Allow wins');
    assert.equal(await allowed('/garage'), false);
    assert.equal(await allowed('/everything-else'), true, 'the * group does not apply when ours exists');
    assert.deepEqual(await p.check(s.origin + '/'), { allowed: true, crawlDelayMs: 2000 });
    assert.equal(s.count('/robots.txt'), 1, 'one fetch per origin');
    assert.deepEqual(p.sitemaps(s.origin), ['https://example.com/sitemap.xml', 'https://example.com/other.xml']);
    assert.deepEqual(p.sitemaps(s.origin + '/any/page'), p.sitemaps(s.origin));
  });

  test('disallowed verdict carries ROBOTS_DISALLOWED', async () => {
    const s = await startServer({ '/robots.txt': text(ROBOTS) });
    const { p } = policy();
    assert.deepEqual(await p.check(s.origin + '/private'), { allowed: false, code: 'ROBOTS_DISALLOWED' });
  });

  test('other agents get their own group or the * group', async () => {
    const s = await startServer({ '/robots.txt': text(ROBOTS) });
    const google = policy({ userAgent: 'Googlebot/2.1 (+http://www.google.com/bot.html)' }).p;
    assert.equal((await google.check(s.origin + '/anything')).allowed, false);
    const other = policy({ userAgent: 'otherbot/1.0' }).p;
    assert.equal((await other.check(s.origin + '/everything-else')).allowed, false);
    assert.deepEqual(await other.check(s.origin + '/private'), { allowed: true, crawlDelayMs: 1000 });
  });

  test('Crawl-delay is capped at maxCrawlDelayMs', async () => {
    const s = await startServer({ '/robots.txt': text('User-agent: *\nCrawl-delay: 30\n') });
    const { p } = policy({ maxCrawlDelayMs: 5000 });
    assert.deepEqual(await p.check(s.origin + '/'), { allowed: true, crawlDelayMs: 5000 });
  });

  test('no Crawl-delay gives null; a leading BOM is ignored', async () => {
    const s = await startServer({ '/robots.txt': text('\uFEFFUser-agent: *\nDisallow: /x\n') });
    const { p } = policy();
    assert.deepEqual(await p.check(s.origin + '/'), { allowed: true, crawlDelayMs: null });
    assert.equal((await p.check(s.origin + '/x')).allowed, false);
  });
});

describe('status handling', () => {
  for (const status of [404, 401, 403, 410]) {
    test(`${status} robots.txt allows everything`, async () => {
      const s = await startServer({ '/robots.txt': text('User-agent: *\nDisallow: /\n', status) });
      const { p, store } = policy();
      assert.deepEqual(await p.check(s.origin + '/page'), { allowed: true, crawlDelayMs: null });
      assert.equal(store.map.get(s.origin)?.status, status);
    });
  }

  test('500: unavailable until retryAt, then fetched again', async () => {
    let clock = 1_000_000;
    const s = await startServer({ '/robots.txt': text('oops', 500) });
    const { p, store } = policy({ now: () => clock, retryUnavailableMs: 60_000 });
    assert.deepEqual(await p.check(s.origin + '/x'), { allowed: false, code: 'ROBOTS_UNAVAILABLE', retryAt: 1_060_000, status: 500 });
    assert.equal(store.map.get(s.origin)?.status, 500);
    clock += 30_000;
    assert.deepEqual(await p.check(s.origin + '/y'), { allowed: false, code: 'ROBOTS_UNAVAILABLE', retryAt: 1_060_000, status: 500 });
    assert.equal(s.count('/robots.txt'), 1, 'no refetch before retryAt');
    s.routes['/robots.txt'] = text('User-agent: *\nDisallow: /x\n');
    clock += 30_000;
    assert.equal((await p.check(s.origin + '/x')).allowed, false);
    assert.deepEqual(await p.check(s.origin + '/y'), { allowed: true, crawlDelayMs: null });
    assert.equal(s.count('/robots.txt'), 2);
    assert.equal(store.map.get(s.origin)?.status, 200);
  });

  test('429 is treated as unreachable', async () => {
    const s = await startServer({ '/robots.txt': text('slow down', 429) });
    const { p } = policy();
    assert.equal((await p.check(s.origin + '/')).allowed, false);
  });

  test('a robots.txt that never answers is unavailable after the timeout', async () => {
    const s = await startServer({ '/robots.txt': () => { /* never answers */ } });
    const { p, store } = policy({ timeoutMs: 300 });
    const v = await p.check(s.origin + '/');
    assert.equal(v.allowed, false);
    assert.equal(!v.allowed && v.code, 'ROBOTS_UNAVAILABLE');
    assert.equal(!v.allowed && v.code === 'ROBOTS_UNAVAILABLE' && v.status, 0);
    assert.equal(store.map.get(s.origin), undefined, 'a network failure is not stored: the next run asks again');
  });

  test('a body that stalls after the headers is unavailable after the timeout', async () => {
    const s = await startServer({ '/robots.txt': (_q, res) => { res.writeHead(200); res.write('User-agent: *\n'); } });
    const { p } = policy({ timeoutMs: 300 });
    const v = await p.check(s.origin + '/');
    assert.equal(!v.allowed && v.code, 'ROBOTS_UNAVAILABLE');
  });

  test('connection refused is unavailable', async () => {
    const srv = http.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const { p } = policy();
    const v = await p.check(`http://127.0.0.1:${port}/`);
    assert.equal(!v.allowed && v.code, 'ROBOTS_UNAVAILABLE');
    assert.equal(!v.allowed && v.code === 'ROBOTS_UNAVAILABLE' && v.status, 0, 'a network failure is status 0 (the crawler gives the host up at once)');
  });
});

describe('redirects', () => {
  test('a redirect to another path and to another origin is followed', async () => {
    const other = await startServer({ '/real-robots.txt': text('User-agent: *\nDisallow: /secret\n') });
    const s = await startServer({ '/robots.txt': redirect('/moved'), '/moved': redirect(other.origin + '/real-robots.txt', 302) });
    const { p } = policy();
    assert.equal((await p.check(s.origin + '/secret')).allowed, false, 'rules apply to the original origin');
    assert.equal((await p.check(s.origin + '/open')).allowed, true);
    assert.equal(other.count('/real-robots.txt'), 1);
  });

  test('five redirects are followed; six mean allow all (RFC 9309 2.3.1.2)', async () => {
    const chain = (n: number): Record<string, Handler> => {
      const routes: Record<string, Handler> = { '/robots.txt': redirect('/r1') };
      for (let i = 1; i < n; i++) routes[`/r${i}`] = redirect(`/r${i + 1}`);
      routes[`/r${n}`] = text('User-agent: *\nDisallow: /\n');
      return routes;
    };
    const five = await startServer(chain(5));
    assert.equal((await policy().p.check(five.origin + '/page')).allowed, false, 'the 5-redirect robots.txt was read');
    const six = await startServer(chain(6));
    assert.deepEqual(await policy().p.check(six.origin + '/page'), { allowed: true, crawlDelayMs: null });
    assert.equal(six.count('/r6'), 0, 'the sixth redirect is not followed');
  });
});

describe('size cap', () => {
  test('only the first 500 KiB are parsed', async () => {
    const head = 'User-agent: *\nDisallow: /before\n';
    const filler = ('# ' + 'x'.repeat(97) + '\n').repeat(Math.ceil((500 * 1024 - head.length) / 100) - 1);
    let body = head + filler;
    // The cap falls right after "Disallow: /" of the next line: a cut line must not block everything.
    body += ' '.repeat(500 * 1024 - body.length - 'Disallow: /'.length) + 'Disallow: /private-area\n';
    body += ('# ' + 'y'.repeat(97) + '\n').repeat(1200) + 'Disallow: /after\n';
    assert.ok(body.length > 600 * 1024);
    const s = await startServer({ '/robots.txt': text(body) });
    const { p, store } = policy();
    assert.equal((await p.check(s.origin + '/before')).allowed, false);
    assert.equal((await p.check(s.origin + '/after')).allowed, true, 'a rule past 500 KiB is ignored');
    assert.equal((await p.check(s.origin + '/other')).allowed, true, 'a cut last line is dropped');
    assert.ok(store.map.get(s.origin)!.body.length <= 500 * 1024);
  });
});

describe('caching', () => {
  test('a fresh stored record is used without fetching; a stale one is refetched', async () => {
    const clock = 10 * 86_400_000;
    const s = await startServer({ '/robots.txt': text('User-agent: *\nDisallow: /live\n') });
    const store = new MemoryRobotsStore();
    store.map.set(s.origin, { origin: s.origin, fetchedAt: clock - 3_600_000, status: 200, body: 'User-agent: *\nDisallow: /cached\n' });
    const fresh = new RobotsPolicy({ fetcher, store, userAgent: UA, maxCrawlDelayMs: 0, now: () => clock });
    assert.equal((await fresh.check(s.origin + '/cached')).allowed, false);
    assert.equal((await fresh.check(s.origin + '/live')).allowed, true);
    assert.equal(s.count('/robots.txt'), 0);

    store.map.set(s.origin, { origin: s.origin, fetchedAt: clock - 25 * 3_600_000, status: 200, body: 'User-agent: *\nDisallow: /cached\n' });
    const stale = new RobotsPolicy({ fetcher, store, userAgent: UA, maxCrawlDelayMs: 0, now: () => clock });
    assert.equal((await stale.check(s.origin + '/cached')).allowed, true);
    assert.equal((await stale.check(s.origin + '/live')).allowed, false);
    assert.equal(s.count('/robots.txt'), 1);
    assert.equal(store.map.get(s.origin)?.fetchedAt, clock);
  });

  test('a fresh stored 5xx record is honoured until its retry time', async () => {
    const clock = 5_000_000;
    const s = await startServer({ '/robots.txt': text('User-agent: *\n') });
    const store = new MemoryRobotsStore();
    store.map.set(s.origin, { origin: s.origin, fetchedAt: clock - 10_000, status: 503, body: '' });
    const p = new RobotsPolicy({ fetcher, store, userAgent: UA, maxCrawlDelayMs: 0, retryUnavailableMs: 60_000, now: () => clock });
    assert.deepEqual(await p.check(s.origin + '/'), { allowed: false, code: 'ROBOTS_UNAVAILABLE', retryAt: clock + 50_000, status: 503 });
    assert.equal(s.count('/robots.txt'), 0);
  });

  test('the in-memory entry expires after ttlMs during a long run', async () => {
    let clock = 0;
    const s = await startServer({ '/robots.txt': text('User-agent: *\nDisallow: /a\n') });
    const { p } = policy({ now: () => clock, ttlMs: 1000 });
    assert.equal((await p.check(s.origin + '/a')).allowed, false);
    s.routes['/robots.txt'] = text('User-agent: *\nDisallow: /b\n');
    clock = 500;
    assert.equal((await p.check(s.origin + '/a')).allowed, false);
    clock = 1500;
    assert.equal((await p.check(s.origin + '/a')).allowed, true);
    assert.equal((await p.check(s.origin + '/b')).allowed, false);
    assert.equal(s.count('/robots.txt'), 2);
  });

  test('concurrent checks of one origin share one fetch', async () => {
    const s = await startServer({
      '/robots.txt': (_q, res) => setTimeout(() => { res.writeHead(200); res.end('User-agent: *\nDisallow: /no\n'); }, 100),
    });
    const fetched: number[] = [];
    const { p } = policy({ onFetched: (rec) => fetched.push(rec.status) });
    const paths = Array.from({ length: 20 }, (_, i) => (i % 2 ? '/no/' : '/yes/') + i);
    const verdicts = await Promise.all(paths.map((x) => p.check(s.origin + x)));
    assert.deepEqual(verdicts.map((v) => v.allowed), paths.map((x) => x.startsWith('/yes')));
    assert.equal(s.count('/robots.txt'), 1);
    assert.deepEqual(fetched, [200]);
  });

  test('a failing store surfaces its error and the next check tries again', async () => {
    const s = await startServer({ '/robots.txt': text('User-agent: *\n') });
    let fail = true;
    const store: RobotsCacheStore = {
      async getRobots() { if (fail) throw new Error('db down'); return undefined; },
      async putRobots() {},
    };
    const p = new RobotsPolicy({ fetcher, store, userAgent: UA, maxCrawlDelayMs: 0 });
    await assert.rejects(p.check(s.origin + '/'), /db down/);
    fail = false;
    assert.equal((await p.check(s.origin + '/')).allowed, true);
  });
});
