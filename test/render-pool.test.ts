/**
 * The render stage's bounds, from outside: no browser is bad input (exit 2); per-host gaps and
 * in-flight limits hold with the browser's sub-requests counted (seen by the server); a page that
 * never finishes is RENDER_TIMEOUT and frees its slot; a browser killed under a render is replaced
 * and the page retried; no Chromium process outlives the crawl after a normal end, SIGINT or
 * SIGKILL of the crawler. Needs Chromium: skipped with the reason without it, failed in CI.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runCli, seedFile, startCli, tempDir } from './helpers/cli.js';
import { alive, chromiumUnder, waitGone } from './helpers/processes.js';
import { allPages } from './render-site/model.js';
import { startRenderSite, type RenderSite } from './render-site/server.js';
import { CHROMIUM, crawlSite, needChromium, siteOptions } from './render-site/crawl.js';
import { findBrowser } from '../src/render/find-browser.js';
import { BrowserPool } from '../src/render/pool.js';
import { ErrorCodes } from '../src/errors.js';

const dir = tempDir('crawl-render-pool-');
let site: RenderSite;
before(async () => { site = await startRenderSite(); }, { timeout: 120_000 });
after(async () => { await site.close(); fs.rmSync(dir, { recursive: true, force: true }); });

test('--render with no browser: exit 2 before any fetch, naming the apt package', { timeout: 60_000 }, async () => {
  const r = await runCli(['--urls', '-', '--db', path.join(dir, 'none.db'), '--render', 'always', '--browser', path.join(dir, 'no-such-chromium'), '--no-progress'],
    { input: `${site.base}/static/0\n` });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /apt-get install chromium/);
  assert.throws(() => findBrowser(undefined, ''), (e: Error & { code?: string }) => e.code === ErrorCodes.BAD_INPUT && /apt-get install chromium/.test(e.message));
  assert.equal(site.log.length, 0, 'nothing fetched');
});

test('per-host gaps and in-flight limits hold with the browser\'s sub-requests counted', { timeout: 300_000 }, async (t) => {
  if (!needChromium(t)) return;
  // robots.txt first, in the database's cache: the scheduler paces from an attempt's start, and the
  // first page's robots.txt lookup would otherwise delay its request on the wire.
  await crawlSite(siteOptions(dir, 'polite', [`${site.base}/static/0`], { render: 'never' }));
  site.log.length = 0;
  site.maxInflight = 0;
  site.slowMs = 150; // requests last long enough to overlap if nothing held them back
  try {
    const seeds = allPages().filter((p) => p.kind === 'csr').slice(0, 6).map((p) => site.base + p.path);
    const r = await crawlSite(siteOptions(dir, 'polite', seeds, { render: 'always', delay: '600ms', perHost: 2 }));
    assert.equal([...r.pages.values()].filter((p) => p.rendered === 'always').length, 6);
    // Data held back by the host's pacing keeps a page from settling: every app got to build its page.
    for (const [p, page] of r.pages) assert.match(page.title ?? "", /page \d+$/, `${p}: ${page.title} ${page.error}`);
  } finally {
    site.slowMs = 0;
  }
  const starts = site.log.filter((l) => l.path !== '/robots.txt').map((l) => l.start).sort((a, b) => a - b);
  const subs = site.log.filter((l) => l.path.startsWith('/api/') || l.path.startsWith('/assets/')).length;
  assert.ok(subs >= 6, `sub-requests reached the server through the crawler: ${subs}`);
  // 600 ms between request starts, measured on the server. The crawler paces a request from its start,
  // the server sees its arrival: on a loaded machine the two differ by tens of ms, hence the slack.
  // A sub-request that skipped the pacing would arrive within a few ms of the page it belongs to.
  const gaps = starts.slice(1).map((s, i) => s - starts[i]);
  t.diagnostic(`gaps: ${gaps.join(' ')}`);
  for (let i = 1; i < starts.length; i++) assert.ok(starts[i] - starts[i - 1] >= 450, `gap ${starts[i] - starts[i - 1]} ms before request ${i}`);
  assert.ok(site.maxInflight <= 2, `in flight at once: ${site.maxInflight}`);
});

test('a page that never finishes is RENDER_TIMEOUT and frees its slot; a browser killed under a render is replaced and the page retried', { timeout: 300_000 }, async (t) => {
  if (!needChromium(t)) return;
  site.log.length = 0;
  // One render slot: the pages after the hung one render only if its slot came back.
  const seeds = [`${site.base}/hang/1`, `${site.base}/static/1`, `${site.base}/static/2`];
  const r = await crawlSite(siteOptions(dir, 'hang', seeds, { render: 'always', renderTimeout: '3s', renderConcurrency: 1, concurrency: 1 }));
  assert.equal(r.pages.get('/hang/1')!.error, ErrorCodes.RENDER_TIMEOUT);
  assert.equal(r.pages.get('/hang/1')!.title, 'hang', 'the HTML as fetched is stored');
  for (const p of ['/static/1', '/static/2']) assert.equal(r.pages.get(p)!.rendered, 'always', p);

  site.holdOnce.add('/api/wait7');
  let killed = 0;
  const killer = setInterval(() => {
    if (killed || !site.log.some((l) => l.path === '/api/wait7')) return;
    const main = chromiumUnder(process.pid).find((p) => !p.cmd.includes('--type='));
    if (main) { process.kill(main.pid, 'SIGKILL'); killed = main.pid; }
  }, 50);
  try {
    const w = await crawlSite(siteOptions(dir, 'crash', [`${site.base}/wait/7`], { render: 'always' }));
    const page = w.pages.get('/wait/7')!;
    assert.ok(killed, 'the browser was killed during the render');
    assert.equal(page.error, null);
    assert.equal(page.rendered, 'always');
    assert.equal(page.title, 'waited', 'rendered by the retry on a fresh browser');
  } finally {
    clearInterval(killer);
  }
  assert.deepEqual(alive(chromiumUnder(process.pid).map((p) => p.pid)), [], 'no browser left');
});

test('a browser over its memory cap (summed PSS of its process tree) is retired and replaced', { timeout: 120_000 }, async (t) => {
  if (!needChromium(t)) return;
  const render = (pool: BrowserPool) => pool.run('h', 30_000, undefined, async (page) => { await page.setContent('<p>x</p>'); return page.content(); });
  const capped = new BrowserPool(CHROMIUM!, 1, { capMb: 1, every: 3 }); // any browser holds more than 1 MB
  const roomy = new BrowserPool(CHROMIUM!, 1, { capMb: 1e9, every: 3 });
  try {
    for (let i = 0; i < 7; i++) { await render(capped); await render(roomy); }
    assert.ok(capped.launched >= 3 && capped.retired >= 2, `capped: ${capped.launched} launched, ${capped.retired} retired`);
    assert.equal(roomy.launched, 1);
    assert.equal(roomy.retired, 0);
  } finally {
    await Promise.all([capped.close(), roomy.close()]);
  }
});

test('no Chromium process outlives the crawl: normal end, SIGINT, SIGKILL of the crawler', { timeout: 300_000 }, async (t) => {
  if (!needChromium(t)) return;
  const seeds = seedFile(dir, allPages().map((p) => site.base + p.path), 'all.txt');
  const args = (name: string) => ['--urls', seeds, '--db', path.join(dir, `${name}.db`), '--render', 'always', '--browser', CHROMIUM!,
    '--delay', '0ms', '--per-host', '8', '--no-progress', '-q'];
  for (const how of ['end', 'SIGINT', 'SIGKILL'] as const) {
    const { child, done } = startCli(how === 'end' ? [...args(how), '--max-pages', '6'] : args(how));
    const seen = new Set<number>();
    const watch = setInterval(() => { for (const p of chromiumUnder(child.pid!)) seen.add(p.pid); }, 50);
    // Renders under way: browser processes seen, and pages rendered (the site logs their data requests).
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline && (seen.size < 3 || site.log.filter((l) => l.path.startsWith('/api/')).length < 3) && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 50));
    }
    if (how !== 'end') child.kill(how);
    const res = await done;
    clearInterval(watch);
    assert.ok(seen.size >= 3, `${how}: browser processes were running (${seen.size})`);
    if (how === 'end') assert.equal(res.code, 0, res.stderr);
    if (how === 'SIGINT') assert.equal(res.code, 4, res.stderr);
    if (how === 'SIGKILL') assert.equal(res.signal, 'SIGKILL');
    const left = await waitGone([...seen], 30_000);
    assert.deepEqual(left, [], `${how}: chromium processes left`);
    site.log.length = 0;
  }
});
