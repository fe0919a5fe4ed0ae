/** End to end: the real CLI and library API against the generated site, asserted from the SQLite file. */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { startSite, type Site } from '../src/demo/site.js';
import { crawl } from '../src/index.js';
import { FAST, ROOT, runCli, seedFile, tempDir } from './helpers/cli.js';

let site: Site;
let dir: string;
before(async () => {
  site = await startSite({ pages: 300, fanOut: 6, pageBytes: 6000 });
  dir = tempDir();
});
after(async () => {
  await site.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function open(db: string) {
  return new Database(db, { readonly: true });
}

test('library API: every reachable page stored exactly once, parsed in workers, scope held', async () => {
  site.resetCounts();
  const db = path.join(dir, 'lib.db');
  const pages: string[] = [];
  const summary = await crawl({
    seeds: [site.url + '/'], db, delay: '0ms', perHost: 8, concurrency: 16, progress: false,
    extract: path.join(ROOT, 'test/fixtures/thread-extractor.mjs'),
  }, { onPage: (p) => pages.push(p.url) });
  assert.equal(summary.status, 'done');
  assert.equal(summary.exitCode, 0);
  const reachable = site.reachablePaths();
  const d = open(db);
  const rows = d.prepare("SELECT url, status, title, extract FROM pages WHERE content_type = 'text/html' AND status = 200").all() as { url: string; status: number; title: string; extract: string }[];
  const stored = new Set(rows.map((r) => new URL(r.url).pathname));
  for (const p of reachable) assert.ok(stored.has(p), `missing ${p}`);
  assert.equal(rows.length, reachable.length, 'exactly the reachable pages, once each');
  // The server saw each page once: 0 duplicate fetches.
  for (const p of reachable) assert.equal(site.requests.get(p), 1, `fetched ${p} ${site.requests.get(p)} times`);
  // Parsing (and the extractor) ran on worker threads.
  for (const r of rows.slice(0, 20)) {
    const x = JSON.parse(r.extract) as { isMainThread: boolean; threadId: number };
    assert.equal(x.isMainThread, false);
    assert.ok(x.threadId > 0);
  }
  // Links are stored, including out-of-scope ones; the other host was never fetched.
  const linkCount = (d.prepare('SELECT count(*) n FROM links').get() as { n: number }).n;
  assert.ok(linkCount > reachable.length, `links ${linkCount}`);
  const other = d.prepare('SELECT count(*) n FROM v_links WHERE to_url LIKE ?').get(site.otherHostUrl + '%') as { n: number };
  assert.ok(other.n > 0, 'out-of-scope links are recorded');
  assert.equal(site.otherHostTotalRequests, 0, 'out-of-scope host never fetched');
  // Redirects, 404s and non-HTML files are recorded with their outcome.
  const extras = site.extraPaths();
  for (const r of extras.redirects) {
    const row = d.prepare('SELECT status, redirect_to, final_url FROM pages WHERE url = ?').get(site.url + r) as { status: number; redirect_to: string; final_url: string } | undefined;
    assert.ok(row && row.status >= 300 && row.status < 400 && row.redirect_to, `redirect ${r} recorded`);
  }
  for (const r of extras.notFound) {
    const row = d.prepare('SELECT status, error_code FROM pages WHERE url = ?').get(site.url + r) as { status: number; error_code: string } | undefined;
    assert.deepEqual(row, { status: 404, error_code: 'HTTP_STATUS' });
  }
  for (const r of extras.files) {
    const row = d.prepare('SELECT content_type, bytes, text FROM pages WHERE url = ?').get(site.url + r) as { content_type: string; bytes: number; text: string | null };
    assert.equal(row.content_type, 'application/pdf');
    assert.ok(row.bytes > 0);
    assert.equal(row.text, null, 'non-HTML is not parsed');
  }
  // The run row has its counters.
  const run = d.prepare('SELECT status, pages, new_pages FROM runs').get() as { status: string; pages: number; new_pages: number };
  assert.equal(run.status, 'done');
  assert.equal(run.pages, pages.length);
  assert.ok(run.new_pages >= reachable.length);
  d.close();
});

test('CLI: --max-pages and --max-depth hold; summary printed; exit 0', async () => {
  site.resetCounts();
  const seeds = seedFile(dir, [site.url + '/']);
  const db1 = path.join(dir, 'maxpages.db');
  const r1 = await runCli(['--urls', seeds, '--db', db1, ...FAST, '--max-pages', '25']);
  assert.equal(r1.code, 0, r1.stderr);
  assert.match(r1.stderr, /crawl: summary .*pages=25 /);
  const d1 = open(db1);
  assert.equal((d1.prepare('SELECT count(*) n FROM pages').get() as { n: number }).n, 25);
  d1.close();

  const db2 = path.join(dir, 'maxdepth.db');
  const r2 = await runCli(['--urls', seeds, '--db', db2, ...FAST, '--max-depth', '1']);
  assert.equal(r2.code, 0, r2.stderr);
  const d2 = open(db2);
  const depths = d2.prepare('SELECT max(depth) d, count(*) n FROM pages').get() as { d: number; n: number };
  assert.equal(depths.d, 1);
  assert.ok(depths.n > 1);
  d2.close();
});

test('CLI: a bad seed file exits 2 with FILE:LINE before any fetch', async () => {
  site.resetCounts();
  const seeds = path.join(dir, 'bad.txt');
  fs.writeFileSync(seeds, `# comment\n${site.url}/\nnot a url\nftp://example.com/\n`);
  const db = path.join(dir, 'bad.db');
  const r = await runCli(['--urls', seeds, '--db', db, ...FAST]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`${seeds.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: .*not a url`));
  assert.match(r.stderr, /:4: .*scheme "ftp" is not supported/);
  assert.equal(site.totalRequests, 0, 'nothing fetched');
  assert.equal(fs.existsSync(db), false, 'no database created');
});

test('CLI: seeds from stdin, and --help lists every option with its default', async () => {
  const db = path.join(dir, 'stdin.db');
  const r = await runCli(['--urls', '-', '--db', db, ...FAST, '--max-pages', '3'], { input: `${site.url}/\n` });
  assert.equal(r.code, 0, r.stderr);
  const help = await runCli(['--help']);
  assert.equal(help.code, 0);
  for (const flag of ['--urls', '--db', '--concurrency', '--per-host', '--max-pages', '--max-depth', '--scope', '--workers', '--ignore-robots']) {
    assert.match(help.stdout, new RegExp(`${flag}\\b`), flag);
  }
  assert.match(help.stdout, /--per-host .*\[default: 2\]/s);
});
