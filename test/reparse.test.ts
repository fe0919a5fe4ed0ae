/** crawl reparse: archived responses parsed again with a new extractor, nothing fetched. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import Database from 'better-sqlite3';
import { FAST, ROOT, runCli, seedFile, tempDir } from './helpers/cli.js';
import { startRouteServer } from './helpers/route-server.js';

const EXTRACTOR = path.join(ROOT, 'test/fixtures/thread-extractor.mjs');
const PAGE = (h1: string, links: string): Buffer =>
  Buffer.from(`<html><head><title>${h1}</title></head><body><h1>${h1}</h1>${'text '.repeat(50)}${links}</body></html>`);

interface Row { url: string; extract: string | null; title: string | null; warc_file: string | null; error_code: string | null }

describe('crawl reparse', () => {
  test('fills pages.extract from the archive (gzip bodies too) without a request; truncated records are skipped and counted', async () => {
    const gz = zlib.gzipSync(PAGE('Zipped', '<a href="/">home</a><a href="/new-from-gz">n</a>'));
    const big = PAGE('Big', 'x'.repeat(40_000));
    const srv = await startRouteServer({
      '/robots.txt': (_q, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('User-agent: *\nAllow: /\n'); },
      '/': (_q, res) => { res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }); res.end(PAGE('Home', '<a href="/a">a</a><a href="/gz">gz</a><a href="/big">big</a>')); },
      '/a': (_q, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(PAGE('Page A', '<a href="/">home</a>')); },
      '/gz': (_q, res) => { res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' }); res.end(gz); },
      '/big': (_q, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(big); },
    });
    const dir = tempDir();
    const db = path.join(dir, 'site.db');
    const warc = path.join(dir, 'warc');
    const crawl = await runCli(['--urls', seedFile(dir, [`${srv.origin}/`]), '--db', db, '--warc', warc, '--max-bytes', '20000', ...FAST]);
    assert.ok(crawl.code === 0 || crawl.code === 3, crawl.stderr);

    const before = rows(db);
    assert.equal(before.find((r) => r.url.endsWith('/a'))!.extract, null, 'crawled without --extract');
    assert.equal(before.find((r) => r.url.endsWith('/big'))!.error_code, 'BODY_TOO_LARGE');
    assert.ok(before.find((r) => r.url.endsWith('/big'))!.warc_file, 'the truncated response is archived');
    // The gzip page's new link target is removed, so the reparse must bring the link back.
    const raw = new Database(db);
    const gzId = (raw.prepare("SELECT url_id FROM pages WHERE url LIKE '%/gz'").get() as { url_id: number }).url_id;
    raw.prepare('DELETE FROM links WHERE src_id = ?').run(gzId);
    raw.close();

    const hitsBefore = [...srv.hits.values()].reduce((a, b) => a + b, 0);
    const re = await runCli(['reparse', '--db', db, '--extract', EXTRACTOR, '--workers', '1']);
    assert.equal(re.code, 0, re.stderr);
    assert.equal([...srv.hits.values()].reduce((a, b) => a + b, 0), hitsBefore, 'the server saw no request during the reparse');
    assert.match(re.stderr, /reparsed 3 pages \(3 changed content\), skipped 1 truncated, 0 missing/);

    const after = rows(db);
    for (const [p, h1] of [['/', 'Home'], ['/a', 'Page A'], ['/gz', 'Zipped']] as const) {
      const r = after.find((x) => x.url === `${srv.origin}${p}`)!;
      const ex = JSON.parse(r.extract!) as { h1: string; isMainThread: boolean };
      assert.equal(ex.h1, h1, p);
      assert.equal(ex.isMainThread, false, 'extracted in a parse worker');
      assert.equal(r.title, h1);
    }
    assert.equal(after.find((r) => r.url.endsWith('/big'))!.extract, null, 'truncated record left alone');
    const check = new Database(db, { readonly: true });
    const links = check.prepare('SELECT to_url FROM v_links WHERE from_url = ? ORDER BY to_url').all(`${srv.origin}/gz`) as { to_url: string }[];
    const frontier = (check.prepare('SELECT count(*) AS n FROM frontier WHERE state = 0').get() as { n: number }).n;
    check.close();
    assert.deepEqual(links.map((l) => l.to_url), [`${srv.origin}/`, `${srv.origin}/new-from-gz`], 'links of the gzip page re-parsed');
    assert.equal(frontier, 0, 'nothing queued');

    // A second reparse with the same extractor changes nothing.
    const again = await runCli(['reparse', '--db', db, '--extract', EXTRACTOR]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /reparsed 3 pages \(0 changed content\)/);
  });

  test('bad input: no WARC directory known, missing files, PostgreSQL', async () => {
    const srv = await startRouteServer({
      '/': (_q, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(PAGE('Home', '')); },
    });
    const dir = tempDir();
    const db = path.join(dir, 'site.db');
    const crawl = await runCli(['--urls', seedFile(dir, [`${srv.origin}/`]), '--db', db, ...FAST]);
    assert.equal(crawl.code, 0, crawl.stderr);
    const noWarc = await runCli(['reparse', '--db', db]);
    assert.equal(noWarc.code, 2, noWarc.stderr);
    assert.match(noWarc.stderr, /--warc DIR/);

    const db2 = path.join(dir, 'archived.db');
    const warc = path.join(dir, 'warc');
    assert.equal((await runCli(['--urls', seedFile(dir, [`${srv.origin}/`]), '--db', db2, '--warc', warc, ...FAST])).code, 0);
    for (const f of fs.readdirSync(warc)) fs.renameSync(path.join(warc, f), path.join(dir, f));
    const missing = await runCli(['reparse', '--db', db2]);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /missing in/);
    const moved = await runCli(['reparse', '--db', db2, '--warc', dir]);
    assert.equal(moved.code, 0, moved.stderr);
    assert.match(moved.stderr, /reparsed 1 pages/);

    const pg = await runCli(['reparse', '--db', 'postgres://nobody@127.0.0.1:1/crawl']);
    assert.equal(pg.code, 6, `an unreachable PostgreSQL server is a database error: ${pg.stderr}`);
  });
});

function rows(db: string): Row[] {
  const d = new Database(db, { readonly: true });
  const r = d.prepare('SELECT url, extract, title, warc_file, error_code FROM pages').all() as Row[];
  d.close();
  return r;
}

test('crawl reparse waits for no crawl: exit 5 while the run lock is held', async () => {
  const { acquireRunLock } = await import('../src/store/sqlite/lock.js');
  const dir = tempDir();
  const db = path.join(dir, 'site.db');
  const srv = await startRouteServer({
    '/': (_q, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(PAGE('Home', '')); },
  });
  assert.equal((await runCli(['--urls', seedFile(dir, [`${srv.origin}/`]), '--db', db, '--warc', path.join(dir, 'warc'), ...FAST])).code, 0);
  const lock = acquireRunLock(db);
  try {
    const r = await runCli(['reparse', '--db', db]);
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /being crawled/);
  } finally {
    lock.release();
  }
});

test('crawl reparse counts the pages its extractor failed on', async () => {
  const dir = tempDir();
  const db = path.join(dir, 'site.db');
  const srv = await startRouteServer({
    '/p/1': (_q, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(PAGE('One', '<a href="/p/3">3</a>')); },
    '/p/3': (_q, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(PAGE('Three', '')); },
  });
  assert.equal((await runCli(['--urls', seedFile(dir, [`${srv.origin}/p/1`]), '--db', db, '--warc', path.join(dir, 'warc'), ...FAST])).code, 0);
  const r = await runCli(['reparse', '--db', db, '--extract', path.join(ROOT, 'test/fixtures/flaky-extractor.mjs')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /reparsed 2 pages .*the extractor failed on 1 pages/);
  const ex = rows(db).find((x) => x.url.endsWith('/p/1'))!.extract;
  assert.equal((JSON.parse(ex!) as { h1: string }).h1, 'One');
});
