/**
 * The PostgreSQL write path reads through indexes whatever the crawl's size. A write of 256 pages
 * with 20 links each looks up 5,120 URLs; against tables of tens of thousands of rows the planner
 * had joined that batch to a Seq Scan of `urls` and `frontier` (cheaper in its model than 5,120
 * index probes), every write, for the whole middle of a crawl (measured at 300,000 URLs: 75–115 ms a
 * statement against 12 through the index). Counted here with the transaction's own statistics
 * (pg_stat_xact_user_tables) in a transaction opened as the crawler opens its own (clock.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import type { EnqueueItem } from '../src/frontier/types.js';
import { PostgresBackend } from '../src/store/postgres/backend.js';
import { beginWithLimits } from '../src/store/postgres/clock.js';
import { pgTypes } from '../src/store/postgres/db.js';
import { writeBatch } from '../src/store/postgres/write.js';
import { okOutcome } from './backend/contract.js';
import { pgCluster } from './helpers/pg.js';

const cluster = await pgCluster();
const skip = cluster ? false : 'PostgreSQL not found (see the message above)';

test('a 256-page write with 5,120 links scans no table of a 60,000-URL crawl', { skip }, async () => {
  const url = cluster!.newDatabase();
  const b = await PostgresBackend.open(url);
  const c = new pg.Client(url);
  await c.connect();
  try {
    const { run } = await b.openRun({ optionsJson: '{}', owner: 'w' });
    // A crawl under way: 60,000 known URLs over 600 hosts, all fetched, each with a page row.
    await c.query(`INSERT INTO urls (url, host, first_seen_at) SELECT 'http://h' || (g % 600) || '.test/p' || g, 'h' || (g % 600) || '.test', 'now'
      FROM generate_series(1, 60000) g`);
    await c.query('INSERT INTO frontier (url_id, host, depth, state, source) SELECT id, host, 2, 2, \'link\' FROM urls');
    await c.query(`INSERT INTO pages (url_id, url, host, depth, source, run_id, fetched_at, status, first_fetched_at)
      SELECT id, url, host, 2, 'link', $1, 'now', 200, 'now' FROM urls`, [run.id]);
    await c.query('ANALYZE');
    await b.enqueue(Array.from({ length: 256 }, (_, i) => ({ url: `http://a.test/n${i}`, host: 'a.test', depth: 1, source: 'link' as const })));
    const claim = await b.claim('a.test', 256, { owner: 'w', until: Date.now() + 60_000 });
    assert.equal(claim.entries.length, 256);
    // Half the links go to URLs the crawl knows, half to new ones, over many hosts.
    const outcomes = claim.entries.map((e, i) => okOutcome(e, Array.from({ length: 20 }, (_, k): EnqueueItem => {
      const n = i * 20 + k;
      const g = 1 + ((n * 7919) % 60000); // a known URL, as inserted above
      return k % 2 === 0 ? { url: `http://h${g % 600}.test/p${g}`, host: `h${g % 600}.test`, depth: 2, source: 'link' }
        : { url: `http://h${n % 600}.test/new${n}`, host: `h${n % 600}.test`, depth: 2, source: 'link' };
    })));
    // A session of its own: the transaction statistics of a session include what it did before but did not yet report.
    const w = new pg.Client({ connectionString: url, types: pgTypes }); // as the backend's sessions read int8
    await w.connect();
    let scans: unknown[];
    try {
      await w.query(beginWithLimits(60_000));
      const r = await writeBatch(w as unknown as pg.PoolClient, { runId: run.id, owner: 'w', outcomes, skipped: [], requests: 256 }, { runId: run.id, maxPages: 0, maxPagesPerHost: 0 });
      assert.deepEqual(r.rejected, []);
      scans = (await w.query(`SELECT relname, seq_scan::int AS n FROM pg_stat_xact_user_tables
        WHERE relname IN ('urls', 'frontier', 'pages', 'links') AND seq_scan > 0 ORDER BY relname`)).rows;
      await w.query('COMMIT');
    } finally {
      await w.end();
    }
    assert.deepEqual(scans, [], 'tables read by a Seq Scan in the write');
    const stored = (await c.query("SELECT (SELECT count(*)::int FROM links) AS links, (SELECT count(*)::int FROM frontier WHERE state = 0) AS queued")).rows[0];
    assert.deepEqual(stored, { links: 5120, queued: 2560 }, 'every link stored, the new URLs queued');
  } finally {
    await c.end();
    await b.close();
  }
});
