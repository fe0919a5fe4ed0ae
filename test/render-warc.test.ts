/**
 * --render with --warc: the page's HTTP response as received, each sub-resource as request and
 * response records naming the page's response (WARC-Concurrent-To), and the rendered DOM as a
 * conversion record referring to it (WARC-Refers-To), where the page row points; `crawl reparse`
 * parses that DOM again. Needs Chromium: skipped with the reason without it, failed in CI.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { runCli, tempDir } from './helpers/cli.js';
import { readWarcGz, splitHttp } from './helpers/warc-reader.js';
import { startRenderSite, type RenderSite } from './render-site/server.js';
import { CHROMIUM, NO_CHROMIUM, crawlSite, siteOptions } from './render-site/crawl.js';

const dir = tempDir('crawl-render-warc-');
let site: RenderSite;
before(async () => { site = await startRenderSite(); }, { timeout: 120_000 });
after(async () => { await site.close(); fs.rmSync(dir, { recursive: true, force: true }); });

test('rendered pages in the WARC: response, sub-resources tied to it, the DOM as a conversion record; crawl reparse parses the DOM', { timeout: 300_000 }, async (t) => {
  if (!CHROMIUM) {
    if (process.env.CI === 'true') assert.fail(NO_CHROMIUM);
    t.skip(NO_CHROMIUM);
    return;
  }
  const warc = path.join(dir, 'warc');
  const seeds = ['/csr/react/1', '/csr/vue/2', '/ssr/preact/3'].map((p) => site.base + p);
  const opts = siteOptions(dir, 'warc', seeds, { render: 'always', warc });
  const first = await crawlSite(opts);
  const records = fs.readdirSync(warc).sort().flatMap((f) => readWarcGz(path.join(warc, f)).map((r) => ({ ...r, file: f })));
  const field = (r: (typeof records)[number], name: string) => r.headers.get(name) ?? r.headers.get(name.toLowerCase());
  const db = new Database(opts.db!, { readonly: true });
  for (const url of seeds) {
    const response = records.find((r) => field(r, 'WARC-Type') === 'response' && field(r, 'WARC-Target-URI') === url)!;
    assert.ok(response, `${url}: its response`);
    const id = field(response, 'WARC-Record-ID');
    assert.match(splitHttp(response.block).payload.toString(), /<script src="\/assets\//, 'the response as received: the shell, not the DOM');
    const subs = records.filter((r) => field(r, 'WARC-Type') === 'response' && field(r, 'WARC-Concurrent-To') === id);
    if (url.includes('/csr/')) assert.ok(subs.some((r) => field(r, 'WARC-Target-URI')!.includes('/api/csr/')), `${url}: its data request archived and tied to it`);
    const conv = records.find((r) => field(r, 'WARC-Type') === 'conversion' && field(r, 'WARC-Target-URI') === url)!;
    assert.ok(conv, `${url}: a conversion record`);
    assert.equal(field(conv, 'WARC-Refers-To'), id);
    assert.match(conv.block.toString(), /evening number/, 'the rendered DOM');
    const row = db.prepare('SELECT warc_file, warc_offset FROM pages WHERE url = ?').get(url) as { warc_file: string; warc_offset: number };
    assert.equal(row.warc_file, conv.file);
    assert.equal(row.warc_offset, conv.offset, `${url}: the page row points at its conversion record`);
  }
  db.close();
  const re = await runCli(['reparse', '--db', opts.db!]);
  assert.equal(re.code, 0, re.stderr);
  assert.match(re.stderr, /reparsed 3 pages \(0 changed content\)/);
  const db2 = new Database(opts.db!, { readonly: true });
  for (const url of seeds) {
    const p = db2.prepare('SELECT title FROM pages WHERE url = ?').get(url) as { title: string };
    assert.equal(p.title, first.pages.get(new URL(url).pathname)!.title, 'still the rendered title after the reparse');
  }
  db2.close();
});
