/**
 * --render on a site of real framework apps (React, Vue, Preact from npm, bundled with esbuild at
 * test time; ./render-site/): what a rendered crawl stores, and what the server saw the browser ask
 * for. Needs Chromium (Debian: apt-get install chromium; .ci/run installs it): skipped with the
 * reason without it, failed in CI.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { tempDir } from './helpers/cli.js';
import { allPages, pageData } from './render-site/model.js';
import { startRenderSite, type RenderSite } from './render-site/server.js';
import { crawlSite, needChromium, siteOptions } from './render-site/crawl.js';

const dir = tempDir('crawl-render-');
let site: RenderSite;
before(async () => { site = await startRenderSite(); }, { timeout: 120_000 });
after(async () => { await site.close(); fs.rmSync(dir, { recursive: true, force: true }); });

const pages = allPages();
assert.ok(pages.length >= 200, 'at least 200 labelled pages');
const urls = (kinds: string[]) => pages.filter((p) => kinds.includes(p.kind)).map((p) => site.base + p.path);

test('--render always stores the same titles, text and links as --render never for server-rendered and static pages', { timeout: 600_000 }, async (t) => {
  if (!needChromium(t)) return;
  const seeds = urls(['ssr', 'static']);
  const never = await crawlSite(siteOptions(dir, 'never', seeds, { render: 'never' }));
  const always = await crawlSite(siteOptions(dir, 'always', seeds, { render: 'always' }));
  assert.equal(always.pages.size, seeds.length);
  for (const [p, a] of always.pages) {
    const n = never.pages.get(p)!;
    assert.equal(a.rendered, 'always', p);
    assert.equal(a.error, null, p);
    assert.equal(a.title, n.title, `${p}: title`);
    assert.equal(a.text, n.text, `${p}: text`);
    assert.deepEqual(a.links, n.links, `${p}: links`);
    assert.equal(n.rendered, null);
  }
});

test('client-rendered apps: rendered content stored, links found only after rendering followed; the server saw no robots-disallowed request and each page once', { timeout: 600_000 }, async (t) => {
  if (!needChromium(t)) return;
  site.log.length = 0;
  // One seed per app: every other page is reachable only through links the app builds in the browser.
  const seeds = ['react', 'vue', 'preact'].map((fw) => `${site.base}/csr/${fw}/0`);
  const never = await crawlSite(siteOptions(dir, 'csr-never', seeds, { render: 'never', maxDepth: 50 }));
  assert.equal(never.pages.size, 3, 'without a browser the shells link nowhere');
  site.log.length = 0;
  const r = await crawlSite(siteOptions(dir, 'csr-always', seeds, { render: 'always', maxDepth: 50 }));
  const csr = pages.filter((p) => p.kind === 'csr');
  for (const p of csr) {
    const got = r.pages.get(p.path);
    assert.ok(got, `${p.path} reached through rendered links`);
    assert.equal(got.rendered, 'always');
    assert.match(got.title ?? '', /page \d+$/, p.path);
    assert.ok((got.text ?? '').includes('evening number'), p.path);
    const want = [...new Set(pageData('csr', p.fw, Number(p.path.split('/').pop())).links.map((l) => l.href))].sort();
    assert.deepEqual(got.links, want, p.path);
  }
  const seen = new Map<string, number>();
  for (const l of site.log) seen.set(l.path, (seen.get(l.path) ?? 0) + 1);
  assert.deepEqual(site.log.filter((l) => l.path.startsWith('/private/')), [], 'robots.txt disallows /private/: never requested');
  for (const p of csr) assert.equal(seen.get(p.path), 1, `${p.path}: the main document is fetched once`);
  assert.equal(site.log.filter((l) => l.method !== 'GET').length, 0, 'the analytics beacon (POST) is refused');
  // Bundles come from the per-run cache after their first fetch.
  for (const fw of ['react', 'vue', 'preact']) assert.equal(seen.get(`/assets/${fw}-csr.js`), 1, `${fw} bundle fetched once`);
});

test('--render auto renders >= 95% of client-rendered pages and <= 10% of the others, and stores what it learned for the next run', { timeout: 600_000 }, async (t) => {
  if (!needChromium(t)) return;
  const seeds = pages.map((p) => site.base + p.path);
  const r = await crawlSite(siteOptions(dir, 'auto', seeds, { render: 'auto' }));
  const csr = pages.filter((p) => p.kind === 'csr');
  const others = pages.filter((p) => p.kind !== 'csr');
  const csrRendered = csr.filter((p) => r.pages.get(p.path)?.rendered?.startsWith('auto:')).length;
  const othersRendered = others.filter((p) => r.pages.get(p.path)?.rendered).length;
  t.diagnostic(`auto rendered ${csrRendered}/${csr.length} client-rendered, ${othersRendered}/${others.length} others`);
  assert.ok(csrRendered >= 0.95 * csr.length, `client-rendered caught: ${csrRendered}/${csr.length}`);
  assert.ok(othersRendered <= 0.1 * others.length, `others rendered: ${othersRendered}/${others.length}`);
  for (const p of csr) assert.match(r.pages.get(p.path)!.title ?? '', /page \d+$/);
  // Learned per prefix: rendering helped on /csr/*/, never on /ssr/*/ or /static/.
  const v = new Map(r.verdicts.map((x) => [String(x.prefix).replace(/^[^/]+/, ''), x]));
  for (const fw of ['react', 'vue', 'preact']) {
    assert.ok(Number(v.get(`/csr/${fw}/`)?.fired_helped) >= 1, `/csr/${fw}/ learned`);
    const ssr = v.get(`/ssr/${fw}/`)!;
    assert.equal(Number(ssr.fired_helped) + Number(ssr.quiet_helped), 0, `/ssr/${fw}/: rendering never helped`);
  }
  // The next run starts informed: the verdicts are there before any sample of this run.
  const again = await crawlSite(siteOptions(dir, 'auto', seeds, { render: 'auto', recrawlAfter: '0s' }));
  assert.equal(again.summary.runId, 2);
  assert.equal(again.summary.session.pages, pages.length, 'every page fetched again');
  assert.equal(others.filter((p) => again.pages.get(p.path)?.rendered).length, 0, 'no samples needed: no other page rendered');
  assert.equal(csr.filter((p) => again.pages.get(p.path)?.rendered).length, csr.length);
});
