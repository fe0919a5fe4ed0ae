/**
 * Issue 23 item 2: a page whose latest fetch failed is not fresh. After a run in which the host was
 * down, the next run (inside --recrawl-after of the last success) fetches every page again, with
 * the validators of its last success (so the server answers 304), instead of skipping them as fresh.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startSite, type Site } from '../src/demo/site.js';
import { crawl } from '../src/index.js';
import { tempDir } from './helpers/cli.js';
import { startOutageProxy, type OutageProxy } from './helpers/outage-proxy.js';
import { pgCluster } from './helpers/pg.js';

const cluster = await pgCluster();

let site: Site;
let proxy: OutageProxy;
let dir: string;
before(async () => {
  site = await startSite({ pages: 40, fanOut: 4, pageBytes: 2000, extras: false });
  proxy = await startOutageProxy(site.url);
  dir = tempDir('crawl-fresh-');
});
after(async () => { await proxy.close(); await site.close(); fs.rmSync(dir, { recursive: true, force: true }); });

const run = (db: string, recrawlAfter: string) => crawl({
  seeds: [proxy.url + '/'], db, delay: '0ms', perHost: 4, retries: 0, maxCrawlDelay: '1s', progress: false, recrawlAfter,
});

for (const backend of ['sqlite', 'postgres'] as const) {
  test(`${backend}: after an outage, the next run refetches the failed pages conditionally instead of skipping them as fresh`,
    { skip: backend === 'postgres' && !cluster ? 'PostgreSQL not found (see the message above)' : false }, async () => {
    const db = backend === 'sqlite' ? path.join(dir, 'outage.db') : cluster!.newDatabase();
    site.resetCounts();
    const first = await run(db, '1d');
    const pages = site.reachablePaths().length;
    assert.equal(first.counters.new, pages);

    await proxy.down();
    const outage = await run(db, '0');
    assert.equal(outage.exitCode, 7, 'no URL got an answer');
    assert.equal(outage.counters.errors, pages, 'every page failed');

    await proxy.up();
    site.resetCounts();
    const next = await run(db, '1d');
    assert.equal(next.counters.skipped, 0, 'no failed page is skipped as fresh');
    assert.equal(next.counters.unchanged, pages, 'every page fetched again');
    assert.equal(next.counters.bytes, 0, 'every refetch was conditional and answered 304 (no body)');
    for (const p of site.reachablePaths()) assert.equal(site.requests.get(p), 1, `${p} fetched once`);

    if (backend === 'sqlite') {
      const d = new Database(db, { readonly: true });
      try {
        const failed = d.prepare('SELECT count(*) AS n FROM pages WHERE error_code IS NOT NULL OR status IS NULL').get() as { n: number };
        assert.equal(failed.n, 0, 'every page row holds its answer again');
      } finally { d.close(); }
    }

    // And a run inside --recrawl-after after that healthy run skips them again: success stays fresh.
    site.resetCounts();
    const quiet = await run(db, '1d');
    assert.equal(quiet.counters.skipped >= 1, true);
    assert.equal(site.totalRequests, 0, 'pages whose latest fetch succeeded are fresh');
  });
}
