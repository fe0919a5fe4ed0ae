/**
 * Issue 23 item 3: a URL's depth is its shortest link path. A URL still queued that is found again
 * at a smaller depth (a page of depth 1 answering after one of depth 2 that linked to it) takes the
 * smaller depth, so its page row and its --max-depth budget follow the shortest path; a URL already
 * claimed or done keeps its depth. SQLite and the in-memory backend.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MemoryBackend } from '../src/store/memory/backend.js';
import { SqliteBackend } from '../src/store/sqlite/backend.js';
import type { Backend, EnqueueItem } from '../src/store/types.js';
import { okOutcome } from './backend/contract.js';
import { tempDir } from './helpers/cli.js';

const dir = tempDir('crawl-depth-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const item = (p: string, depth: number): EnqueueItem => ({ url: `http://a.test/${p}`, host: 'a.test', depth, source: 'link' });
const lease = () => ({ owner: 'w1', until: Date.now() + 60_000 });

const targets: [string, () => Promise<Backend>][] = [
  ['memory', async () => new MemoryBackend('memory')],
  ['sqlite', () => SqliteBackend.open(path.join(dir, `d${Math.random().toString(36).slice(2)}.db`))],
];

for (const [name, open] of targets) {
  test(`${name}: a queued URL found again at a smaller depth takes it; claimed and done ones keep theirs`, async () => {
    const b = await open();
    try {
      const { run } = await b.openRun({ optionsJson: '{}', owner: 'w1' });
      await b.enqueue([item('seed', 0)]);
      const [seed] = (await b.claim('a.test', 1, lease())).entries;
      // The seed links to deep (depth 1 would be its shortest path later) ... first found at depth 3.
      const w1 = await b.write({ runId: run.id, owner: 'w1', outcomes: [okOutcome(seed, [item('deep', 3), item('other', 3)])], skipped: [], requests: 1 });
      assert.deepEqual([...w1.queuedByHost], [['a.test', 2]]);
      // Found again at depth 2 through enqueue, then at depth 1 through a write's links: not new either time.
      assert.deepEqual([...(await b.enqueue([item('deep', 2)]))], [], 'a known URL is not counted as new');
      await b.enqueue([item('seed2', 0)]);
      const [seed2] = (await b.claim('a.test', 1, lease())).entries;
      assert.equal(seed2.url, 'http://a.test/seed2');
      const w2 = await b.write({ runId: run.id, owner: 'w1', outcomes: [okOutcome(seed2, [item('deep', 1), item('other', 5), item('seed', 1)])], skipped: [], requests: 1 });
      assert.deepEqual([...w2.queuedByHost], [], 'nothing new queued');
      const c = await b.claim('a.test', 5, lease());
      assert.deepEqual(c.entries.map((e) => [e.url, e.depth]), [['http://a.test/deep', 1], ['http://a.test/other', 3]],
        'deep takes depth 1 (and is served first); a larger depth never replaces a smaller one');
      await b.enqueue([item('deep', 0)]);
      const w3 = await b.write({ runId: run.id, owner: 'w1', outcomes: c.entries.map((e) => okOutcome(e)), skipped: [], requests: 2 });
      assert.deepEqual(w3.rejected, []);
      if (b instanceof SqliteBackend) {
        const file = b.location;
        await b.close();
        const db = new Database(file, { readonly: true });
        try {
          const rows = db.prepare('SELECT url, depth FROM pages ORDER BY url').all();
          assert.deepEqual(rows, [
            { url: 'http://a.test/deep', depth: 1 }, { url: 'http://a.test/other', depth: 3 },
            { url: 'http://a.test/seed', depth: 0 }, { url: 'http://a.test/seed2', depth: 0 },
          ], 'pages.depth is the shortest path; a claimed URL found again keeps the depth it was claimed at');
        } finally { db.close(); }
      }
    } finally { await b.close(); }
  });
}
