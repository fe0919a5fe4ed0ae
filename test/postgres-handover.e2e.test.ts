/**
 * A host's pacing survives a handover in a shared PostgreSQL run, checked from the server's side:
 * worker A (the real CLI) meets a 429 Retry-After, or an unavailable robots.txt, and is killed with
 * SIGKILL long before its heartbeat; worker B (`crawl worker`) takes the host over and sends nothing
 * before the time A was told to wait for. A's heartbeat is 20 minutes, so what reaches the host row
 * before the kill was recorded when it happened, not by a heartbeat; A's lease (1 h) is then run
 * out by hand and taken back through the backend's own requeueExpired, as if the hour had passed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, test } from 'node:test';
import pg from 'pg';
import { ROBOTS_RETRIES } from '../src/polite/robots-gate.js';
import { PostgresBackend } from '../src/store/postgres/backend.js';
import { startCli, seedFile, tempDir, type CliResult } from './helpers/cli.js';
import { pgCluster } from './helpers/pg.js';
import { html, politeSuite, text } from './helpers/polite-server.js';

const cluster = await pgCluster();
const skip = cluster ? false : 'PostgreSQL not found (see the message above)';
const dir = tempDir('crawl-pg-handover-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const suite = politeSuite('pg-handover');

/** Worker A: one request at a time to the host, a heartbeat that never comes during the test. */
const A_OPTS = ['--delay', '0ms', '--per-host', '1', '--concurrency', '2', '--no-progress', '--retry-delay', '50ms',
  '--lease', '1h', '--heartbeat', '20m', '--log-format', 'json'];

async function sql<T = Record<string, unknown>>(url: string, q: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client(url);
  await c.connect();
  try { return (await c.query(q, params)).rows as T[]; } finally { await c.end(); }
}

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn().catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Kills A, runs its leases out now and takes its claims back, then starts B; resolves with B's result. */
async function killAndTakeOver(a: ReturnType<typeof startCli>, db: string): Promise<CliResult> {
  a.child.kill('SIGKILL');
  assert.equal((await a.done).signal, 'SIGKILL');
  const now = Date.now();
  await sql(db, 'UPDATE frontier SET lease_until = $1 WHERE state = 1', [now - 1]);
  await sql(db, 'UPDATE hosts SET lease_until = $1 WHERE owner IS NOT NULL', [now - 1]);
  const backend = await PostgresBackend.open(db);
  try { await backend.requeueExpired(now); } finally { await backend.close(); }
  return startCli(['worker', '--db', db, '--log-format', 'json']).done;
}

test('429 Retry-After, then the worker is killed: the next owner sends nothing to the host before the Retry-After time', { skip, timeout: 90_000 }, async () => {
  const RETRY_AFTER_S = 4;
  let throttled = 0;
  const site = await suite.serve({
    '/a': (_q, res) => {
      if (throttled++ === 0) { res.writeHead(429, { 'retry-after': String(RETRY_AFTER_S) }); res.end(); return; }
      html(res, 'a');
    },
    '/b': (_q, res) => html(res, 'b'),
    '/c': (_q, res) => html(res, 'c'),
  });
  const db = cluster!.newDatabase();
  const seeds = seedFile(dir, ['/a', '/b', '/c'].map((p) => site.url + p), 'throttled.txt');
  const a = startCli(['--urls', seeds, '--db', db, ...A_OPTS]);
  await until('A to record the back-off on the host row', async () =>
    (await sql<{ b: number | null }>(db, 'SELECT backoff_ms AS b FROM hosts WHERE host = $1', [site.host]))[0]?.b === RETRY_AFTER_S * 1000);
  const the429 = site.log.find((r) => r.pathname === '/a')!;
  if (process.env.PG_E2E_DEBUG) console.error(`back-off on the row ${Date.now() - the429.wall} ms after the 429 arrived`);
  const b = await killAndTakeOver(a, db);
  assert.equal(b.code, 0, `B exits 0: ${b.stderr.slice(-2000)}`);
  const later = site.log.filter((r) => r.pathname !== '/robots.txt' && r !== the429);
  assert.deepEqual(later.map((r) => r.pathname).sort(), ['/a', '/b', '/c'], 'B fetched the host\'s pages');
  for (const r of later) {
    assert.ok(r.wall >= the429.wall + RETRY_AFTER_S * 1000, `${r.pathname} came ${r.wall - the429.wall} ms after the 429 (Retry-After: ${RETRY_AFTER_S})`);
  }
  const rows = await sql<{ url: string; status: number }>(db, 'SELECT url, status FROM pages ORDER BY url');
  assert.deepEqual(rows.map((r) => r.status), [200, 200, 200], 'every page stored by B');
});

test('robots.txt 503, then the worker is killed: the next owner fetches robots.txt no sooner than its retry time', { skip, timeout: 90_000 }, async (t) => {
  const RETRY_MS = 1500;
  const site = await suite.serve({
    '/robots.txt': (_q, res) => text(res, 'down', 'text/plain', 503),
    '/a': (_q, res) => html(res, 'a'),
    '/b': (_q, res) => html(res, 'b'),
  });
  const db = cluster!.newDatabase();
  const seeds = seedFile(dir, ['/a', '/b'].map((p) => site.url + p), 'robots.txt');
  const a = startCli(['--urls', seeds, '--db', db, ...A_OPTS, '--robots-retry', `${RETRY_MS}ms`]);
  // A spends one retry (two fetches, two failures recorded), then dies.
  await until('A to record two robots.txt failures on the host row', async () =>
    (await sql<{ n: number | null }>(db, 'SELECT robots_failures AS n FROM hosts WHERE host = $1', [site.host]))[0]?.n === 2);
  const [, second] = site.log.filter((r) => r.pathname === '/robots.txt');
  if (process.env.PG_E2E_DEBUG) console.error(`robots.txt retry on the row ${Date.now() - second.wall} ms after the second 503 arrived`);
  const [row] = await sql<{ at: number }>(db, 'SELECT robots_retry_at AS at FROM hosts WHERE host = $1', [site.host]);
  assert.ok(row.at >= second.wall + RETRY_MS, 'the row holds the retry time');
  const b = await killAndTakeOver(a, db);
  const byB = site.log.filter((r) => r.pathname === '/robots.txt').slice(2);
  assert.ok(byB.length >= 1, `B fetched robots.txt again: ${b.stderr.slice(-2000)}`);
  for (const r of byB) assert.ok(r.wall >= second.wall + RETRY_MS, `B's robots.txt request came ${r.wall - second.wall} ms after A's last (retry ${RETRY_MS} ms)`);
  assert.equal(site.log.filter((r) => r.pathname !== '/robots.txt').length, 0, 'no page fetched while robots.txt is unavailable');
  const rows = await sql<{ error_code: string }>(db, 'SELECT error_code FROM pages');
  assert.deepEqual(rows.map((r) => r.error_code), ['ROBOTS_UNAVAILABLE', 'ROBOTS_UNAVAILABLE'], 'B gives the pages up once the retries are spent');
  await t.test('the retries A spent count: robots.txt is fetched 1 + ROBOTS_RETRIES times in all', () => {
    assert.equal(site.count('/robots.txt'), 1 + ROBOTS_RETRIES, `A fetched it twice, B ${byB.length} times`);
  });
});
