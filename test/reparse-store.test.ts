/** ReparseStore: keyset paging over archived pages, content written only when it differs, links as a difference. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openWritable } from '../src/store/sqlite/open.js';
import { ReparseStore, type ReparsedContent } from '../src/store/sqlite/reparse.js';
import { tempDir } from './helpers/cli.js';

const CONTENT: ReparsedContent = {
  title: 't', description: null, canonical: null, lang: null, h1: null, meta_robots: null, text: 'hello',
  word_count: 1, content_hash: 'h', extract: null, encoding: 'utf-8',
};

test('pages more than a batch are all visited once; unchanged content is not counted; links diffed', () => {
  const db = openWritable(path.join(tempDir(), 'r.db'));
  db.prepare("INSERT INTO runs (started_at, status, options) VALUES ('2026-01-01', 'done', '{\"warc\":\"w\"}')").run();
  const insUrl = db.prepare("INSERT INTO urls (url, host, first_seen_at) VALUES (?, 'h', 'now')");
  const insPage = db.prepare(`INSERT INTO pages (url_id, url, host, depth, source, run_id, fetched_at, first_fetched_at, warc_file, warc_offset, text)
    VALUES (?, ?, 'h', 0, 'seed', 1, 'now', 'now', ?, ?, 'hello')`);
  for (let i = 1; i <= 600; i++) {
    const url = `http://h/${i}`;
    const id = Number(insUrl.run(url).lastInsertRowid);
    insPage.run(id, url, i % 7 === 0 ? null : `f${i % 3}.warc.gz`, i * 10);
  }
  const store = new ReparseStore(db);
  assert.equal(store.lastRun()!.options.warc, 'w');
  assert.deepEqual(store.warcFiles().sort(), ['f0.warc.gz', 'f1.warc.gz', 'f2.warc.gz']);
  const seen: number[] = [];
  for (let p = store.archivedPages(0, 256); p.length > 0; p = store.archivedPages(p[p.length - 1]!.urlId, 256)) seen.push(...p.map((x) => x.urlId));
  assert.equal(seen.length, 600 - Math.floor(600 / 7));
  assert.equal(new Set(seen).size, seen.length);

  const page = { urlId: 1, content: CONTENT, links: [{ url: 'http://h/2', host: 'h', anchor: 'two', rel: null }, { url: 'http://h/new', host: 'h', anchor: 'n', rel: null }] };
  assert.equal(store.writeBatch([page], 1), 1);
  assert.equal(store.writeBatch([page], 1), 0, 'same content again: nothing changed');
  const links = () => db.prepare('SELECT u.url, l.anchor FROM links l JOIN urls u ON u.id = l.dst_id WHERE src_id = 1 ORDER BY u.url').all();
  assert.deepEqual(links(), [{ url: 'http://h/2', anchor: 'two' }, { url: 'http://h/new', anchor: 'n' }]);
  store.writeBatch([{ ...page, links: [{ url: 'http://h/2', host: 'h', anchor: 'deux', rel: null }] }], 1);
  assert.deepEqual(links(), [{ url: 'http://h/2', anchor: 'deux' }]);
  assert.equal((db.prepare('SELECT count(*) AS n FROM frontier').get() as { n: number }).n, 0, 'nothing queued');
  db.close();
});
