/**
 * Issue 23 item 9: `crawl worker` joining a run other workers crawl says it joined run N (not
 * "resuming run N with 0 seeds … (resumed)") and reports its own pages and rate beside the run's
 * totals. On a throwaway PostgreSQL cluster (test/helpers/pg.ts).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, test } from 'node:test';
import pg from 'pg';
import { seedFile, startCli, tempDir } from './helpers/cli.js';
import { startMultiHostSite } from './helpers/multi-host-site.js';
import { pgCluster } from './helpers/pg.js';

const cluster = await pgCluster();
const dir = tempDir('crawl-worker-join-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function sql<T>(url: string, text: string): Promise<T[]> {
  const c = new pg.Client(url);
  await c.connect();
  try { return (await c.query(text)).rows as T[]; } finally { await c.end(); }
}

test('crawl worker says it joined the run and reports its own pages and rate', { skip: cluster ? false : 'PostgreSQL not found (see the message above)' }, async () => {
  const site = await startMultiHostSite(4, 25, 20);
  try {
    const db = cluster!.newDatabase();
    const seeds = seedFile(dir, site.hosts.map((h) => h.origin + '/'));
    const polite = ['--delay', '150ms', '--per-host', '1', '--concurrency', '2', '--no-progress'];
    const starter = startCli(['--urls', seeds, '--db', db, ...polite, '--log-format', 'json']);
    const end = Date.now() + 60_000;
    while ((await sql(db, "SELECT 1 FROM run_log WHERE status = 'running'").catch(() => [])).length === 0) {
      assert.ok(Date.now() < end, 'the run starts');
      await new Promise((r) => setTimeout(r, 50));
    }
    const worker = startCli(['worker', '--db', db, '--no-progress', '--log-format', 'plain']); // the run's own options say json
    const [first, joined] = await Promise.all([starter.done, worker.done]);
    assert.equal(first.code, 0, first.stderr.slice(-1500));
    assert.equal(joined.code, 0, joined.stderr.slice(-1500));

    assert.match(joined.stderr, /^crawl: joining run 1, which other workers are crawling, in /m);
    assert.doesNotMatch(joined.stderr, /resuming run|with 0 seeds|\(resumed\)/);
    assert.match(joined.stderr, /^crawl: done in .* — run 1 \(joined: other workers crawl it too\)$/m);
    const own = /^ {2}worker {4}(\d+) pages by this worker \((\d+\.\d) pages\/s\)/m.exec(joined.stderr);
    const all = /^ {2}pages {5}(\d+) in the run by every worker/m.exec(joined.stderr);
    assert.ok(own && all, joined.stderr);
    const workers = await sql<{ pages: number }>(db, 'SELECT pages::int AS pages FROM run_workers ORDER BY joined_at');
    assert.equal(workers.length, 2);
    assert.equal(Number(own[1]), workers[1].pages, 'its own pages, as run_workers counts them');
    if (workers[1].pages > 0) assert.ok(Number(own[2]) > 0, 'its own rate');
    assert.equal(Number(all[1]), workers[0].pages + workers[1].pages, 'the run\'s pages, every worker together');
    const summary = /crawl: summary .*$/m.exec(joined.stderr)![0];
    assert.match(summary, / joined=true /);
    assert.match(summary, new RegExp(` worker_pages=${workers[1].pages}( |$)`));

    const start = JSON.parse(first.stderr.split('\n').find((l) => l.includes('"event":"start"'))!) as { joined: boolean };
    assert.equal(start.joined, false, 'the worker that started the run did not join it');
  } finally {
    await site.close();
  }
});
