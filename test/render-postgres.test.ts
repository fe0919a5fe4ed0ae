/**
 * --render into PostgreSQL: two workers of one run each render locally; pages.rendered is stored,
 * and render_verdicts holds what auto learned, shared by the workers and read by the next run.
 * Needs Chromium and PostgreSQL: skipped with the reason without them, failed in CI.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import pg from 'pg';
import { crawl } from '../src/index.js';
import { tempDir } from './helpers/cli.js';
import { pgCluster } from './helpers/pg.js';
import { allPages } from './render-site/model.js';
import { startRenderSite, type RenderSite } from './render-site/server.js';
import { CHROMIUM, NO_CHROMIUM, siteOptions } from './render-site/crawl.js';

const cluster = await pgCluster();
const dir = tempDir('crawl-render-pg-');
let site: RenderSite;
before(async () => { site = await startRenderSite(); }, { timeout: 120_000 });
after(async () => { await site.close(); fs.rmSync(dir, { recursive: true, force: true }); });

test('two PostgreSQL workers render with --render auto: pages.rendered and render_verdicts stored', { timeout: 600_000 }, async (t) => {
  if (!CHROMIUM || !cluster) {
    const why = !CHROMIUM ? NO_CHROMIUM : 'PostgreSQL not found (see the message above)';
    if (process.env.CI === 'true') assert.fail(why);
    t.skip(why);
    return;
  }
  const db = cluster.newDatabase();
  const pages = allPages().filter((p) => p.fw !== 'vue' || p.kind === 'static').filter((_, i) => i % 2 === 0);
  const seeds = pages.map((p) => site.base + p.path);
  const opts = (name: string) => ({ ...siteOptions(dir, name, seeds, { render: 'auto' as const }), db, lease: '10s', heartbeat: '1s' });
  const [a, b] = await Promise.all([crawl(opts('a')), crawl(opts('b'))]);
  assert.equal(a.runId, b.runId, 'one run');
  const c = new pg.Client({ connectionString: db });
  await c.connect();
  try {
    const rows = (await c.query('SELECT url, rendered FROM pages')).rows as { url: string; rendered: string | null }[];
    assert.equal(rows.length, seeds.length);
    const csr = rows.filter((r) => r.url.includes('/csr/'));
    assert.ok(csr.length > 0);
    for (const r of csr) assert.match(r.rendered ?? '', /^auto:/, r.url);
    const verdicts = (await c.query('SELECT prefix, fired_helped FROM render_verdicts')).rows as { prefix: string; fired_helped: number }[];
    assert.ok(verdicts.some((v) => v.prefix.endsWith('/csr/react/') && v.fired_helped > 0), JSON.stringify(verdicts));
  } finally {
    await c.end();
  }
});
