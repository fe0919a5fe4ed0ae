/**
 * Issue 23 item 1: a host that goes down during a recrawl (its robots.txt still cached) no longer
 * stalls the run. After HOST_DOWN_AFTER connection failures in a row and one failed probe, its
 * remaining URLs are recorded HOST_DOWN at once, the run goes on with other hosts, a dead
 * single-host site ends with exit 7, and the summary and the JSON log name the host and the cause.
 * A host that answers again before its probe (a restart) loses nothing. On PostgreSQL the entries
 * are completed by their claim owner through the normal write path.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { startSite, type Site } from '../src/demo/site.js';
import { crawl } from '../src/index.js';
import { ErrorCodes } from '../src/errors.js';
import { HOST_DOWN_AFTER } from '../src/crawler/host-health.js';
import { runCli, seedFile, tempDir } from './helpers/cli.js';
import { startOutageProxy } from './helpers/outage-proxy.js';
import { pgCluster } from './helpers/pg.js';

const cluster = await pgCluster();
let site: Site;
let dir: string;
before(async () => {
  site = await startSite({ pages: 60, fanOut: 4, pageBytes: 2000, extras: false });
  dir = tempDir('crawl-host-down-');
});
after(async () => { await site.close(); fs.rmSync(dir, { recursive: true, force: true }); });

/** The CLI's own politeness defaults (retries 2 from 1 s, --max-crawl-delay 30 s) that stalled the run; a short --delay. */
const CLI = ['--delay', '20ms', '--no-progress', '--log-format', 'json'];
/** Bounds a run that stalls (as before the fix) so that the test fails instead of hanging. */
const BOUND = ['--max-time', '90s'];

function events(stderr: string): Record<string, unknown>[] {
  return stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

for (const backend of ['sqlite', 'postgres'] as const) {
  test(`${backend}: a dead single-host site is given up after a few connection failures: every URL recorded, exit 7, host and cause named`,
    { skip: backend === 'postgres' && !cluster ? 'PostgreSQL not found (see the message above)' : false }, async () => {
      const proxy = await startOutageProxy(site.url);
      try {
        const db = backend === 'sqlite' ? path.join(dir, 'dead.db') : cluster!.newDatabase();
        const seeds = seedFile(dir, [proxy.url + '/'], `dead-${backend}.txt`);
        const first = await runCli(['--urls', seeds, '--db', db, ...CLI]);
        assert.equal(first.code, 0, first.stderr.slice(-2000));
        const pages = site.reachablePaths().length;

        await proxy.down(); // robots.txt stays cached (24 h): the recrawl goes straight to the pages
        const r = await runCli(['--urls', seeds, '--db', db, ...CLI, ...BOUND, '--recrawl-after', '0']);
        assert.equal(r.code, 7, `no URL got an answer: exit 7 (a stalled run stops at --max-time with 4)\n${r.stderr.slice(-1500)}`);
        const log = events(r.stderr);
        const host = new URL(proxy.url).host;
        const down = log.filter((e) => e.event === 'host-down');
        assert.equal(down.length, 1, 'one host-down event, as it happens');
        assert.equal(down[0].host, host);
        assert.equal(down[0].code, ErrorCodes.CONNECTION_REFUSED);
        assert.match(String(down[0].message), new RegExp(`host ${host.replace(/\./g, '\\.')} is down \\(CONNECTION_REFUSED`));
        const summary = log.find((e) => e.event === 'summary')!;
        assert.equal(summary.exit, 7);
        assert.equal(summary.pages, pages, 'every URL got an outcome');
        const hostsDown = summary.hosts_down as { host: string; code: string; urls: number }[];
        assert.deepEqual(hostsDown.map((d) => [d.host, d.code]), [[host, 'CONNECTION_REFUSED']]);
        const codes = summary.errors_by_code as Record<string, number>;
        assert.equal(codes.HOST_DOWN, hostsDown[0].urls);
        assert.ok(codes.HOST_DOWN >= pages - 2 * HOST_DOWN_AFTER, `most URLs were never tried (${JSON.stringify(codes)})`);
        assert.equal(codes.HOST_DOWN + (codes.CONNECTION_REFUSED ?? 0), pages, 'the tried ones keep their own failure');

        const rows = backend === 'sqlite'
          ? (() => { const d = new Database(db, { readonly: true }); try { return d.prepare('SELECT error_code, error_message FROM pages').all(); } finally { d.close(); } })()
          : await query(db, 'SELECT error_code, error_message FROM pages');
        const hostDownRows = (rows as { error_code: string; error_message: string }[]).filter((x) => x.error_code === 'HOST_DOWN');
        assert.equal(hostDownRows.length, codes.HOST_DOWN);
        assert.ok(hostDownRows.every((x) => x.error_message.includes(`host ${host} is down`)), 'the stored message names the host and the cause');
        if (backend === 'postgres') {
          const open = await query(db, 'SELECT count(*)::int AS n FROM frontier WHERE state < 2');
          assert.equal((open[0] as { n: number }).n, 0, 'every entry completed by its claim owner');
          const runs = await query(db, 'SELECT errors::int AS errors, pages::int AS pages FROM runs ORDER BY id DESC LIMIT 1');
          assert.deepEqual(runs[0], { errors: pages, pages });
        }
      } finally { await proxy.close(); }
    });
}

async function query(url: string, text: string): Promise<Record<string, unknown>[]> {
  const c = new pg.Client(url);
  await c.connect();
  try { return (await c.query(text)).rows; } finally { await c.end(); }
}

test('a host that is down does not hold up the others; robots.txt unreachable gives a host up at once', async () => {
  const other = await startSite({ pages: 20, fanOut: 4, pageBytes: 1500, extras: false, seed: 2 });
  const proxy = await startOutageProxy(site.url);
  try {
    const db = path.join(dir, 'two.db');
    const seeds = [proxy.url + '/', other.url + '/'];
    await proxy.down(); // never reached: its robots.txt gets no answer
    const downs: string[] = [];
    const s = await crawl({ seeds, db, delay: '20ms', progress: false, maxTime: '90s' }, { onHostDown: (d) => downs.push(d.host) });
    assert.equal(s.exitCode, 0, 'the other host answered');
    assert.equal(s.stopReason, 'finished');
    assert.deepEqual(downs, [new URL(proxy.url).host]);
    assert.equal(s.counters.new, other.reachablePaths().length, 'the other host was crawled whole');
    assert.deepEqual(s.hostsDown.map((d) => [d.code, d.urls]), [[ErrorCodes.CONNECTION_REFUSED, 1]]);
    assert.match(s.hostsDown[0].message, /robots\.txt could not be fetched/);
    assert.equal(s.errorsByCode.HOST_DOWN, 1);
  } finally { await proxy.close(); await other.close(); }
});

test('a host that answers again before its probe (a restart) loses nothing', async () => {
  const proxy = await startOutageProxy(site.url);
  try {
    const db = path.join(dir, 'restart.db');
    const first = await crawl({ seeds: [proxy.url + '/'], db, delay: '0ms', progress: false });
    const pages = site.reachablePaths().length;
    assert.equal(first.counters.new, pages);
    await proxy.down();
    let refused = 0;
    const s = await crawl({ seeds: [proxy.url + '/'], db, delay: '0ms', perHost: 2, retries: 0, progress: false, recrawlAfter: '0', maxTime: '90s' }, {
      // The host is suspect once HOST_DOWN_AFTER requests in a row were refused: it comes back then,
      // well before its probe.
      onError: (e) => { if (e.code === ErrorCodes.CONNECTION_REFUSED && ++refused === HOST_DOWN_AFTER) void proxy.up(); },
    });
    assert.deepEqual(s.hostsDown, [], 'not given up');
    assert.equal(s.errorsByCode.HOST_DOWN, undefined);
    const failed = s.errorsByCode.CONNECTION_REFUSED ?? 0;
    assert.ok(failed >= HOST_DOWN_AFTER && failed <= HOST_DOWN_AFTER + 1, `only the requests made while it was down failed (${failed})`);
    assert.equal(s.counters.unchanged + failed, pages, 'every other page was fetched');
    assert.equal(s.exitCode, 0);
  } finally { await proxy.close(); }
});
