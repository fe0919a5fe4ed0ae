/** Run lock, --max-time, SIGINT and SIGKILL: every interrupted crawl resumes to exact, duplicate-free completion. */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { startSite, type Site } from '../src/demo/site.js';
import { FAST, runCli, seedFile, startCli, tempDir } from './helpers/cli.js';

let site: Site;
let dir: string;
before(async () => { site = await startSite({ pages: 150, fanOut: 5, pageBytes: 3000, latencyMs: 15, extras: false }); dir = tempDir(); });
after(async () => { await site.close(); fs.rmSync(dir, { recursive: true, force: true }); });

function count(db: string, sql: string): number {
  const d = new Database(db, { readonly: true });
  try { return (d.prepare(sql).get() as { n: number }).n; } finally { d.close(); }
}

async function waitForPages(db: string, n: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    try { if (count(db, 'SELECT count(*) n FROM pages') >= n) return; } catch { /* not created yet */ }
    await sleep(25);
  }
  throw new Error(`never reached ${n} pages`);
}

function assertComplete(db: string): void {
  const reachable = site.reachablePaths();
  const d = new Database(db, { readonly: true });
  const rows = d.prepare('SELECT url FROM pages WHERE status = 200').all() as { url: string }[];
  assert.equal(rows.length, reachable.length, 'every reachable page stored');
  assert.equal(new Set(rows.map((r) => r.url)).size, rows.length, 'exactly once');
  assert.equal((d.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check, 'ok');
  d.close();
}

const CONC = 4;
const args = (db: string, seeds: string) => ['--urls', seeds, '--db', db, ...FAST, '--concurrency', String(CONC), '--per-host', String(CONC)];

test('a second crawl on the same database exits 5 (locked) and changes nothing', async () => {
  const db = path.join(dir, 'lock.db');
  const seeds = seedFile(dir, [site.url + '/'], 'lock-seeds.txt');
  // A slow first crawl (500 ms between requests: over a minute for this site), so it is surely
  // still running when the second starts, however slow the machine.
  const first = startCli([...args(db, seeds), '--delay', '500ms']);
  await waitForPages(db, 2);
  const before = fs.statSync(db).size;
  const second = await runCli(args(db, seeds));
  assert.equal(second.code, 5, second.stderr);
  assert.match(second.stderr, /is being crawled by process \d+/);
  first.child.kill('SIGINT');
  await first.done;
  assert.ok(fs.statSync(db).size >= before);
});

test('--max-time stops with exit 4, and the same command resumes to completion', async () => {
  site.resetCounts();
  const db = path.join(dir, 'maxtime.db');
  const seeds = seedFile(dir, [site.url + '/'], 'mt-seeds.txt');
  const r1 = await runCli([...args(db, seeds), '--max-time', '600ms']);
  assert.equal(r1.code, 4, r1.stderr);
  assert.equal(count(db, "SELECT count(*) n FROM runs WHERE status = 'interrupted' AND stop_reason = 'max-time'"), 1);
  const r2 = await runCli(args(db, seeds));
  assert.equal(r2.code, 0, r2.stderr);
  assert.match(r2.stderr, /resum/);
  assert.equal(count(db, 'SELECT count(*) n FROM runs'), 1, 'resumed the same run');
  assertComplete(db);
  for (const p of site.reachablePaths()) assert.equal(site.requests.get(p), 1, `${p} fetched once across stop and resume`);
});

test('SIGINT: graceful stop, exit 4, resumable', async () => {
  site.resetCounts();
  const db = path.join(dir, 'sigint.db');
  const seeds = seedFile(dir, [site.url + '/'], 'int-seeds.txt');
  const run = startCli(args(db, seeds));
  await waitForPages(db, 10);
  run.child.kill('SIGINT');
  const r = await run.done;
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stderr, /SIGINT/);
  assert.equal(count(db, "SELECT count(*) n FROM runs WHERE status = 'interrupted'"), 1);
  const r2 = await runCli(args(db, seeds));
  assert.equal(r2.code, 0, r2.stderr);
  assertComplete(db);
  for (const p of site.reachablePaths()) assert.equal(site.requests.get(p), 1, `${p} fetched once`);
});

test('SIGKILL at several points: resume completes exactly once; only in-flight URLs are refetched', async () => {
  site.resetCounts();
  const db = path.join(dir, 'kill.db');
  const seeds = seedFile(dir, [site.url + '/'], 'kill-seeds.txt');
  for (const at of [5, 40, 90]) {
    const run = startCli(args(db, seeds));
    await waitForPages(db, at);
    run.child.kill('SIGKILL');
    const r = await run.done;
    assert.equal(r.signal, 'SIGKILL');
    // Counters change in the transaction that writes what they count: a kill never makes them drift.
    assert.equal(count(db, 'SELECT pages n FROM runs'), count(db, 'SELECT count(*) n FROM page_runs'), `after a kill at ${at} pages`);
  }
  const final = await runCli(args(db, seeds));
  assert.equal(final.code, 0, final.stderr);
  assertComplete(db);
  const twice = site.reachablePaths().filter((p) => (site.requests.get(p) ?? 0) > 1);
  // A kill loses at most the fetches in flight plus outcomes not yet committed (committed every 25 ms):
  // at ~250 pages/s that is CONC + ~7 per kill; everything committed is never fetched again.
  assert.ok(twice.length <= 3 * (CONC + 12), `refetched ${twice.length}: ${twice.join(' ')}`);
  for (const p of site.reachablePaths()) assert.ok((site.requests.get(p) ?? 0) <= 4, `${p} fetched ${site.requests.get(p)} times`);
});
