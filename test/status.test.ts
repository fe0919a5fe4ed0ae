/**
 * `crawl status` on SQLite, run as a user runs it (the real CLI, real crawls of a local site): the
 * run and its totals as `crawl runs` has them, the capped queue, the crawl process holding the
 * database (its pid) while a crawl runs, none after a SIGKILL, exit codes, the README's example as
 * printed. PostgreSQL is in test/status-pg.test.ts.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { startSite } from '../src/demo/site.js';
import { COUNTS_SQL } from '../src/store/sqlite/status.js';
import { STATUS_COUNT_CAP, type RunStatusReport } from '../src/store/status-types.js';
import { FAST, ROOT, runCli, seedFile, startCli, tempDir } from './helpers/cli.js';

const dir = tempDir('crawl-status-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

async function status(db: string, format = 'json', cwd?: string): Promise<{ code: number | null; out: string; err: string; report?: RunStatusReport }> {
  const r = await runCli(['status', ...(db ? ['--db', db] : []), '--format', format], cwd ? { cwd } : {});
  return { code: r.code, out: r.stdout, err: r.stderr, report: format === 'json' && r.code === 0 ? JSON.parse(r.stdout) as RunStatusReport : undefined };
}

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('after a crawl: the run, its totals as crawl runs shows them, nothing queued, no crawl process', async () => {
  const site = await startSite({ pages: 40, fanOut: 4, pageBytes: 2000 });
  try {
    const db = path.join(dir, 'done.db');
    const r = await runCli(['--urls', seedFile(dir, [site.url + '/'], 'done.txt'), '--db', db, ...FAST]);
    assert.equal(r.code, 0, r.stderr);
    const { code, report } = await status(db);
    assert.equal(code, 0);
    const [run] = JSON.parse((await runCli(['runs', '--db', db, '--format', 'json'])).stdout) as Record<string, number | string>[];
    assert.equal(report!.backend, 'sqlite');
    assert.deepEqual([report!.run!.id, report!.run!.status, report!.run!.started_at, report!.run!.ended_at], [run.id, 'done', run.started_at, run.ended_at]);
    for (const k of ['pages', 'new', 'changed', 'unchanged', 'gone', 'errors', 'bytes'] as const) assert.equal(report!.run!.totals[k], run[k], k);
    assert.ok(report!.run!.totals.pages > 0);
    assert.deepEqual(report!.run!.queued, { count: 0, capped: false });
    assert.deepEqual(report!.process, { running: false, pid: null, host: null, since: null });
    const table = await status(db, 'table');
    assert.equal(table.code, 0);
    assert.match(table.out, /^Run \d+ \(done\)\n/);
    assert.match(table.out, /\nTotals\npages +requests/);
    assert.match(table.out, /\nCrawl process \(none holds the database\)\n/);
    assert.doesNotMatch(table.out, /note:/);
  } finally {
    await site.close();
  }
});

test('while a crawl holds the database: its pid; after a SIGKILL: none, and the run is left running with a note', { timeout: 120_000 }, async () => {
  const site = await startSite({ pages: 80, fanOut: 4, pageBytes: 2000 });
  try {
    const db = path.join(dir, 'live.db');
    // One request at a time, 300 ms apart: the crawl lasts 24 s at the least, whatever the machine's speed.
    const crawl = startCli(['--urls', seedFile(dir, [site.url + '/'], 'live.txt'), '--db', db, '--delay', '300ms', '--per-host', '1', '--no-progress']);
    let report: RunStatusReport | undefined;
    await until('status to see the crawl with some pages stored', async () => {
      report = fs.existsSync(db) ? (await status(db)).report : undefined;
      return (report?.process?.running ?? false) && (report?.run?.totals.pages ?? 0) >= 2;
    });
    assert.deepEqual([report!.process!.pid, report!.process!.host], [crawl.child.pid, os.hostname()]);
    assert.equal(report!.run!.status, 'running');
    assert.ok(report!.run!.queued.count + report!.run!.claimed.count > 0, 'work left');
    const table = await status(db, 'table');
    assert.match(table.out, new RegExp(`\\nCrawl process \\(holds the database now\\)\\nrunning +pid[^\\n]*\\n[- ]+\\ntrue +${crawl.child.pid} `));
    crawl.child.kill('SIGKILL');
    assert.equal((await crawl.done).signal, 'SIGKILL');
    const after = await status(db);
    assert.equal(after.report!.process!.running, false, 'the kernel dropped the lock with the process');
    assert.equal(after.report!.run!.status, 'running', 'the killed crawl could not record its end');
    const note = await status(db, 'table');
    assert.match(note.out, /\nnote: run \d+ is marked running but no crawl holds the database/);
    // The next crawl is not refused: the probe took no lock.
    const resumed = await runCli(['--urls', seedFile(dir, [site.url + '/'], 'live.txt'), '--db', db, ...FAST]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal((await status(db)).report!.run!.status, 'done');
  } finally {
    await site.close();
  }
});

test('queued entries are counted up to the cap through the partial index: "10,000+"', async () => {
  const site = await startSite({ pages: 5, fanOut: 2, pageBytes: 500 });
  try {
    const db = path.join(dir, 'cap.db');
    assert.equal((await runCli(['--urls', seedFile(dir, [site.url + '/'], 'cap.txt'), '--db', db, ...FAST])).code, 0);
    const w = new Database(db);
    w.prepare(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
      INSERT INTO frontier (url_id, host, depth, state, source) SELECT i + 1000000, 'q.test', 1, 0, 'link' FROM n`).run(STATUS_COUNT_CAP + 5);
    const plan = w.prepare(`EXPLAIN QUERY PLAN ${COUNTS_SQL}`).all({ now: 0, cap: STATUS_COUNT_CAP + 1 }) as { detail: string }[];
    w.close();
    const scans = plan.filter((p) => /frontier/.test(p.detail));
    assert.equal(scans.length, 3, 'three counts of the frontier');
    for (const { detail } of scans) assert.match(detail, /USING (COVERING )?INDEX frontier_(queue|claims)/, detail);
    const { report } = await status(db);
    assert.deepEqual(report!.run!.queued, { count: STATUS_COUNT_CAP, capped: true });
    assert.match((await status(db, 'table')).out, /\n +\d+ +done .* 10,000\+ /);
  } finally {
    await site.close();
  }
});

test('exit codes: a missing database 2, a malformed postgres:// URL 2, not a crawl database 6, an unreachable server 6', async () => {
  assert.equal((await status(path.join(dir, 'nope.db'))).code, 2);
  assert.equal((await status('postgres://u@127.0.0.1:notaport/crawl')).code, 2);
  assert.equal((await status('postgres://u@127.0.0.1:5432/crawl?crawl_lease_ms=5')).code, 2);
  const foreign = path.join(dir, 'foreign.db');
  new Database(foreign).exec('CREATE TABLE t (x)').close();
  assert.equal((await status(foreign)).code, 6);
  const refused = await status('postgres://u:secret@127.0.0.1:1/crawl');
  assert.equal(refused.code, 6);
  assert.doesNotMatch(refused.err, /secret/, 'the password is never printed');
});

test('the README\'s crawl status example runs as printed', async () => {
  const line = /^crawl status( +#.*)?$/m.exec(readme);
  assert.ok(line, 'README shows `crawl status` (default --db data/crawl.db)');
  const site = await startSite({ pages: 5, fanOut: 2, pageBytes: 500 });
  try {
    const cwd = fs.mkdtempSync(path.join(dir, 'readme-'));
    assert.equal((await runCli(['--urls', seedFile(cwd, [site.url + '/']), ...FAST], { cwd })).code, 0, 'a crawl into data/crawl.db');
    const r = await runCli(['status'], { cwd });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Run 1 \(done\)\n/);
  } finally {
    await site.close();
  }
});
