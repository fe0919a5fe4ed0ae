/**
 * `crawl search` on SQLite and PostgreSQL alike, the same pages in both (issue 23.4, 23.6):
 * only pages whose latest fetch succeeded by default (not a 404 deleted since, not a page that now
 * redirects, not a network error), the others with --all, marked by `live` and `status`; and among
 * pages with every searched word in the title, the fewest title words first on both engines.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createDb } from './query-fixture.js';
import { runCli, tempDir } from './helpers/cli.js';
import { pgCluster } from './helpers/pg.js';
import { loadIntoPg } from './reader/load-pg.js';

const cluster = await pgCluster();
const dir = tempDir('crawl-search-live-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Page { slug: string; status: number | null; title: string; text: string; redirectTo?: string; error?: string; hash?: string | null }

const YP = 'The NIS Yellow Pages service distributes maps.';
const PAGES: Page[] = [
  { slug: 'nis', status: 200, title: 'NIS Yellow Pages', text: YP },
  { slug: 'nis-revalidated', status: 304, title: 'NIS clients', text: YP },
  { slug: 'nis-deleted', status: 404, title: 'NIS Yellow Pages (old)', text: YP, error: 'HTTP_STATUS' },
  { slug: 'nis-moved', status: 301, title: 'NIS Yellow Pages moved', text: YP, redirectTo: 'http://s.test/nis' },
  { slug: 'nis-down', status: null, title: 'NIS servers', text: YP, error: 'CONNECTION_REFUSED' },
  { slug: 'nis-broken', status: 503, title: 'NIS maps', text: YP, error: 'HTTP_STATUS' },
  { slug: 'nis-304-empty', status: 304, title: 'NIS notes', text: YP, hash: null },
  // Title ranking: the long page says json far more often, but "8.14. JSON Types" has fewer title words.
  { slug: 'json-functions', status: 200, title: '9.16. JSON Functions and Operators', text: 'json '.repeat(200) + 'functions operators' },
  { slug: 'json-types', status: 200, title: '8.14. JSON Types', text: 'PostgreSQL offers two types for storing json data.' },
  { slug: 'json-mention', status: 200, title: 'Data types', text: 'json '.repeat(50) },
];

const file = path.join(dir, 'search.db');
let pgUrl = '';
before(async () => {
  const db = createDb(file);
  const url = db.prepare("INSERT INTO urls (id, url, host, first_seen_at) VALUES (?, ?, 's.test', 't')");
  const page = db.prepare(`INSERT INTO pages (url_id, url, host, depth, source, run_id, fetched_at, status, redirect_to, error_code,
                             title, text, content_hash, first_fetched_at)
                           VALUES (?, ?, 's.test', 1, 'link', 1, 't', ?, ?, ?, ?, ?, ?, 't')`);
  db.transaction(() => PAGES.forEach((p, i) => {
    const u = `http://s.test/${p.slug}`;
    url.run(i + 1, u);
    page.run(i + 1, u, p.status, p.redirectTo ?? null, p.error ?? null, p.title, p.text, p.hash === undefined ? `h${i}` : p.hash);
  }))();
  db.close();
  if (cluster) {
    pgUrl = cluster.newDatabase();
    await loadIntoPg(file, pgUrl);
  }
});

const engines = [
  { name: 'sqlite', db: () => file, skip: false as const },
  { name: 'postgres', db: () => pgUrl, skip: cluster ? false as const : 'PostgreSQL not found (see the message above)' },
];

async function search(db: string, ...args: string[]): Promise<Record<string, unknown>[]> {
  const r = await runCli(['search', ...args, '--db', db, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>[];
}
const slug = (h: Record<string, unknown>) => new URL(h.url as string).pathname.slice(1);

for (const e of engines) {
  test(`${e.name}: search returns only pages whose latest fetch succeeded`, { skip: e.skip }, async () => {
    const hits = await search(e.db(), 'NIS Yellow Pages');
    assert.deepEqual(hits.map(slug).sort(), ['nis', 'nis-revalidated']);
    assert.ok(hits.every((h) => !('live' in h) && !('status' in h)), 'the default output keeps its columns');
  });

  test(`${e.name}: search --all returns the others too, marked live false with their status`, { skip: e.skip }, async () => {
    const hits = await search(e.db(), 'NIS Yellow Pages', '--all');
    const got = Object.fromEntries(hits.map((h) => [slug(h), [h.live, h.status]]));
    assert.deepEqual(got, {
      'nis': [true, 200], 'nis-revalidated': [true, 304], 'nis-deleted': [false, 404], 'nis-moved': [false, 301],
      'nis-down': [false, null], 'nis-broken': [false, 503], 'nis-304-empty': [false, 304],
    });
    const table = await runCli(['search', 'NIS Yellow Pages', '--all', '--db', e.db()]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout.split('\n')[0], /url\s.*title\s.*snippet\s.*live\s.*status/);
  });

  test(`${e.name}: among full title matches the fewest title words come first`, { skip: e.skip }, async () => {
    assert.deepEqual((await search(e.db(), 'json')).map(slug), ['json-types', 'json-functions', 'json-mention']);
    assert.deepEqual((await search(e.db(), 'title:json')).map(slug), ['json-types', 'json-functions']);
  });
}
