/** Scheduled runs: fresh pages skipped, due pages refetched conditionally, changes and gone pages recorded. */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { startSite, type Site } from '../src/demo/site.js';
import { crawl } from '../src/index.js';
import { tempDir } from './helpers/cli.js';

let site: Site;
let dir: string;
before(async () => { site = await startSite({ pages: 60, fanOut: 5, pageBytes: 3000, extras: false }); dir = tempDir(); });
after(async () => { await site.close(); fs.rmSync(dir, { recursive: true, force: true }); });

const base = () => ({ seeds: [site.url + '/'], db: path.join(dir, 'r.db'), delay: '0ms', perHost: 8, progress: false });

test('second run inside --recrawl-after fetches nothing; a due run uses conditional requests and records changes', async () => {
  const first = await crawl({ ...base(), recrawlAfter: '1d' });
  const reachable = site.reachablePaths();
  assert.equal(first.counters.new, reachable.length);

  site.resetCounts();
  const second = await crawl({ ...base(), recrawlAfter: '1d' });
  assert.equal(second.runId, first.runId + 1, 'a finished run is followed by a new run');
  assert.equal(site.totalRequests, 0, `nothing outside the recrawl window is fetched (saw ${[...site.requests.keys()].join(',')})`);
  assert.ok(second.counters.skipped >= 1);

  site.touch('/p/3');
  site.removePage('/p/5', 410);
  site.resetCounts();
  const third = await crawl({ ...base(), recrawlAfter: '0' });
  for (const p of reachable) assert.ok((site.requests.get(p) ?? 0) <= 1, `${p} fetched once`);
  const d = new Database(base().db, { readonly: true });
  const changes = Object.fromEntries((d.prepare('SELECT u.url, r.change, r.status FROM page_runs r JOIN urls u ON u.id = r.url_id WHERE r.run_id = ?')
    .all(third.runId) as { url: string; change: string; status: number }[]).map((r) => [new URL(r.url).pathname, r]));
  assert.equal(changes['/p/3'].change, 'changed');
  assert.equal(changes['/p/5'].change, 'gone');
  assert.equal(changes['/p/5'].status, 410);
  const unchanged = Object.values(changes).filter((c) => c.change === 'unchanged').length;
  assert.ok(unchanged >= reachable.length - 3, `most pages unchanged via 304 (${unchanged})`);
  // The gone page keeps its last content; its history shows first seen / last changed.
  const gone = d.prepare('SELECT status, title, first_fetched_at, last_changed_at, last_ok_at FROM pages WHERE url = ?').get(site.url + '/p/5') as Record<string, unknown>;
  assert.equal(gone.status, 410);
  assert.ok(gone.title, 'content of the last good fetch is kept');
  const changed = d.prepare('SELECT last_changed_at, first_fetched_at FROM pages WHERE url = ?').get(site.url + '/p/3') as { last_changed_at: string; first_fetched_at: string };
  assert.ok(changed.last_changed_at > changed.first_fetched_at);
  const runs = d.prepare('SELECT id, status, unchanged, changed, gone FROM runs ORDER BY id').all() as { id: number; status: string; unchanged: number; changed: number; gone: number }[];
  assert.equal(runs.length, 3);
  assert.deepEqual(runs.map((r) => r.status), ['done', 'done', 'done']);
  assert.equal(runs[2].gone, 1);
  d.close();
});
