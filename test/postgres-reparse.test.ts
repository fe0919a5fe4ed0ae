/**
 * `crawl reparse` on PostgreSQL: a crawl with --warc records where each page was archived (schema
 * v8); the reparse parses the archive again with an extractor, fetches nothing, rewrites content
 * and links, and is refused while workers hold leases.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import pg from 'pg';
import { FAST, ROOT, runCli, seedFile, tempDir } from './helpers/cli.js';
import { pgCluster } from './helpers/pg.js';
import { startRouteServer } from './helpers/route-server.js';

const cluster = await pgCluster();
const skip = cluster ? false : 'PostgreSQL not found (see the message above)';
const dir = tempDir('crawl-pg-reparse-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const EXTRACTOR = path.join(ROOT, 'test/fixtures/thread-extractor.mjs');
const page = (h1: string, links: string) => `<html><head><title>${h1}</title></head><body><h1>${h1}</h1>${'text '.repeat(40)}${links}</body></html>`;

async function sql<T = Record<string, unknown>>(url: string, text: string): Promise<T[]> {
  const c = new pg.Client(url);
  await c.connect();
  try { return (await c.query(text)).rows as T[]; } finally { await c.end(); }
}

test('crawl reparse on PostgreSQL: archived pages parsed again, nothing fetched, links restored; refused while a worker holds leases', { skip }, async () => {
  const srv = await startRouteServer({
    '/robots.txt': (_q, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('User-agent: *\nAllow: /\n'); },
    '/': (_q, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(page('Home', '<a href="/a">a</a>')); },
    '/a': (_q, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(page('Page A', '<a href="/">home</a>')); },
  });
  {
    const db = cluster!.newDatabase();
    const warc = path.join(dir, 'warc');
    const crawl = await runCli(['--urls', seedFile(dir, [`${srv.origin}/`]), '--db', db, '--warc', warc, ...FAST]);
    assert.equal(crawl.code, 0, crawl.stderr);
    const archived = await sql<{ n: number }>(db, 'SELECT count(*)::int AS n FROM pages WHERE warc_file IS NOT NULL AND warc_offset IS NOT NULL');
    assert.equal(archived[0].n, 2, 'the archive location of each page is recorded');
    await sql(db, `DELETE FROM links WHERE src_id = (SELECT url_id FROM pages WHERE url = '${srv.origin}/')`);

    // A worker holding a lease: the reparse waits for no one, it is refused.
    await sql(db, `UPDATE hosts SET owner = 'w', lease_until = (extract(epoch from clock_timestamp()) * 1000)::bigint + 600000`);
    const busy = await runCli(['reparse', '--db', db, '--extract', EXTRACTOR]);
    assert.equal(busy.code, 5, busy.stderr);
    await sql(db, 'UPDATE hosts SET owner = NULL, lease_until = NULL');

    const hits = [...srv.hits.values()].reduce((a, b) => a + b, 0);
    const re = await runCli(['reparse', '--db', db, '--extract', EXTRACTOR, '--workers', '1']);
    assert.equal(re.code, 0, re.stderr);
    assert.match(re.stderr, /reparsed 2 pages \(2 changed content\)/);
    assert.equal([...srv.hits.values()].reduce((a, b) => a + b, 0), hits, 'nothing fetched');
    const rows = await sql<{ url: string; extract: string }>(db, 'SELECT url, extract FROM pages ORDER BY url');
    assert.deepEqual(rows.map((r) => (JSON.parse(r.extract) as { h1: string }).h1), ['Home', 'Page A']);
    const links = await sql(db, `SELECT to_url FROM v_links WHERE from_url = '${srv.origin}/'`);
    assert.deepEqual(links, [{ to_url: `${srv.origin}/a` }], 'the deleted link is back');
    const found = await sql<{ n: number }>(db, "SELECT count(*)::int AS n FROM pages WHERE search @@ 'text'::tsquery");
    assert.equal(found[0].n, 2, 'rewritten pages stay searchable');
  }
});
