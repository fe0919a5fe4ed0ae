/**
 * The synthetic site (src/demo/site.ts) is the ground truth of the crawl tests and the bench,
 * so it is checked on its own: determinism, reachability of every page from `/` through the
 * served HTML, the extras, conditional requests, the mutation API and close().
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSite, type Site } from '../src/demo/site.js';
import { maxDepthFor } from '../src/demo/site-model.js';

const HREF = /href\s*=\s*["']([^"']*)["']/gi;

/** Page HTML with the per-instance origins replaced, so two instances can be compared. */
async function portable(site: Site, path: string): Promise<string> {
  const body = await (await fetch(site.url + path)).text();
  return body.split(site.url).join('BASE').split(site.otherHostUrl).join('OTHER');
}

test('same options give the same pages and links; another seed gives other pages', async (t) => {
  const a = await startSite({ pages: 300, seed: 7 });
  const b = await startSite({ pages: 300, seed: 7 });
  const c = await startSite({ pages: 300, seed: 8 });
  t.after(() => Promise.all([a.close(), b.close(), c.close()]));
  for (const path of ['/', '/p/1', '/p/57', '/p/299']) {
    const pa = await portable(a, path);
    assert.equal(pa, await portable(b, path), path);
    assert.notEqual(pa, await portable(c, path), path);
  }
  assert.deepEqual(a.reachablePaths(), b.reachablePaths());
  const html = await portable(a, '/p/57');
  for (const re of [/<html lang="en">/, /<title>[^<]+<\/title>/, /<meta name="description" content="[^"]+">/,
    /<link rel="canonical" href="BASE\/p\/57">/, /<h1>[^<]+<\/h1>/, /<script>/, /<style>/, /<p>[A-Z][a-z]+ /]) {
    assert.match(html, re);
  }
  const size = (await portable(a, '/p/12')).length;
  assert.ok(size > 7000 && size < 11000, `default page size ~8 KB, got ${size}`);
});

test('every page is reachable from / through the served HTML, within maxDepth', async (t) => {
  const site = await startSite({ pages: 500 });
  t.after(() => site.close());
  const depth = new Map<string, number>([['/', 0]]);
  const nonPages = new Set<string>();
  const otherHost = new Set<string>();
  let frontier = ['/'];
  while (frontier.length) {
    const next: string[] = [];
    // One BFS level at a time, fetched in parallel chunks to keep the test fast.
    for (let k = 0; k < frontier.length; k += 16) {
      await Promise.all(frontier.slice(k, k + 16).map(async (path) => {
        const html = await (await fetch(site.url + path)).text();
        for (const m of html.matchAll(HREF)) {
          const u = new URL(m[1], site.url + path);
          if (u.origin === site.otherHostUrl) { otherHost.add(u.pathname); continue; }
          assert.equal(u.origin, site.url, `unexpected link ${u.href}`);
          if (!/^\/(p\/\d+)?$/.test(u.pathname)) { nonPages.add(u.pathname); continue; }
          if (!depth.has(u.pathname)) {
            depth.set(u.pathname, depth.get(path)! + 1);
            next.push(u.pathname);
          }
        }
      }));
    }
    frontier = next;
  }
  const expected = Array.from({ length: 500 }, (_, i) => (i === 0 ? '/' : `/p/${i}`));
  assert.deepEqual([...depth.keys()].sort(), [...expected].sort());
  assert.deepEqual([...site.reachablePaths()].sort(), [...expected].sort());
  assert.equal(site.maxDepth, 3);
  assert.ok(Math.max(...depth.values()) <= site.maxDepth);
  // The BFS fetched each page exactly once, and the server counted exactly that.
  for (const p of expected) assert.equal(site.requests.get(p), 1, p);
  assert.equal(site.totalRequests, 500);
  const extras = site.extraPaths();
  assert.deepEqual([...nonPages].sort(), [...extras.notFound, ...extras.files, '/r/1', '/r/tmp'].sort());
  assert.deepEqual([...otherHost].sort(), [...extras.otherHost].sort());
});

test('maxDepthFor keeps 100k pages within depth 10 for fanOut >= 4', () => {
  assert.equal(maxDepthFor(1, 10), 0);
  assert.equal(maxDepthFor(11, 10), 1);
  assert.equal(maxDepthFor(12, 10), 2);
  assert.equal(maxDepthFor(10_000, 10), 4);
  assert.equal(maxDepthFor(100_000, 10), 5);
  assert.equal(maxDepthFor(100_000, 4), 9);
  assert.equal(maxDepthFor(100_000, 3), 11);
});

test('extras: redirects, 404, PDF, robots.txt and the other host', async (t) => {
  const site = await startSite({ pages: 50 });
  const custom = await startSite({ pages: 5, extras: false, robots: 'User-agent: *\nDisallow: /p/\n' });
  const bare = await startSite({ pages: 5, extras: false });
  t.after(() => Promise.all([site.close(), custom.close(), bare.close()]));
  const get = (s: Site, p: string) => fetch(s.url + p, { redirect: 'manual' });
  let r = await get(site, '/r/1');
  assert.equal(r.status, 301);
  assert.equal(r.headers.get('location'), '/r/2');
  r = await get(site, '/r/2');
  assert.equal(r.status, 301);
  assert.equal(r.headers.get('location'), '/p/5');
  r = await get(site, '/r/tmp');
  assert.equal(r.status, 302);
  assert.equal(r.headers.get('location'), '/p/7');
  assert.equal((await get(site, '/missing/7')).status, 404);
  assert.equal((await get(site, '/p/50')).status, 404, 'pages beyond N do not exist');
  assert.equal((await get(site, '/p/007')).status, 404, 'one path per page');
  r = await get(site, '/files/doc.pdf');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'application/pdf');
  const pdf = Buffer.from(await r.arrayBuffer());
  assert.equal(Number(r.headers.get('content-length')), pdf.length);
  assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
  assert.match(await (await get(site, '/robots.txt')).text(), /Allow: \//);
  assert.equal(await (await get(custom, '/robots.txt')).text(), 'User-agent: *\nDisallow: /p/\n');
  assert.equal((await get(bare, '/robots.txt')).status, 404);
  assert.equal((await get(bare, '/r/1')).status, 404);
  const bareHome = await (await get(bare, '/')).text();
  assert.ok(!bareHome.includes(bare.otherHostUrl));
  assert.doesNotMatch(bareHome, /\/r\/1|missing|\.pdf/);
  assert.equal((await fetch(site.otherHostUrl + '/')).status, 200);
  assert.equal(site.otherHostRequests.get('/'), 1);
  assert.equal(site.otherHostTotalRequests, 1);
  assert.equal(site.requests.get('/other'), undefined, 'the other host counts separately');
});

test('conditional requests answer 304 until the page changes', async (t) => {
  const site = await startSite({ pages: 20, latencyMs: 1 });
  t.after(() => site.close());
  const first = await fetch(site.url + '/p/3');
  const etag = first.headers.get('etag')!;
  const lastModified = first.headers.get('last-modified')!;
  const body = await first.text();
  assert.ok(etag && lastModified);
  assert.equal((await fetch(site.url + '/p/3', { headers: { 'If-None-Match': etag } })).status, 304);
  assert.equal((await fetch(site.url + '/p/3', { headers: { 'If-None-Match': `W/${etag}` } })).status, 304);
  assert.equal((await fetch(site.url + '/p/3', { headers: { 'If-Modified-Since': lastModified } })).status, 304);
  assert.equal((await fetch(site.url + '/p/3', { headers: { 'If-None-Match': '"other"' } })).status, 200);
  const old = new Date(Date.parse(lastModified) - 1000).toUTCString();
  assert.equal((await fetch(site.url + '/p/3', { headers: { 'If-Modified-Since': old } })).status, 200);

  site.touch('/p/3');
  const changed = await fetch(site.url + '/p/3', { headers: { 'If-None-Match': etag } });
  assert.equal(changed.status, 200);
  assert.notEqual(changed.headers.get('etag'), etag);
  assert.ok(Date.parse(changed.headers.get('last-modified')!) > Date.parse(lastModified));
  assert.notEqual(await changed.text(), body);
  assert.equal((await fetch(site.url + '/p/3', { headers: { 'If-Modified-Since': lastModified } })).status, 200);
  assert.equal(site.requests.get('/p/3'), 8);
});

test('setPage, removePage and touch change what is served and what is reachable', async (t) => {
  const site = await startSite({ pages: 30 });
  t.after(() => site.close());
  site.setPage('/', '<html><body><a href="/p/3">three</a> <a href="/new#x">new</a></body></html>');
  site.setPage('/new', '<html><body><a href="../p/4">four</a></body></html>');
  assert.equal(await (await fetch(site.url + '/new')).text(), '<html><body><a href="../p/4">four</a></body></html>');
  const r1 = await fetch(site.url + '/new');
  const e1 = r1.headers.get('etag');
  site.touch('/new');
  const r2 = await fetch(site.url + '/new');
  assert.notEqual(r2.headers.get('etag'), e1);
  assert.match(await r2.text(), /touched/);
  const paths = site.reachablePaths();
  assert.deepEqual(paths.slice(0, 3), ['/', '/p/3', '/new']);
  assert.ok(paths.includes('/p/4'));

  site.removePage('/p/3', 410);
  site.removePage('/p/4');
  assert.equal((await fetch(site.url + '/p/3')).status, 410);
  assert.equal((await fetch(site.url + '/p/4')).status, 404);
  assert.deepEqual(site.reachablePaths(), ['/', '/new']);
  assert.throws(() => site.touch('/nope'));
  site.resetCounts();
  assert.equal(site.totalRequests, 0);
  assert.equal(site.requests.size, 0);
});

test('close() closes both servers, keep-alive connections included', async () => {
  const site = await startSite({ pages: 5 });
  assert.equal((await fetch(site.url + '/')).status, 200);
  assert.equal((await fetch(site.otherHostUrl + '/')).status, 200);
  await site.close();
  await assert.rejects(fetch(site.url + '/'));
  await assert.rejects(fetch(site.otherHostUrl + '/'));
});
