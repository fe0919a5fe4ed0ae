/** --extract: custom extraction in the parse workers, stored as JSON, failures recorded per page. */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { startSite, type Site } from '../src/demo/site.js';
import { FAST, ROOT, runCli, seedFile, tempDir } from './helpers/cli.js';

let site: Site;
let dir: string;
before(async () => { site = await startSite({ pages: 30, fanOut: 4, pageBytes: 2000, extras: false }); dir = tempDir(); });
after(async () => { await site.close(); fs.rmSync(dir, { recursive: true, force: true }); });

test('an extractor that throws on one page: EXTRACT_FAILED there, results queryable with JSON functions elsewhere', async () => {
  const db = path.join(dir, 'x.db');
  const r = await runCli(['--urls', seedFile(dir, [site.url + '/']), '--db', db, ...FAST, '--extract', path.join(ROOT, 'test/fixtures/flaky-extractor.mjs')]);
  assert.equal(r.code, 0, r.stderr);
  const d = new Database(db, { readonly: true });
  const failed = d.prepare('SELECT error_code, error_message, title, extract FROM pages WHERE url = ?').get(site.url + '/p/3') as Record<string, string | null>;
  assert.equal(failed.error_code, 'EXTRACT_FAILED');
  assert.match(failed.error_message!, /boom on p3/);
  assert.ok(failed.title, 'the page itself is still stored');
  assert.equal(failed.extract, null);
  const rows = d.prepare("SELECT json_extract(extract, '$.h1') AS h1, json_extract(extract, '$.links') AS links FROM pages WHERE extract IS NOT NULL").all() as { h1: string; links: number }[];
  assert.equal(rows.length, site.reachablePaths().length - 1);
  assert.ok(rows.every((x) => typeof x.h1 === 'string' && x.links > 0));
  d.close();
});

test('the shipped example extractor runs in a crawl', async () => {
  const db = path.join(dir, 'ex.db');
  const r = await runCli(['--urls', seedFile(dir, [site.url + '/'], 'ex.txt'), '--db', db, ...FAST, '--extract', path.join(ROOT, 'examples/extractor.mjs')]);
  assert.equal(r.code, 0, r.stderr);
  const d = new Database(db, { readonly: true });
  const n = (d.prepare("SELECT count(*) n FROM pages WHERE json_valid(extract) AND error_code IS NULL").get() as { n: number }).n;
  d.close();
  assert.equal(n, site.reachablePaths().length);
});

test('a missing extractor module is bad input (exit 2) before any fetch', async () => {
  site.resetCounts();
  const r = await runCli(['--urls', seedFile(dir, [site.url + '/'], 'm.txt'), '--db', path.join(dir, 'm.db'), ...FAST, '--extract', path.join(dir, 'nope.mjs')]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--extract .*nope\.mjs/);
  assert.equal(site.totalRequests, 0);
});

test('--fail-on-error-rate: exit 3 when too many URLs failed', async () => {
  site.removePage('/p/2');
  site.removePage('/p/4');
  const seeds = seedFile(dir, [site.url + '/'], 'e.txt');
  const ok = await runCli(['--urls', seeds, '--db', path.join(dir, 'e1.db'), ...FAST, '--fail-on-error-rate', '0.5']);
  assert.equal(ok.code, 0, ok.stderr);
  const bad = await runCli(['--urls', seeds, '--db', path.join(dir, 'e2.db'), ...FAST, '--fail-on-error-rate', '0.01']);
  assert.equal(bad.code, 3, bad.stderr);
});
