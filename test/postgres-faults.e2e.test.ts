/**
 * The shared frontier under real faults (issue 21): real worker processes on a real PostgreSQL
 * cluster, over a multi-host site that records politeness on the server side. Clock skew with
 * libfaketime, a worker stopped (SIGSTOP) for twice its lease outside and inside a transaction, the
 * database stopped for 20 s, the seeding worker killed mid-file.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, test } from 'node:test';
import { runCli, startCli, tempDir } from './helpers/cli.js';
import { FAKETIME_LIB, SHORT_LEASE, skewed, sql, startFirst, startWorker, startsBetween, summaryOf, until } from './helpers/fleet.js';
import { minGap, startMultiHostSite, type MultiHostSite } from './helpers/multi-host-site.js';
import { pgCluster } from './helpers/pg.js';

const cluster = await pgCluster();
const skip = cluster ? false : 'PostgreSQL not found (see the message above)';
if (!FAKETIME_LIB && process.env.CI === 'true') throw new Error('libfaketime not found (apt-get install -y faketime): the clock skew test must run under CI=true');
const skipSkew = skip || (FAKETIME_LIB ? false : 'libfaketime not found: apt-get install -y faketime');
const dir = tempDir('crawl-pg-faults-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const DELAY_MS = 400;

/**
 * Politeness held on every host, across every worker: one request at a time, and request starts
 * (seen by the server) at least half the delay apart. Half: on a loaded machine a worker's own
 * requests reach the server up to ~100 ms later than it started them (seen: 60 ms apart on one
 * connection at --delay 150ms); two owners at once land anywhere, mostly much closer.
 */
function assertPolite(site: MultiHostSite): void {
  for (const h of site.hosts) {
    assert.equal(h.maxInflight, 1, `${h.origin}: requests open at once across the workers`);
    assert.ok(minGap(h.starts) >= DELAY_MS / 2, `${h.origin}: two request starts ${minGap(h.starts).toFixed(1)} ms apart (--delay ${DELAY_MS}ms)`);
  }
}

/** Every page stored, each once, the run done, no lease left. */
async function assertComplete(db: string, site: MultiHostSite): Promise<void> {
  const [stored] = await sql<{ n: number; d: number }>(db, 'SELECT count(*)::int AS n, count(DISTINCT url)::int AS d FROM pages WHERE status = 200');
  assert.deepEqual([stored.n, stored.d], [site.pages.length, site.pages.length], 'every page stored, once');
  assert.deepEqual((await sql<{ status: string }>(db, 'SELECT status FROM runs')).map((r) => r.status), ['done']);
  assert.equal((await sql<{ n: number }>(db, 'SELECT count(*)::int AS n FROM hosts WHERE owner IS NOT NULL'))[0].n, 0, 'no host lease left');
}

const crawlArgs = ['--delay', `${DELAY_MS}ms`, '--per-host', '1', '--concurrency', '4'];

test('workers whose clocks are 60 s ahead and 60 s behind keep politeness and take no live host', { skip: skipSkew }, async () => {
  const site = await startMultiHostSite(4, 30);
  try {
    const db = cluster!.newDatabase();
    const first = await startFirst(db, dir, site.hosts.map((h) => h.origin), crawlArgs);
    const ahead = startWorker(db, skewed('+60s'));
    const behind = startWorker(db, skewed('-60s'));
    const results = await Promise.all([first.done, ahead.done, behind.done]);
    results.forEach((r, i) => assert.equal(r.code, 0, `worker ${i + 1}: ${r.stderr.slice(-1500)}`));
    assertPolite(site);
    const rejected = results.map((r) => summaryOf(r).rejected);
    assert.deepEqual(rejected, [0, 0, 0], 'no write refused: no worker took a host its owner still held');
    await assertComplete(db, site);
  } finally {
    await site.close();
  }
});

/** The worker's sessions that sit idle inside a transaction right now. */
async function idleInTx(db: string, pid: number): Promise<number> {
  const r = await sql<{ n: number }>(db, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle in transaction'", [`crawl ${pid}`]);
  return r[0].n;
}

for (const where of ['outside', 'inside'] as const) {
  test(`a worker stopped for twice its lease ${where} a transaction: no overlap, the others go on, their writes are accepted`, { skip }, async () => {
    // 80 pages a host (32 s at the delay): work is left for the pause even when the victim joins
    // late and catching it inside a transaction takes many tries (seen with 40: the stop came 16 s
    // in, and the last 4 pages were fetched 6.5-6.9 s into the pause, before the window below).
    const site = await startMultiHostSite(4, 80);
    try {
      const db = cluster!.newDatabase();
      const first = await startFirst(db, dir, site.hosts.map((h) => h.origin), crawlArgs);
      const second = startWorker(db);
      const victim = startWorker(db);
      const pid = victim.child.pid!;
      // The victim holds a host and has written some pages before it is stopped.
      await until(async () => (await sql<{ n: number }>(db, 'SELECT count(*)::int AS n FROM hosts h JOIN run_workers w ON w.owner = h.owner WHERE w.pages > 0 AND h.owner LIKE $1', [`%:${pid}:%`]))[0].n > 0, 'the victim holds a host', 90_000);
      let stoppedAt = 0;
      for (let attempt = 0; ; attempt++) {
        process.kill(pid, 'SIGSTOP');
        await new Promise((r) => setTimeout(r, 60));
        const n = await idleInTx(db, pid);
        if ((where === 'inside') === (n > 0)) { stoppedAt = performance.now(); break; }
        process.kill(pid, 'SIGCONT');
        assert.ok(attempt < 400, `could not stop the worker ${where} a transaction`);
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 40));
      }
      await new Promise((r) => setTimeout(r, 12_000)); // twice the 6 s lease
      const resumedAt = performance.now();
      if (where === 'inside') assert.equal(await idleInTx(db, pid), 0, 'the stopped worker\'s transaction was ended by the server, its locks let go');
      process.kill(pid, 'SIGCONT');
      const results = await Promise.all([first.done, second.done, victim.done]);
      results.forEach((r, i) => assert.equal(r.code, 0, `worker ${i + 1}: ${r.stderr.slice(-1500)}`));
      assertPolite(site);
      // The others took over the victim's hosts after its lease (6 s) and fetched for the rest of the pause.
      const timeline = site.hosts.map((h) => `${h.origin}: ${h.starts.map((t, i) => `${((t - stoppedAt) / 1000).toFixed(1)}@${h.ports[i]}`).join(' ')}`).join('\n');
      assert.ok(startsBetween(site.hosts, stoppedAt + 7_000, resumedAt) > 0, `the other workers kept fetching during the pause (request starts, s from the stop @ client port):\n${timeline}`);
      assert.deepEqual(results.slice(0, 2).map((r) => summaryOf(r).rejected), [0, 0], 'the healthy workers\' writes were all accepted');
      await assertComplete(db, site);
    } finally {
      await site.close();
    }
  });
}

test('the database stopped for 20 s: workers stop fetching hosts they cannot renew, then finish the run', { skip }, async () => {
  const site = await startMultiHostSite(3, 60);
  try {
    const db = cluster!.newDatabase();
    const first = await startFirst(db, dir, site.hosts.map((h) => h.origin), crawlArgs);
    const second = startWorker(db);
    await until(async () => (await sql<{ n: number }>(db, 'SELECT count(*)::int AS n FROM pages'))[0].n >= 20, 'pages are written', 90_000);
    await cluster!.stop();
    const down = performance.now();
    await new Promise((r) => setTimeout(r, 20_000));
    const during = startsBetween(site.hosts, down + 8_000, performance.now());
    await cluster!.start();
    const results = await Promise.all([first.done, second.done]);
    results.forEach((r, i) => assert.equal(r.code, 0, `worker ${i + 1}: ${r.stderr.slice(-1500)}`));
    // 6 s lease less a fifth: after ~5 s without a renewal a worker starts nothing more.
    assert.equal(during, 0, 'no request started once the leases could not have been renewed');
    assertPolite(site);
    await assertComplete(db, site);
  } finally {
    await site.close();
  }
});

test('the seeding worker killed mid-file: the run is not done, the joined worker says so, `crawl --urls` with the file resumes it', { skip }, async () => {
  // One host whose robots.txt disallows /seed/: 60,000 seeds are queued and recorded without a fetch
  // each, so the test is bounded, and queuing them takes long enough for the kill to land in it.
  const server = http.createServer((req, res) => {
    if (req.url === '/robots.txt') { res.setHeader('content-type', 'text/plain'); res.end('User-agent: *\nDisallow: /seed/\n'); return; }
    res.setHeader('content-type', 'text/html');
    res.end('<title>home</title><p>home</p>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const db = cluster!.newDatabase();
    const urls = [origin + '/', ...Array.from({ length: 60_000 }, (_, i) => `${origin}/seed/${i}`)];
    const file = path.join(dir, 'many-seeds.txt');
    fs.writeFileSync(file, urls.join('\n') + '\n');
    const args = ['--db', db, ...SHORT_LEASE, '--delay', '0ms', '--max-depth', '0', '--no-progress', '--log-format', 'json'];
    const seeder = startCli(['--urls', file, ...args]);
    await until(async () => (await sql<{ n: number }>(db, 'SELECT count(*)::int AS n FROM run_workers').catch(() => [{ n: 0 }]))[0].n > 0, 'the run starts');
    const joined = startWorker(db);
    await until(async () => (await sql<{ n: number }>(db, "SELECT count(*)::int AS n FROM frontier WHERE source = 'seed'"))[0].n >= 4_000, 'seeds are queued');
    seeder.child.kill('SIGKILL');
    await seeder.done;
    const queued = (await sql<{ n: number }>(db, "SELECT count(*)::int AS n FROM frontier WHERE source = 'seed'"))[0].n;
    assert.ok(queued < urls.length, `the kill landed mid-file (${queued} of ${urls.length} queued)`);
    const j = await joined.done;
    assert.equal(j.code, 4, `the joined worker stops resumable: ${j.stderr.slice(-1500)}`);
    assert.equal(summaryOf(j).reason, 'seeds-incomplete');
    assert.deepEqual(await sql(db, 'SELECT status, stop_reason FROM runs'), [{ status: 'interrupted', stop_reason: 'seeds-incomplete' }]);
    const resumed = await runCli(['--urls', file, ...args]);
    assert.equal(resumed.code, 0, resumed.stderr.slice(-1500));
    assert.equal((await sql<{ n: number }>(db, "SELECT count(*)::int AS n FROM frontier WHERE source = 'seed'"))[0].n, urls.length, 'every seed is in the run');
    assert.equal((await sql<{ n: number }>(db, 'SELECT count(*)::int AS n FROM pages'))[0].n, urls.length, 'and recorded');
    assert.deepEqual(await sql(db, 'SELECT status FROM runs'), [{ status: 'done' }]);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
