/**
 * The read contract (test/reader/contract.ts) on PostgreSQL: the same fixture, loaded into a
 * database of the crawler's PostgreSQL schema. The URL carries a password (ignored by the test
 * cluster's trust authentication) to show it never appears in any answer.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildFixture } from './query-fixture.js';
import { runCli, tempDir } from './helpers/cli.js';
import { pgCluster } from './helpers/pg.js';
import { readerContract } from './reader/contract.js';
import { loadIntoPg } from './reader/load-pg.js';

const cluster = await pgCluster();
const skip = cluster ? false : 'PostgreSQL not found (see the message above)';
const dir = tempDir('crawl-reader-pg-');
let db = '';
before(async () => {
  if (!cluster) return;
  const file = path.join(dir, 'fixture.db');
  buildFixture(file);
  db = cluster.newDatabase();
  await loadIntoPg(file, db);
  db = db.replace('//postgres@', '//postgres:s3cret@');
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

readerContract('postgres', () => db, skip);

test('postgres: the copy to SQLite answers every command as recorded, byte for byte', { skip }, async () => {
  const copy = path.join(dir, 'copy.db');
  const r = await runCli(['export', '--db', db, '--to-sqlite', copy]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /copied 2 runs, 12 urls, 12 pages, 11 links, 2 frontier, 9 page_runs, 0 robots into/);
  assert.ok(!r.stderr.includes('s3cret'));
});
