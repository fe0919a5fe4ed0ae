/**
 * auto's cheap signals (src/render/signals.ts) on the labelled test site as fetched, without a
 * browser: every client-rendered shell fires a signal, no server-rendered or static page does; and
 * the StormCrawler cases one by one (framework markers count only with thin text).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { scoreHtml, signalOf } from '../src/render/signals.js';
import { prefixOf } from '../src/render/learn.js';
import { allPages } from './render-site/model.js';
import { startRenderSite, type RenderSite } from './render-site/server.js';

let site: RenderSite;
before(async () => { site = await startRenderSite(); }, { timeout: 120_000 });
after(() => site.close());

const sig = (html: string) => signalOf(scoreHtml(Buffer.from(html)));
const TEXT = '<p>' + 'A paragraph a reader would read, long enough to count as content. '.repeat(6) + '</p>';

test('every client-rendered page of the site fires a signal; no server-rendered or static page does', { timeout: 120_000 }, async (t) => {
  let ms = 0;
  for (const p of allPages()) {
    const body = Buffer.from(await (await fetch(site.base + p.path)).arrayBuffer());
    const t0 = performance.now();
    const s = signalOf(scoreHtml(body));
    ms += performance.now() - t0;
    if (p.kind === 'csr') assert.ok(s, `${p.path} fires`);
    else assert.equal(s, null, `${p.path} is complete as fetched`);
  }
  t.diagnostic(`scoring: ${(ms / allPages().length).toFixed(3)} ms a page`);
});

test('signals one by one', () => {
  const script = '<script src="/app.js"></script>';
  assert.equal(sig(`<html><body><div id="root"></div>${script}</body></html>`), 'empty-root');
  assert.equal(sig(`<html><body><div id="__next"> </div>${script}</body></html>`), 'empty-root');
  assert.equal(sig(`<html><body><noscript>Please enable JavaScript to view this site.</noscript><div id="x"></div>${script}</body></html>`), 'noscript');
  assert.equal(sig(`<html><body><p>Loading…</p>${script}</body></html>`), 'thin');
  assert.equal(sig(`<html><body><p>Hi</p><a href="/a">a</a><a href="/b">b</a><script>window.__NUXT__={}</script></body></html>`), 'markers');
  // Markers with content: a server-rendered Next page is complete.
  assert.equal(sig(`<html><body><div id="__next"><h1>Title</h1>${TEXT}</div><script id="__NEXT_DATA__" type="application/json">{}</script>${script}</body></html>`), null);
  // No script: nothing could build the page, however thin.
  assert.equal(sig('<html><body><div id="root"></div></body></html>'), null);
  // A noscript about something else, with content.
  assert.equal(sig(`<html><body><noscript><img src="/pixel.gif"></noscript>${TEXT}${script}</body></html>`), null);
});

test('prefixes: host and up to two directory levels', () => {
  assert.equal(prefixOf('https://shop.test/csr/react/12'), 'shop.test/csr/react/');
  assert.equal(prefixOf('https://shop.test/a/b/c/d'), 'shop.test/a/b/');
  assert.equal(prefixOf('https://shop.test/'), 'shop.test/');
  assert.equal(prefixOf('http://127.0.0.1:8080/static/3'), '127.0.0.1:8080/static/');
});
