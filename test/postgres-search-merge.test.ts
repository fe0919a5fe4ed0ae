/**
 * The search index's pending list is merged off the write path (src/store/postgres/search-merge.ts):
 * writes leave their words in the GIN pending list (64 MB allowed), and a worker that wrote pages
 * merges it within a second in a session of its own, and once more when it closes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { PostgresBackend } from '../src/store/postgres/backend.js';
import { okOutcome } from './backend/contract.js';
import { pgCluster } from './helpers/pg.js';

const cluster = await pgCluster();
const skip = cluster ? false : 'PostgreSQL not found (see the message above)';

async function pending(c: pg.Client): Promise<number> {
  return (await c.query("SELECT n_pending_tuples::int AS n FROM gin_metapage_info(get_raw_page('pages_search', 0))")).rows[0].n as number;
}

test('pages written leave the GIN pending list to a background merge; nothing is left pending after close', { skip }, async () => {
  const url = cluster!.newDatabase();
  const c = new pg.Client(url);
  await c.connect();
  await c.query('CREATE EXTENSION IF NOT EXISTS pageinspect');
  const b = await PostgresBackend.open(url);
  try {
    const opts = (await c.query("SELECT reloptions FROM pg_class WHERE relname = 'pages_search'")).rows[0].reloptions as string[];
    assert.deepEqual(opts, ['gin_pending_list_limit=65536'], 'schema v7 lets the pending list grow between merges');
    const { run } = await b.openRun({ optionsJson: '{}', owner: 'w1' });
    await b.enqueue(Array.from({ length: 50 }, (_, i) => ({ url: `http://a.test/${i}`, host: 'a.test', depth: 0, source: 'link' as const })));
    const { entries } = await b.claim('a.test', 50, { owner: 'w1', until: Date.now() + 60_000 });
    await b.write({ runId: run.id, owner: 'w1', outcomes: entries.map((e) => okOutcome(e)), skipped: [], requests: 50 });
    const end = Date.now() + 30_000;
    while (await pending(c) > 0) {
      assert.ok(Date.now() < end, 'a background merge empties the pending list');
      await new Promise((r) => setTimeout(r, 100));
    }
    const hits = await c.query("SELECT count(*)::int AS n FROM pages WHERE search @@ 'text'::tsquery");
    assert.equal(hits.rows[0].n, 50, 'every page is found through the merged index');
    // More pages just before the worker stops: its close merges them, it does not leave them pending.
    await b.enqueue(Array.from({ length: 50 }, (_, i) => ({ url: `http://b.test/${i}`, host: 'b.test', depth: 0, source: 'link' as const })));
    const { entries: more } = await b.claim('b.test', 50, { owner: 'w1', until: Date.now() + 60_000 });
    await b.write({ runId: run.id, owner: 'w1', outcomes: more.map((e) => okOutcome(e)), skipped: [], requests: 50 });
  } finally {
    await b.close();
  }
  assert.equal(await pending(c), 0, 'closing merged what was left');
  await c.end();
});
