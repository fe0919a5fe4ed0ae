/**
 * `crawl status --db postgres://…` against real worker processes on a throwaway cluster: live
 * workers with their pid, hosts held and pages/s; a worker killed with SIGKILL listed as gone once
 * its lease (6 s here) has passed, and its host leases listed as expired; time read from the
 * server, so a `crawl status` whose own clock is an hour off (libfaketime) reports the same; every
 * statement of the report planned without a Seq Scan on a large synthetic frontier.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import pg from 'pg';
import { STATUS_STATEMENTS } from '../src/store/postgres/status.js';
import type { RunStatusReport, WorkerStatus } from '../src/store/status-types.js';
import { ROOT, runCli, seedFile, startCli, tempDir } from './helpers/cli.js';
import { startMultiHostSite } from './helpers/multi-host-site.js';
import { pgCluster } from './helpers/pg.js';

const cluster = await pgCluster();
const skip = cluster ? false : 'PostgreSQL not found (see the message above)';
const dir = tempDir('crawl-status-pg-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const FAKETIME_LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const LEASE_MS = 6_000;
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

async function sql<T = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client(url);
  await c.connect();
  try { return (await c.query(text, params)).rows as T[]; } finally { await c.end(); }
}

async function status(db: string, env: Record<string, string> = {}): Promise<RunStatusReport> {
  const r = await runCli(['status', '--db', db, '--format', 'json'], { env });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as RunStatusReport;
}

/** Polls `crawl status` until `ok` holds; returns that report. */
async function statusUntil(db: string, what: string, ok: (r: RunStatusReport) => boolean, timeoutMs = 90_000, env: Record<string, string> = {}): Promise<RunStatusReport> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await status(db, env);
    if (ok(r)) return r;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last report: ${JSON.stringify(r)}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

/** The titles and column headers of a table-format report, numbers as N. */
function outline(text: string): string[] {
  const lines = text.split('\n');
  return lines.flatMap((l, i) => (/^-[- ]*$/.test(lines[i + 1] ?? '') ? [lines[i - 1], l] : [])).map((l) => l.trim().replace(/\d+/g, 'N').replace(/\s+/g, ' '));
}

const byPid = (ws: WorkerStatus[], pid: number | undefined) => ws.find((w) => w.pid === pid);

test('live workers with their hosts, a SIGKILLed one gone after its lease, its host leases expired by the server\'s clock', { skip, timeout: 240_000 }, async () => {
  // 4 hosts of 80 pages, one request at a time per host 400 ms apart: the crawl lasts 32 s at the least.
  const site = await startMultiHostSite(4, 80);
  try {
    const db = cluster!.newDatabase();
    const seeds = seedFile(dir, site.hosts.map((h) => h.origin + '/'), 'seeds.txt');
    const w1 = startCli(['--urls', seeds, '--db', db, '--delay', '400ms', '--per-host', '1', '--concurrency', '2', '--no-progress',
      '--lease', `${LEASE_MS}ms`, '--heartbeat', '1s', '--log-format', 'json']);
    const end = Date.now() + 60_000;
    while ((await sql(db, "SELECT 1 FROM run_log WHERE status = 'running'").catch(() => [])).length === 0) {
      if (Date.now() > end) throw new Error('timed out waiting for the run to start');
      await new Promise((r) => setTimeout(r, 100));
    }
    await statusUntil(db, 'the first worker', (r) => r.run?.status === 'running' && r.workers.length === 1);
    const w2 = startCli(['worker', '--db', db, '--log-format', 'json']);
    // A worker lets a host go whenever its claims there are written: a report catches some of them holding hosts.
    const both = await statusUntil(db, 'both workers to store pages, hosts held', (r) => r.workers.length === 2
      && r.workers.some((w) => w.hosts_held > 0) && r.workers.every((w) => w.pages > 0));
    assert.equal(both.lease_ms, LEASE_MS, 'the run\'s --lease');
    for (const [child, w] of [[w1, byPid(both.workers, w1.child.pid)], [w2, byPid(both.workers, w2.child.pid)]] as const) {
      assert.ok(w, `worker ${child.child.pid} listed with its pid`);
      assert.equal(w.host, os.hostname());
      assert.ok(w.owner.startsWith(`${os.hostname()}:${child.child.pid}:`));
      assert.ok(Date.parse(w.last_heartbeat) >= Date.parse(w.started));
      assert.ok(w.pages_per_s > 0 && Number.isFinite(w.heartbeat_age_s));
    }
    assert.ok(both.workers.reduce((s, w) => s + w.hosts_held, 0) <= site.hosts.length);
    assert.deepEqual([both.gone_workers, both.expired_leases, both.expired_leases_total.count], [[], [], 0]);
    assert.ok(both.run!.totals.pages >= 2 && both.run!.queued.count + both.run!.claimed.count > 0);

    // The report's time is the server's: status run with its clock an hour ahead, or behind, sees the same live leases.
    if (fs.existsSync(FAKETIME_LIB)) {
      // Polled, not read once: on a loaded machine a live worker may miss a heartbeat now and then. With the local
      // clock the condition never holds (+1h: every lease expired; -1h: heartbeats an hour in the future).
      for (const skew of ['+1h', '-1h']) {
        const skewed = await statusUntil(db, `clock ${skew}: both workers live, no lease expired, heartbeats minutes old at most`,
          (r) => r.workers.length === 2 && r.expired_leases_total.count === 0 && r.workers.every((w) => Math.abs(w.heartbeat_age_s) < 60),
          30_000, { LD_PRELOAD: FAKETIME_LIB, FAKETIME: skew, FAKETIME_DONT_FAKE_MONOTONIC: '1' });
        assert.ok(Math.abs(Date.parse(skewed.now) - Date.now()) < 600_000, `clock ${skew}: now is the server's (${skewed.now})`);
      }
    } else process.stderr.write(`!!! ${FAKETIME_LIB} not found: the clock skew check is skipped (apt-get install faketime)\n`);

    const text = await runCli(['status', '--db', db]);
    assert.match(text.stdout, /\nLive workers \(a heartbeat within the 6 s lease, or a host lease held\)\nhost +pid +started +last_heartbeat +heartbeat_age_s +hosts_held +pages +pages_per_s +owner\n/);
    assert.match(text.stdout, new RegExp(`\\n${os.hostname()} +${w1.child.pid} `));

    // Kill the first worker while it holds hosts.
    await statusUntil(db, 'the first worker to hold hosts', (r) => (byPid(r.workers, w1.child.pid)?.hosts_held ?? 0) > 0);
    w1.child.kill('SIGKILL');
    assert.equal((await w1.done).signal, 'SIGKILL');
    const gone1 = await statusUntil(db, 'the killed worker to be gone', (r) => byPid(r.gone_workers, w1.child.pid) !== undefined);
    assert.equal(byPid(gone1.gone_workers, w1.child.pid)!.hosts_held, 0, 'its host leases ran out');
    // Gone means a heartbeat older than the lease; the age is shown to a tenth of a second, so 6.04 s reads 6.0.
    assert.ok(byPid(gone1.gone_workers, w1.child.pid)!.heartbeat_age_s >= LEASE_MS / 1000);
    assert.ok(byPid(gone1.workers, w2.child.pid), 'the other worker is live');
    const dead = byPid(gone1.gone_workers, w1.child.pid)!.owner;
    assert.ok(gone1.expired_leases.every((l) => l.owner === dead), 'only the dead worker\'s leases can have expired');

    // Kill the other one while it holds hosts: nobody takes them over, and once its lease passes they are listed as expired.
    const holding = await statusUntil(db, 'the other worker to hold hosts', (r) => (byPid(r.workers, w2.child.pid)?.hosts_held ?? 0) > 0);
    assert.equal(holding.run!.status, 'running', 'the crawl is not over yet');
    w2.child.kill('SIGKILL');
    assert.equal((await w2.done).signal, 'SIGKILL');
    const owner2 = byPid(holding.workers, w2.child.pid)!.owner;
    const expired = await statusUntil(db, 'the second worker\'s leases to expire', (r) => r.workers.length === 0
      && r.expired_leases.some((l) => l.owner === owner2));
    const serverNow = Date.parse(expired.now);
    for (const l of expired.expired_leases) {
      assert.ok(Date.parse(l.lease_until) < serverNow && l.expired_s >= 0, `${l.host}: ran out before the report's time`);
      assert.ok([dead, owner2].includes(l.owner));
    }
    assert.equal(expired.expired_leases_total.count, expired.expired_leases.length);
    const [rows] = await sql<{ n: number }>(db, 'SELECT count(*)::int AS n FROM hosts WHERE owner IS NOT NULL AND lease_until < $1', [serverNow]);
    assert.equal(expired.expired_leases.length, rows.n, 'every expired lease listed');
    // The README's example, with this cluster's URL: its output has the README's sections and columns.
    const example = /^\$ crawl status --db (postgres:\/\/\S+)\n([\s\S]*?)```/m.exec(readme);
    assert.ok(example, 'the README shows crawl status --db postgres://… with its output');
    const table = await runCli(['status', '--db', db]);
    assert.deepEqual(outline(table.stdout), outline(example[2]), 'the README\'s sections and columns');
    assert.match(table.stdout, /\nGone workers \(no heartbeat for more than 6 s\)\n/);
    assert.match(table.stdout, new RegExp(`\\nExpired host leases: ${expired.expired_leases.length}\\nhost +owner +lease_until +expired_s\\n`));
    assert.match(table.stdout, /\nnote: run \d+ is marked running but no worker is live/);

    // A new worker resumes the run and takes the hosts back: nothing expired is left, the run is done.
    const w3 = await runCli(['worker', '--db', db, '--log-format', 'json']);
    assert.equal(w3.code, 0, w3.stderr.slice(-2000));
    const done = await status(db);
    assert.equal(done.run!.status, 'done');
    assert.deepEqual([done.workers, done.expired_leases_total.count, done.run!.queued.count, done.run!.claimed.count], [[], 0, 0, 0]);
    assert.equal(done.gone_workers.length, 3);
    const [run] = JSON.parse((await runCli(['runs', '--db', db, '--format', 'json'])).stdout) as { pages: number; workers: number }[];
    assert.deepEqual([done.run!.totals.pages, done.gone_workers.length], [run.pages, run.workers], 'the totals crawl runs shows');
  } finally {
    await site.close();
  }
});

test('no statement of the report scans the frontier: EXPLAIN on a synthetic 300k-entry frontier over 3,000 hosts', { skip, timeout: 120_000 }, async () => {
  const db = cluster!.newDatabase();
  // The schema, from a status run against an empty crawl database (a crawl creates it; a tiny one here).
  const c = new pg.Client(db);
  await c.connect();
  try {
    const { PostgresBackend } = await import('../src/store/postgres/backend.js');
    const b = await PostgresBackend.open(db);
    const { run } = await b.openRun({ optionsJson: '{}', owner: 'h:1:a' });
    await b.close();
    await c.query(`INSERT INTO frontier (url_id, host, depth, state, source, owner, lease_until)
      SELECT i, 'h' || (i % 3000) || '.test', 1, CASE WHEN i % 10 = 0 THEN 0 WHEN i % 100 = 1 THEN 1 ELSE 2 END, 'link',
        CASE WHEN i % 100 = 1 THEN 'h:1:a' END, CASE WHEN i % 100 = 1 THEN 0 END
      FROM generate_series(1, 300000) i`);
    await c.query(`INSERT INTO hosts (host, owner, lease_until) SELECT 'h' || i || '.test', CASE WHEN i < 50 THEN 'h:1:a' END,
      CASE WHEN i < 50 THEN 0 END FROM generate_series(0, 2999) i`);
    await c.query('ANALYZE');
    const now = Date.now();
    for (const s of STATUS_STATEMENTS) {
      const plan = (await c.query(`EXPLAIN ${s.sql}`, s.params(now, run.id))).rows.map((r) => r['QUERY PLAN'] as string).join('\n');
      assert.doesNotMatch(plan, /Seq Scan on (frontier|urls|pages)/, `${s.name}:\n${plan}`);
      // 30,000 queued: the capped count walks the partial index in order and stops at the cap (a bitmap scan would read the whole index first).
      if (s.name === 'counts') assert.match(plan, /Limit[^\n]*\n\s+->  Index (Only )?Scan using frontier_queue/, plan);
    }
    const r = await status(db);
    assert.deepEqual([r.run!.queued, r.run!.claimed, r.expired_leases_total], [{ count: 10_000, capped: true }, { count: 3000, capped: false }, { count: 50, capped: false }]);
    assert.equal(r.expired_leases.length, 50);
  } finally {
    await c.end();
  }
});
