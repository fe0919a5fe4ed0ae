/**
 * The pieces that carry a host's pacing to its next owner, without a database: which changes the
 * scheduler marks for recording at once, the robots.txt retry state it hands over and takes over,
 * and the robots gate counting the retries earlier owners spent (a real policy and server).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Scheduler } from '../src/frontier/scheduler.js';
import { RobotsGate, ROBOTS_RETRIES } from '../src/polite/robots-gate.js';
import { RobotsPolicy } from '../src/polite/robots.js';
import { UndiciFetcher } from '../src/fetch/fetcher.js';
import type { RobotsRecord } from '../src/store/types.js';
import { startRouteServer } from './helpers/route-server.js';

const limits = { perHost: 2, delayMs: 0, maxCrawlDelayMs: 30_000, maxPagesPerHost: 0 };

test('a wait that gets longer, or a host going idle, is marked for recording at once; a back-off decaying waits for the heartbeat', () => {
  const s = new Scheduler(limits);
  const h = s.host('a.test');
  s.robotsKnown(h, null, 0);
  assert.equal(s.pacingDue, false, 'robots.txt without Crawl-delay: nothing longer');
  s.backOff(h, 100, 5_000);
  assert.equal(s.pacingDue, true, 'a Retry-After');
  s.takePacing();
  assert.equal(s.pacingDue, false, 'recorded');
  s.start(h, 200);
  s.start(h, 200);
  s.finish(h, 'fetched');
  assert.equal(s.pacingDue, false, 'a back-off decaying, the host still busy');
  s.finish(h, 'fetched');
  assert.equal(s.pacingDue, true, 'the host went idle: the write of its last claims lets it go');
  assert.equal(s.takePacing()[0].backoffMs, 1_250, 'the latest state');
  const g = s.host('b.test');
  s.robotsKnown(g, 2_000, 0);
  assert.equal(s.pacingDue, true, 'a Crawl-delay');
});

test('a robots.txt retry is recorded with its time and count, and a new owner waits for it and counts on', () => {
  const s = new Scheduler(limits);
  const h = s.host('a.test');
  s.holdUntil(h, 60_000);
  assert.equal(s.pacingDue, true);
  assert.deepEqual(s.takePacing(), [{ host: 'a.test', nextAt: 60_000, crawlDelayMs: null, backoffMs: 0, robotsRetryAt: 60_000, robotsFailures: 1 }]);
  const next = new Scheduler(limits);
  const g = next.host('a.test');
  next.applyPacing(g, { nextAt: 0, crawlDelayMs: null, backoffMs: 0, robotsRetryAt: 60_000, robotsFailures: 2 });
  assert.equal(g.nextAt, 60_000, 'no request, robots.txt included, before the retry time');
  assert.equal(next.robotsSpent('a.test'), 2, 'the retries already spent');
  next.robotsKnown(g, null, 61_000);
  assert.equal(next.robotsSpent('a.test'), 0, 'robots.txt answered: the count starts over');
  assert.deepEqual(next.takePacing().map((p) => [p.robotsRetryAt, p.robotsFailures]), [[null, 0]]);
});

test('the robots gate counts the retries earlier owners spent: the last one left ends in ROBOTS_UNAVAILABLE', async () => {
  const site = await startRouteServer({ '/robots.txt': (_q, res) => { res.writeHead(503); res.end(); } });
  const fetcher = new UndiciFetcher({
    userAgent: 'crawl/0.1 (+https://example.com/bot)', perHost: 1, connectTimeoutMs: 2000, headersTimeoutMs: 5000,
    bodyTimeoutMs: 5000, totalTimeoutMs: 5000, maxBytes: 1 << 20, allowPrivateHost: () => true,
  });
  after(() => fetcher.close());
  const store = new Map<string, RobotsRecord>();
  const policy = () => new RobotsPolicy({
    fetcher, userAgent: 'crawl/0.1', maxCrawlDelayMs: 10_000, retryUnavailableMs: 0,
    store: { getRobots: async (o) => store.get(o), putRobots: async (r) => { store.set(r.origin, r); } },
  });
  const host = new URL(site.origin).host;
  const fresh = new RobotsGate(policy());
  assert.equal((await fresh.check(host, site.origin + '/a')).kind, 'retry', 'a first failure is retried');
  const spent = new RobotsGate(policy(), (h) => (h === host ? ROBOTS_RETRIES : 0));
  const d = await spent.check(host, site.origin + '/a');
  assert.equal(d.kind, 'settle', 'the retries were spent by an earlier owner');
  assert.equal(d.kind === 'settle' && d.code, 'ROBOTS_UNAVAILABLE');
});
