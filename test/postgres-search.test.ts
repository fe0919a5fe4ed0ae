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
import { tsvectorLiteral } from '../src/store/postgres/search-terms.js';
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
  '/': html('Index', '<a href="/cafe">a</a> <a href="/hyphen">b</a> <a href="/title">c</a> <a href="/other">d</a> <a href="/huge">e</a>'),
  '/cafe': html('Café society', '<p>Crème brûlée recipes, ÉCLAIRS too.</p>'),
  '/hyphen': html('Modules', '<p>The foo-bar module ships in release v1.2 with naïve defaults.</p>'),
  '/title': html('widgetmod', '<p>Short page.</p>'),
  '/other': html('Elsewhere', `<p>${'widgetmod is mentioned here, widgetmod again. '.repeat(20)}</p>`),
  '/huge': html('Huge', `<p>sentinelearly ${HUGE}</p>`),
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

test('tsvectors stay within PostgreSQL limits: long words skipped, positions clamped, 256 per word', () => {
  const v = tsvectorLiteral('Title', `${'x'.repeat(3000)} ${'word '.repeat(20_000)}`);
  assert.ok(!v.includes('xxx'), 'a word over 2046 bytes is not indexed');
  const positions = /'word':(\S+)/.exec(v)![1].split(',');
  assert.equal(positions.length, 256);
  assert.equal(tsvectorLiteral('A b', 'a b c'), "'a':1A,3B 'b':2A,4B 'c':5B");
  const far = tsvectorLiteral(null, `${'w '.repeat(17_000)}late`);
  assert.match(far, /'late':16383B$/, 'positions past 16,383 are clamped, as to_tsvector does');
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
  await c.end();
  assert.equal(r.rows[0].v, PG_MIGRATIONS.length);
  assert.equal(r.rows[0].s, "'body':4B 'creme':1A 'old':2B 'page':3B");
  assert.deepEqual(await search('creme', url), ['/p']);
});
