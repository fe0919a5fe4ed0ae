/**
 * Search on PostgreSQL: pages and queries go through one tokenizer (src/store/postgres/search-terms.ts), so
 * diacritics, case, hyphenated words, prefixes and title: behave as in SQLite's FTS5; a page with
 * more than 1 MB of distinct words is stored and searchable (to_tsvector() would fail its whole
 * batch); and a v1 database gets its search column rebuilt by the v2 migration.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { crawl } from '../src/index.js';
import { searchWords, tsvectorBinary, tsvectorLiteral } from '../src/store/postgres/search-terms.js';
import { binaryArray } from '../src/store/postgres/binary-array.js';
import { PostgresBackend } from '../src/store/postgres/backend.js';
import { PG_MIGRATIONS } from '../src/store/postgres/schema.js';
import { tsqueryOf } from '../src/store/postgres/tsquery.js';
import { runCli, tempDir } from './helpers/cli.js';
import { pgCluster } from './helpers/pg.js';
import { startRouteServer } from './helpers/route-server.js';

const cluster = await pgCluster();
const skip = cluster ? false : 'PostgreSQL not found (see the message above)';
const dir = tempDir('crawl-pg-search-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const html = (title: string, body: string) => `<!doctype html><html><head><title>${title}</title></head><body>${body}</body></html>`;
/** 130,000 distinct 9-letter words: 1.17 MB of lexemes, over PostgreSQL's 1 MB per tsvector. */
const HUGE = Array.from({ length: 130_000 }, (_, i) => `zq${i.toString(36).padStart(7, 'a')}`).join(' ');
const PAGES: Record<string, string> = {
  '/': html('Index', '<a href="/cafe">a</a> <a href="/hyphen">b</a> <a href="/title">c</a> <a href="/other">d</a> <a href="/huge">e</a> <a href="/long">f</a>'),
  '/cafe': html('Café society', '<p>Crème brûlée recipes, ÉCLAIRS too.</p>'),
  '/hyphen': html('Modules', '<p>The foo-bar module ships in release v1.2 with naïve defaults.</p>'),
  '/title': html('widgetmod', '<p>Short page.</p>'),
  '/other': html('Elsewhere', `<p>${'widgetmod is mentioned here, widgetmod again. '.repeat(20)}</p>`),
  '/huge': html('Huge', `<p>sentinelearly ${HUGE}</p>`),
  // Issue 23.5: a phrase past word 16,383, PostgreSQL's last tsvector position (bookindex.html's
  // "write-ahead log" was at word ~20,000).
  '/long': html('Index', `<p>${'filler '.repeat(20_000)}the write-ahead log ends here</p>`),
};

let db = '';
let copy = '';
before(async () => {
  if (!cluster) return;
  const routes = Object.fromEntries(Object.entries(PAGES).map(([p, body]) => [p, (_req: unknown, res: import('node:http').ServerResponse) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(body);
  }]));
  const site = await startRouteServer(routes);
  db = cluster.newDatabase();
  const s = await crawl({ seeds: [site.origin + '/'], db, delay: '0ms', progress: false, ignoreRobots: true });
  assert.equal(s.status, 'done');
  copy = path.join(dir, 'copy.db');
  assert.equal((await runCli(['export', '--db', db, '--to-sqlite', copy])).code, 0);
});

const search = async (q: string, on = db) => {
  const r = await runCli(['search', q, '--db', on, '--format', 'json']);
  assert.equal(r.code, 0, `${q}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { url: string }[]).map((h) => new URL(h.url).pathname);
};

test('the tsquery keeps the web-search syntax and adds prefix* and title:', () => {
  assert.equal(tsqueryOf('API token'), "'api' & 'token'");
  assert.equal(tsqueryOf('"getting started" -draft'), "( 'getting' <-> 'started' ) & !'draft'");
  assert.equal(tsqueryOf('a b or c'), "'a' & ( 'b' | 'c' )");
  assert.equal(tsqueryOf('crawl* title:Install'), "'crawl':* & 'install':A");
  assert.equal(tsqueryOf('foo-bar Café'), "( 'foo' <-> 'bar' ) & 'cafe'");
  assert.equal(tsqueryOf('!!! --'), null);
  assert.equal(tsqueryOf(`${'x'.repeat(3000)} api`), "'api'", 'a word too long to be indexed is left out');
});

test('tsvectors stay within PostgreSQL limits: long words skipped, positions wrapped past 16,383, 256 per word', () => {
  const v = tsvectorLiteral('Title', `${'x'.repeat(3000)} ${'word '.repeat(20_000)}`);
  assert.ok(!v.includes('xxx'), 'a word over 2046 bytes is not indexed');
  const positions = /'word':(\S+)/.exec(v)![1].split(',');
  assert.equal(positions.length, 256);
  assert.equal(tsvectorLiteral('A b', 'a b c'), "'a':1A,3B 'b':2A,4B 'c':5B");
  const far = tsvectorLiteral(null, `${'w '.repeat(17_000)}late`);
  assert.match(far, /'late':618B$/, 'word 17,001 wraps to position 618 (to_tsvector would clamp it to 16,383)');
  const wrap = tsvectorLiteral('x', `${'y '.repeat(16_382)}x z`);
  assert.match(wrap, /'x':1A /, 'a text word wrapped onto its own title position is kept once, weight A');
  assert.match(wrap, /'z':2B$/, 'after a wrap, text positions are weight B though they overlap the title\'s');
  assert.match(tsvectorLiteral(null, `${'y '.repeat(16_382)}q y q`), /'q':2B,16383B$/, 'positions ascending after a wrap');
});

test('the binary tsvector the crawler sends is the one its input syntax gives, word order and weights included', { skip }, async () => {
  const cases: [string | null, string][] = [
    ['A b', 'a b c'],
    [null, ''],
    ['Café crème', 'Ünïcode ｚ 𝒜lpha zeta ä a é e 日本語 ǅ ß straße'], // UTF-8 byte order differs from UTF-16 (ｚ, 𝒜)
    ['x', `${'y '.repeat(16_382)}x z q y q`], // wrapped positions, a title word met again
    ['Title', `${'x'.repeat(3000)} ${'word '.repeat(20_000)}`], // a word skipped, 256 positions
    [null, HUGE], // past 1 MB of lexemes
  ];
  const c = new pg.Client(cluster!.url);
  await c.connect();
  try {
    const bin = cases.map(([t, x]) => tsvectorBinary(t, x));
    const r = await c.query('SELECT (t.v)::text AS b, ($2::text[])[t.i]::tsvector::text AS l FROM unnest($1::tsvector[]) WITH ORDINALITY AS t(v, i)',
      [binaryArray('tsvector', bin), cases.map(([t, x]) => tsvectorLiteral(t, x))]);
    assert.equal(r.rows.length, cases.length);
    r.rows.forEach((row, i) => assert.ok(row.b === row.l, `case ${i}: binary ${String(row.b).slice(0, 120)} … literal ${String(row.l).slice(0, 120)}`));
    const nulls = await c.query('SELECT count(*)::int AS n, count(v)::int AS v FROM unnest($1::tsvector[]) AS t(v)', [binaryArray('tsvector', [bin[0], null])]);
    assert.deepEqual(nulls.rows[0], { n: 2, v: 1 });
  } finally {
    await c.end();
  }
});

test('search matches across case and diacritics, hyphenated words as phrases, prefixes and title:', { skip }, async () => {
  assert.deepEqual(await search('cafe'), ['/cafe']);
  assert.deepEqual(await search('CRÈME eclairs'), ['/cafe']);
  assert.deepEqual(await search('foo-bar'), ['/hyphen']);
  assert.deepEqual(await search('"bar module"'), ['/hyphen']);
  assert.deepEqual(await search('naive v1.2'), ['/hyphen']);
  assert.deepEqual(await search('title:widgetmod'), ['/title']);
  assert.deepEqual((await search('widgetmod')), ['/title', '/other'], 'the page titled exactly the query first');
  assert.deepEqual((await search('widget*')).sort(), ['/other', '/title']);
  assert.deepEqual(await search('widgetmod -short'), ['/other']);
  assert.deepEqual((await search('cafe or modules')).sort(), ['/cafe', '/hyphen']);
  assert.deepEqual(await search('!!!'), [], 'no word: no hit, no error');
});

test('the syntax both engines share finds the same pages on PostgreSQL and on its SQLite copy', { skip }, async () => {
  for (const q of ['cafe', 'CRÈME', '"bar module"', 'widget*', 'title:widgetmod', 'sentinelearly']) {
    assert.deepEqual((await search(q)).sort(), (await search(q, copy)).sort(), q);
  }
});

test('a page with over 1 MB of distinct words is stored and searchable by its first words', { skip }, async () => {
  assert.deepEqual(await search('sentinelearly'), ['/huge']);
  const c = new pg.Client(db);
  await c.connect();
  const r = await c.query("SELECT status, length(text) AS n FROM pages WHERE url LIKE '%/huge'");
  await c.end();
  assert.equal(r.rows[0].status, 200);
  assert.ok(r.rows[0].n > 1_000_000, 'the whole text is stored');
});

test('a phrase past word 16,383 (PostgreSQL\'s last position) is found, as on SQLite', { skip }, async () => {
  assert.deepEqual(await search('"write-ahead log"'), ['/long']);
  assert.deepEqual(await search('"write-ahead log"', copy), ['/long']);
  assert.deepEqual(await search('"log ends here"'), ['/long']);
  assert.deepEqual(await search('"here ends"'), [], 'words out of order are no phrase');
});

test('a v1 database is migrated: the search column is rebuilt from the stored pages', { skip }, async () => {
  const url = cluster!.newDatabase();
  const c = new pg.Client(url);
  await c.connect();
  await c.query(PG_MIGRATIONS[0] as string);
  await c.query('CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1)');
  await c.query(`INSERT INTO urls (id, url, host, first_seen_at) VALUES (1, 'http://h/p', 'h', 'now');
    INSERT INTO pages (url_id, url, host, depth, source, run_id, fetched_at, status, title, text, first_fetched_at)
    VALUES (1, 'http://h/p', 'h', 0, 'seed', 1, 'now', 200, 'Crème', 'Old page body', 'now')`);
  const b = await PostgresBackend.open(url);
  await b.close();
  const r = await c.query("SELECT search::text AS s, (SELECT version FROM schema_version) AS v FROM pages");
  // v11: page text is compressed with lz4 from then on (this server is built with it).
  const comp = await c.query("SELECT attname, attcompression FROM pg_attribute WHERE attrelid = 'pages'::regclass AND attname IN ('text', 'extract') ORDER BY attname");
  await c.end();
  assert.deepEqual(comp.rows, [{ attname: 'extract', attcompression: 'l' }, { attname: 'text', attcompression: 'l' }]);
  assert.equal(r.rows[0].v, PG_MIGRATIONS.length);
  assert.equal(r.rows[0].s, "'body':4B 'creme':1A 'old':2B 'page':3B");
  assert.deepEqual(await search('creme', url), ['/p']);
});

test('a v8 database is migrated: long pages get vectors whose phrases reach their end, short ones are left', { skip }, async () => {
  const url = cluster!.newDatabase();
  await (await PostgresBackend.open(url)).close();
  const c = new pg.Client(url);
  await c.connect();
  // As version 8 stored them: positions past 16,383 clamped (as to_tsvector clamps them).
  await c.query(`INSERT INTO urls (id, url, host, first_seen_at) VALUES (1, 'http://h/long', 'h', 'now'), (2, 'http://h/short', 'h', 'now');
    INSERT INTO pages (url_id, url, host, depth, source, run_id, fetched_at, status, title, text, first_fetched_at, search)
    VALUES (1, 'http://h/long', 'h', 0, 'seed', 1, 'now', 200, 'Index', $1, 'now', to_tsvector('simple', 'Index ' || $1)),
           (2, 'http://h/short', 'h', 0, 'seed', 1, 'now', 200, 'Short', 'short page', 'now', 'untouched'::tsvector);
    UPDATE schema_version SET version = 8`.replaceAll('$1', `'${'filler '.repeat(20_000)}the write-ahead log'`));
  assert.deepEqual(await search('"write-ahead log"', url), [], 'the clamped vector misses the phrase');
  await (await PostgresBackend.open(url)).close();
  const r = await c.query('SELECT url_id, search::text AS s FROM pages ORDER BY url_id');
  await c.end();
  assert.equal(r.rows[1].s, "'untouched'");
  assert.deepEqual(await search('"write-ahead log"', url), ['/long']);
});

test('a page is split into the words a query is split into, and every word keeps its position (ASCII and Unicode pages)', () => {
  const texts = [
    'Hello, World! x86-64 C++ e-mail: a.b@c.d 42nd_street "quoted" (paren) end.',
    'trailing9', '9leading and\ttabs\nnewlines\u0000nul', '  ', 'ALL CAPS and MiXeD CaSe 0x1F',
    'Café crème déjà vu, ÉCLAIRS; 日本語 and ｚ 𝒜lpha naïve', 'straße ǅ ß 1½ x²',
  ];
  for (const text of texts) {
    const words = searchWords(text);
    // 'word':1B,3B … : every word once, with as many positions as it occurs.
    const vector = new Map(tsvectorLiteral(null, text).split(' ').filter(Boolean).map((e) => {
      const [, w, list] = /^'(.*)':(.*)$/.exec(e)!;
      return [w, list.split(',').map((p) => Number(p.slice(0, -1)))] as const;
    }));
    assert.deepEqual([...vector.keys()].sort(), [...new Set(words)].sort(), text);
    words.forEach((w, i) => assert.ok(vector.get(w)!.includes(i + 1), `${text}: ${w} at ${i + 1}`));
  }
});
