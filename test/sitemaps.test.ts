import { test, after, describe } from 'node:test';
import { startRouteServer, type Handler } from './helpers/route-server.js';
import assert from 'node:assert/strict';
import http from 'node:http';
import zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { readSitemaps, normalizeLastmod, type ReadSitemapsOptions, type SitemapEntry, type SitemapEvent, type SitemapStart } from '../src/polite/sitemaps.js';
import { UndiciFetcher } from '../src/fetch/fetcher.js';

const startServer = startRouteServer;

const send = (body: string | Buffer, type = 'application/xml', status = 200, extra: Record<string, string> = {}): Handler => (_q, res) => {
  res.writeHead(status, { 'content-type': type, ...extra });
  res.end(body);
};

const urlset = (entries: Array<[string, string?]>) =>
  '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">\n' +
  entries.map(([loc, lastmod]) => `  <url><loc>${loc}</loc>${lastmod ? `<lastmod>${lastmod}</lastmod>` : ''}</url>\n`).join('') +
  '</urlset>\n';
const sitemapindex = (locs: string[]) =>
  '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' +
  locs.map((l) => `  <sitemap><loc>${l}</loc><lastmod>2024-01-01</lastmod></sitemap>\n`).join('') +
  '</sitemapindex>\n';

const fetcher = new UndiciFetcher({
  userAgent: 'crawl/0.1 (+https://example.com/bot)', perHost: 4, connectTimeoutMs: 2000, headersTimeoutMs: 5000,
  bodyTimeoutMs: 5000, totalTimeoutMs: 5_000, maxBytes: 10 * 1024 * 1024, allowPrivateHost: () => true,
});
after(() => fetcher.close());

async function collect(starts: SitemapStart[], extra: Partial<ReadSitemapsOptions> = {}) {
  const events: SitemapEvent[] = [];
  const entries: SitemapEntry[] = [];
  for await (const e of readSitemaps(starts, { fetcher, onEvent: (ev) => events.push(ev), ...extra })) entries.push(e);
  return { entries, events, urls: entries.map((e) => new URL(e.url).pathname + new URL(e.url).search) };
}

describe('normalizeLastmod', () => {
  test('W3C datetimes become ISO 8601 UTC; anything else null', () => {
    assert.equal(normalizeLastmod('2024-03-05'), '2024-03-05T00:00:00.000Z');
    assert.equal(normalizeLastmod('2024'), '2024-01-01T00:00:00.000Z');
    assert.equal(normalizeLastmod('2024-03'), '2024-03-01T00:00:00.000Z');
    assert.equal(normalizeLastmod('2024-03-05T10:20+01:00'), '2024-03-05T09:20:00.000Z');
    assert.equal(normalizeLastmod('2024-03-05T10:20:30.5Z'), '2024-03-05T10:20:30.500Z');
    assert.equal(normalizeLastmod(' 2024-03-05T10:20:30-0500 '), '2024-03-05T15:20:30.000Z');
    assert.equal(normalizeLastmod('2024-02-31'), null);
    assert.equal(normalizeLastmod('yesterday'), null);
    assert.equal(normalizeLastmod('1'), null);
    assert.equal(normalizeLastmod(''), null);
    assert.equal(normalizeLastmod(null), null);
  });
});

describe('readSitemaps', () => {
  test('an index with a gzipped (no Content-Encoding) and a plain sitemap; broken children skipped', async () => {
    let origin = '';
    const s = await startServer({
      '/sitemap_index.xml': (q, r) => send(sitemapindex([
        `${origin}/maps/a.xml.gz`, `${origin}/maps/b.xml`, `${origin}/maps/broken.xml`,
        `${origin}/maps/missing.xml`, `${origin}/maps/bad.xml.gz`, `${origin}/maps/b.xml`,
        'http://elsewhere.example/maps/c.xml',
      ]))(q, r),
      '/maps/a.xml.gz': (q, r) => send(zlib.gzipSync(urlset([[`${origin}/a1`, '2024-03-05T10:20+01:00'], [`${origin}/a2?x=1&amp;y=2`]])), 'application/x-gzip')(q, r),
      '/maps/b.xml': (q, r) => send(urlset([[`${origin}/b1`, 'not a date'], [`${origin}/b2`, '2023-12-31']]))(q, r),
      '/maps/broken.xml': send('oops', 'text/plain', 500),
      '/maps/bad.xml.gz': send(zlib.gzipSync(urlset([[`${origin}/lost`]])).subarray(0, 30), 'application/x-gzip'),
    });
    origin = s.origin;
    const { entries, events, urls } = await collect([{ url: `${origin}/sitemap_index.xml`, robotsOrigin: origin }]);
    assert.deepEqual(urls, ['/a1', '/a2?x=1&y=2', '/b1', '/b2']);
    assert.deepEqual(entries.map((e) => e.lastmod), ['2024-03-05T09:20:00.000Z', null, null, '2023-12-31T00:00:00.000Z']);
    assert.equal(entries[0].sitemap, `${origin}/maps/a.xml.gz`);
    assert.equal(s.count('/maps/b.xml'), 1, 'a sitemap listed twice is fetched once');
    const skipped = events.filter((e) => e.type === 'skipped').map((e) => [e.url.replace(origin, ''), e.reason]);
    assert.deepEqual(skipped, [
      ['http://elsewhere.example/maps/c.xml', 'child sitemap on another origin'],
      ['/maps/broken.xml', 'HTTP 500'],
      ['/maps/missing.xml', 'HTTP 404'],
    ]);
    const index = events.find((e) => e.type === 'sitemap' && e.url.endsWith('index.xml'));
    assert.equal(index?.type === 'sitemap' && index.format, 'index');
    assert.equal(index?.type === 'sitemap' && index.children, 5);
    const bad = events.find((e) => e.type === 'sitemap' && e.url.endsWith('bad.xml.gz'));
    assert.equal(bad?.type === 'sitemap' && bad.truncated, true, 'a corrupt gzip ends that file only');
  });

  test('Content-Encoding: gzip on top of a gzipped file is handled', async () => {
    let origin = '';
    const s = await startServer({
      '/s.xml': (q, r) => send(zlib.gzipSync(zlib.gzipSync(urlset([[`${origin}/x`]]))), 'application/xml', 200, { 'content-encoding': 'gzip' })(q, r),
    });
    origin = s.origin;
    assert.deepEqual((await collect([`${origin}/s.xml`])).urls, ['/x']);
  });

  test('out-of-scope URLs are ignored; robots-listed sitemaps may list the whole origin', async () => {
    let origin = '';
    const s = await startServer({
      '/catalog/sitemap.xml': (q, r) => send(urlset([
        [`${origin}/catalog/a`], [`${origin}/catalog/sub/b`], [`${origin}/other/c`], [`${origin}/catalogue`],
        ['http://elsewhere.example/catalog/d'], [origin.replace('http:', 'https:') + '/catalog/e'], ['mailto:x@example.com'],
        ['/catalog/relative'],
      ]))(q, r),
    });
    origin = s.origin;
    const plain = await collect([`${origin}/catalog/sitemap.xml`]);
    assert.deepEqual(plain.urls, ['/catalog/a', '/catalog/sub/b']);
    const ev = plain.events.find((e) => e.type === 'sitemap');
    assert.equal(ev?.type === 'sitemap' && ev.dropped, 6);
    const listed = await collect([{ url: `${origin}/catalog/sitemap.xml`, robotsOrigin: origin }]);
    assert.deepEqual(listed.urls, ['/catalog/a', '/catalog/sub/b', '/other/c', '/catalogue']);
  });

  test('stops at 50,000 URLs per file, streaming a 50,010-URL sitemap', async () => {
    let origin = '';
    let wrote = 0;
    const s = await startServer({
      '/big.xml': (_q, res) => {
        res.writeHead(200, { 'content-type': 'application/xml' });
        res.write('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">');
        const writeSome = () => {
          while (wrote < 50_010) {
            const ok = res.write(`<url><loc>${origin}/p/${wrote++}</loc></url>\n`);
            if (!ok) return void res.once('drain', writeSome);
          }
          res.end('</urlset>');
        };
        writeSome();
      },
    });
    origin = s.origin;
    const { entries, events } = await collect([`${origin}/big.xml`]);
    assert.equal(entries.length, 50_000);
    assert.equal(entries[49_999].url, `${origin}/p/49999`);
    const ev = events.find((e) => e.type === 'sitemap');
    assert.equal(ev?.type === 'sitemap' && ev.truncated, true);
  });

  test('maxBytes stops reading a file (counted uncompressed)', async () => {
    let origin = '';
    const many = Array.from({ length: 1000 }, (_, i): [string] => [`http://127.0.0.1/p/${i}`]);
    const s = await startServer({ '/s.xml.gz': (q, r) => send(zlib.gzipSync(urlset(many.map(([u]) => [u.replace('http://127.0.0.1', origin)]))))(q, r) });
    origin = s.origin;
    const { entries, events } = await collect([`${origin}/s.xml.gz`], { maxBytes: 4096 });
    assert.ok(entries.length > 10 && entries.length < 200, `got ${entries.length}`);
    const ev = events.find((e) => e.type === 'sitemap');
    assert.equal(ev?.type === 'sitemap' && ev.bytes, 4096);
  });

  test('plain-text sitemaps, redirects, and unreachable sitemaps', async () => {
    let origin = '';
    const s = await startServer({
      '/old.txt': (_q, r) => { r.writeHead(301, { location: '/sitemap.txt' }); r.end(); },
      '/sitemap.txt': (q, r) => send(`\uFEFF${origin}/t1\r\n\n  ${origin}/t2  \nnot a url\n${origin}/t3`, 'text/plain')(q, r),
    });
    origin = s.origin;
    const dead = http.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}/sitemap.xml`;
    await new Promise<void>((r) => dead.close(() => r()));
    const { urls, events } = await collect([deadUrl, `${origin}/old.txt`]);
    assert.deepEqual(urls, ['/t1', '/t2', '/t3']);
    assert.equal(events[0].type === 'skipped' && events[0].reason.startsWith('fetch failed'), true);
  });

  test('maxSitemaps caps the files opened; an aborted signal stops quietly', async () => {
    let origin = '';
    const s = await startServer({
      '/i.xml': (q, r) => send(sitemapindex([1, 2, 3].map((i) => `${origin}/s${i}.xml`)))(q, r),
      '/s1.xml': (q, r) => send(urlset([[`${origin}/one`]]))(q, r),
      '/s2.xml': (q, r) => send(urlset([[`${origin}/two`]]))(q, r),
      '/s3.xml': (q, r) => send(urlset([[`${origin}/three`]]))(q, r),
    });
    origin = s.origin;
    const capped = await collect([{ url: `${origin}/i.xml`, robotsOrigin: origin }], { maxSitemaps: 3 });
    assert.deepEqual(capped.urls, ['/one', '/two']);
    assert.equal(s.count('/s3.xml'), 0);

    const ac = new AbortController();
    const got: string[] = [];
    for await (const e of readSitemaps([{ url: `${origin}/i.xml`, robotsOrigin: origin }], { fetcher, signal: ac.signal })) {
      got.push(e.url);
      ac.abort();
    }
    assert.deepEqual(got, [`${origin}/one`]);
  });

  test('breaking out early releases the stream', async () => {
    let origin = '';
    let closed: Promise<void> = Promise.resolve();
    const s = await startServer({
      '/endless.xml': (_q, res) => {
        closed = new Promise((resolve) => res.on('close', () => resolve()));
        res.writeHead(200, { 'content-type': 'application/xml' });
        res.write('<urlset>');
        let i = 0;
        const timer = setInterval(() => res.write(`<url><loc>${origin}/e/${i++}</loc></url>`), 5);
        res.on('close', () => clearInterval(timer));
      },
    });
    origin = s.origin;
    let n = 0;
    for await (const _ of readSitemaps([`${origin}/endless.xml`], { fetcher })) if (++n === 3) break;
    await closed; // would hang (and the test time out) if the response were left open
    assert.equal(n, 3);
  });
});
