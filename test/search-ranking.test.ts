/**
 * Search ranking (issue 16.8): a page whose title is the query ranks first, for `name` and for
 * `title:name`, even when hundreds of long pages mention the name in their text. FTS5's bm25 adds
 * the column weights into one term frequency, which saturates, and divides by the length of the
 * whole row: with the title weighted 5x, a short page titled "widgetmod" came 121st of 300 for
 * `widgetmod`, and a long page titled "widgetmod" came last of 101 for `title:widgetmod`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { searchPages } from '../src/cli/commands/search.js';
import { prng } from '../src/demo/site-model.js';
import { createDb, tempDir } from './query-fixture.js';

const NAME = 'widgetmod';
const WORDS = ['crawler', 'page', 'queue', 'fetch', 'parse', 'store', 'module', 'option', 'thread', 'worker', 'index', 'query',
  'result', 'error', 'value', 'table', 'column', 'config', 'server', 'client', 'request', 'response', 'header', 'body'];

let tmp: ReturnType<typeof tempDir>;
let db: Database.Database;

/** `n` words of filler, with NAME `mentions` times spread through it. */
function body(rand: () => number, n: number, mentions: number): string {
  const words = Array.from({ length: n }, () => WORDS[Math.floor(rand() * WORDS.length)]!);
  for (let i = 0; i < mentions; i++) words[Math.floor(rand() * n)] = NAME;
  return words.join(' ');
}

before(() => {
  tmp = tempDir();
  const file = path.join(tmp.dir, 'rank.db');
  const w = createDb(file);
  const rand = prng(168);
  const url = w.prepare("INSERT INTO urls (id, url, host, first_seen_at) VALUES (?, ?, 'r.test', 't')");
  const page = w.prepare(`INSERT INTO pages (url_id, url, host, depth, source, run_id, fetched_at, status, title, text, first_fetched_at)
                          VALUES (?, ?, 'r.test', 1, 'link', 1, 't', 200, ?, ?, 't')`);
  const add = (id: number, slug: string, title: string, text: string): void => {
    url.run(id, `http://r.test/${slug}`);
    page.run(id, `http://r.test/${slug}`, title, text);
  };
  w.transaction(() => {
    let id = 1;
    // 200 long pages that use the module a lot in their text.
    for (let i = 0; i < 200; i++) add(id++, `guide-${i}`, `Guide ${i} to the ${WORDS[i % WORDS.length]}`, body(rand, 1500 + Math.floor(rand() * 3000), 5 + Math.floor(rand() * 60)));
    // 100 pages with the module in a longer title and a short text (changelogs, issues...).
    for (let i = 0; i < 100; i++) add(id++, `note-${i}`, `${NAME} ${WORDS[i % WORDS.length]} note ${i}`, body(rand, 40 + Math.floor(rand() * 80), 1));
    // The module's own pages: a short one, and a long reference page, both titled exactly NAME.
    add(id++, 'short', NAME, `The ${NAME} module. See the reference.`);
    add(id++, 'reference', NAME.toUpperCase(), body(rand, 6000, 30));
    // Pages that do not mention it at all.
    for (let i = 0; i < 20; i++) add(id++, `other-${i}`, `Other ${i}`, body(rand, 300, 0));
  })();
  w.close();
  db = new Database(file, { readonly: true });
});

after(() => {
  db.close();
  tmp.cleanup();
});

/** 1-based positions of the exact-title pages in the full result list, and its length. */
function positions(terms: string): { short: number; reference: number; of: number } {
  const urls = searchPages(db, terms, 1000).map((h) => h.url);
  return { short: urls.indexOf('http://r.test/short') + 1, reference: urls.indexOf('http://r.test/reference') + 1, of: urls.length };
}

test('pages titled exactly the query rank first for a plain search', () => {
  const p = positions(NAME);
  assert.equal(p.of, 302);
  assert.deepEqual([p.short, p.reference].sort(), [1, 2], JSON.stringify(p));
});

test('pages titled exactly the query rank first for a title: search', () => {
  const p = positions(`title:${NAME}`);
  assert.equal(p.of, 102);
  assert.deepEqual([p.short, p.reference].sort(), [1, 2], JSON.stringify(p));
});

test('title matches come before text-only matches, then bm25; other query forms still work', () => {
  const hits = searchPages(db, NAME, 1000);
  const firstTextOnly = hits.findIndex((h) => !h.title!.toLowerCase().includes(NAME));
  assert.equal(firstTextOnly, 102, 'the 102 pages with the name in the title come first');
  assert.ok(hits.slice(firstTextOnly).every((h) => !h.title!.toLowerCase().includes(NAME)));
  for (let i = firstTextOnly + 1; i < hits.length; i++) assert.ok(hits[i - 1]!.rank <= hits[i]!.rank, 'text matches in bm25 order');
  assert.equal(searchPages(db, `text:${NAME} NOT title:${NAME}`, 1000).length, 200);
  assert.equal(positions(`"${NAME}" OR nosuchword`).short > 0, true);
  assert.equal(searchPages(db, `${NAME} guide`, 1000)[0]!.url.startsWith('http://r.test/guide-'), true);
});
