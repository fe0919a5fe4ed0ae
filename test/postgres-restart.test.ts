/**
 * The PostgreSQL server restarts in the middle of a crawl (`pg_ctl restart -m fast`: every
 * connection is cut, new ones are refused for a moment). The crawl reconnects and carries on:
 * exit 0, every page stored once, no page fetched twice.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, test } from 'node:test';
import pg from 'pg';
import { startSite } from '../src/demo/site.js';
import { seedFile, startCli, tempDir } from './helpers/cli.js';
import { pgCluster } from './helpers/pg.js';

const cluster = await pgCluster();
const skip = cluster ? false : 'PostgreSQL not found (see the message above)';
const dir = tempDir('crawl-pg-restart-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function count(url: string): Promise<number> {
  const c = new pg.Client(url);
  try {
    await c.connect();
    return Number((await c.query('SELECT count(*) AS n FROM pages')).rows[0].n);
  } catch {
    return 0; // not created yet, or the server is restarting
  } finally {
    await c.end().catch(() => {});
  }
}

test('a server restart mid-crawl: the crawl reconnects and finishes, every page stored once and fetched once', { skip }, async () => {
  const site = await startSite({ pages: 300, extras: false, latencyMs: 10 });
  try {
    const db = cluster!.newDatabase();
    const seeds = seedFile(dir, [site.url + '/']);
    // A short lease: claims whose answer was lost in the cut come back to the queue in seconds.
    const crawl = startCli(['--urls', seeds, '--db', db, '--delay', '0ms', '--per-host', '2', '--concurrency', '2', '--no-progress',
      '--lease', '6s', '--heartbeat', '1s', '--log-format', 'json']);
    const end = Date.now() + 60_000;
    while (await count(db) < 40) {
      assert.ok(Date.now() < end, 'the crawl gets going');
      await new Promise((r) => setTimeout(r, 50));
    }
    await cluster!.restart();
    const r = await crawl.done;
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    const reachable = site.reachablePaths();
    assert.equal(await count(db), reachable.length, 'every page stored');
    const twice = [...site.requests].filter(([path, n]) => path !== '/robots.txt' && n > 1);
    assert.deepEqual(twice, [], 'no page fetched twice');
    const c = new pg.Client(db);
    await c.connect();
    const run = (await c.query('SELECT status, pages::int AS pages FROM runs')).rows;
    await c.end();
    assert.deepEqual(run, [{ status: 'done', pages: reachable.length }]);
  } finally {
    await site.close();
  }
});

test('a server that cannot be reached when the crawl starts: exit 6 at once, saying what to check', async () => {
  const seeds = seedFile(dir, ['http://127.0.0.1:9/'], 'unreachable.txt');
  const r = await startCli(['--urls', seeds, '--db', 'postgres://crawler:s3cret@127.0.0.1:1/crawl', '--no-progress']).done;
  assert.equal(r.code, 6);
  assert.match(r.stderr, /postgres:\/\/crawler@127\.0\.0\.1:1\/crawl: connect ECONNREFUSED .*is the PostgreSQL server running/);
  assert.ok(!r.stderr.includes('s3cret'));
});
