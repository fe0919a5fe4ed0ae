/** The scheduler and the frontier stage over the in-memory backend: pacing decisions, no servers. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Frontier, MAX_CLAIMS } from '../src/frontier/frontier.js';
import { HOST_FAILURE_STREAK, Scheduler } from '../src/frontier/scheduler.js';
import type { FrontierEntry } from '../src/frontier/types.js';
import { MemoryBackend } from '../src/store/memory/backend.js';

const limits = { perHost: 2, delayMs: 0, maxCrawlDelayMs: 30_000, maxPagesPerHost: 0 };
const entry = (n: number, host = 'a.test'): FrontierEntry =>
  ({ urlId: n, url: `http://${host}/${n}`, host, depth: 0, source: 'link', redirectFrom: null, hops: 0, prior: null });

function withBuffer(s: Scheduler, entries: FrontierEntry[]) {
  const h = s.host(entries[0].host);
  s.addQueued(new Map([[h.host, entries.length]]));
  assert.equal(s.next(0).kind, 'claim');
  s.claimed(h, entries, 0);
  h.robotsReady = true;
  return h;
}

test('a transient failure delays that URL alone: the host keeps serving its other URLs', () => {
  const s = new Scheduler(limits);
  const h = withBuffer(s, [entry(1), entry(2), entry(3)]);
  const t = 1_000;
  const first = s.next(t);
  assert.equal(first.kind === 'entry' && first.entry.urlId, 1);
  s.start(h, t);
  s.retryLater(h, entry(1), t + 5_000, t);
  s.finish(h, 'requeued');
  const second = s.next(t + 1);
  assert.equal(second.kind === 'entry' && second.entry.urlId, 2, 'the host is not held until the retry time');
  s.start(h, t + 1);
  s.finish(h, 'fetched');
  const third = s.next(t + 2);
  assert.equal(third.kind === 'entry' && third.entry.urlId, 3);
  s.start(h, t + 2);
  s.finish(h, 'fetched');
  assert.deepEqual(s.next(t + 3), { kind: 'wait', untilMs: t + 5_000 }, 'only the retry is left, at its own time');
  const retry = s.next(t + 5_000);
  assert.equal(retry.kind === 'entry' && retry.entry.urlId, 1);
});

test(`${HOST_FAILURE_STREAK} failures in a row back the whole host off`, () => {
  const s = new Scheduler(limits);
  const h = withBuffer(s, Array.from({ length: HOST_FAILURE_STREAK + 1 }, (_, i) => entry(i + 1)));
  for (let i = 0; i < HOST_FAILURE_STREAK; i++) {
    const p = s.next(100);
    assert.equal(p.kind, 'entry');
    s.start(h, 100);
    s.retryLater(h, (p as { entry: FrontierEntry }).entry, 100 + 60_000, 100);
    s.finish(h, 'requeued');
  }
  assert.ok(h.backoffMs >= 1000 && h.nextAt >= 1100, `backed off: ${h.backoffMs} ms`);
  assert.equal(s.next(200).kind, 'wait');
});

test('Retry-After is the wait (capped); without it the back-off doubles', () => {
  const s = new Scheduler(limits);
  const h = s.host('a.test');
  s.backOff(h, 0, 5_000);
  s.backOff(h, 0, 5_000);
  s.backOff(h, 0, 5_000);
  assert.equal(h.backoffMs, 5_000, 'a repeated Retry-After: 5 stays 5 s');
  s.backOff(h, 0, 120_000);
  assert.equal(h.backoffMs, 30_000, 'capped by --max-crawl-delay');
  const g = s.host('b.test');
  for (const want of [1_000, 2_000, 4_000]) { s.backOff(g, 0); assert.equal(g.backoffMs, want); }
  s.finish(Object.assign(g, { inflight: 1 }), 'fetched');
  assert.equal(g.backoffMs, 2_000, 'a success halves it');
});

test('frontier stage: queue sizes come from the backend; claims are leased and renewed; a stop gives them back', async () => {
  const b = new MemoryBackend('t');
  await b.openRun({ optionsJson: '{}', owner: 'w1' });
  await b.enqueue(Array.from({ length: 10 }, (_, i) => ({ url: `http://a.test/${i}`, host: 'a.test', depth: 0, source: 'seed' as const })));
  let changes = 0;
  const f = new Frontier(b, { limits, claimSize: 4, owner: 'w1', leaseMs: 1_000, renewEveryMs: 100 }, () => { changes++; });
  await f.load();
  assert.equal(f.queued(), 10);
  assert.equal(f.next(Date.now()).kind, 'wait', 'the first answer starts a claim');
  assert.equal(f.claiming, true);
  while (f.claiming) await new Promise((r) => setTimeout(r, 1));
  assert.ok(changes > 0);
  const h = f.host('a.test');
  assert.equal(h.queued, 6, 'the claim answered how many stay queued');
  assert.equal(h.buffer.length, 4);
  const now = Date.now();
  f.tick(now + 200);
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual([...(await b.requeueExpired(now + 1_100))], [], 'the heartbeat renewed the lease');
  await f.releaseHeld();
  assert.deepEqual([...(await b.queuedByHost())], [['a.test', 10]]);
});

test('a host leased to another worker is not claimed before the lease ends', async () => {
  const s = new Scheduler(limits);
  const h = s.host('a.test');
  s.addQueued(new Map([['a.test', 3]]));
  assert.equal(s.next(0).kind, 'claim');
  s.claimed(h, [], 3);
  h.claimAfter = 5_000;
  assert.deepEqual(s.next(10), { kind: 'wait', untilMs: 5_000 });
  assert.equal(s.next(5_000).kind, 'claim');
});

test('pacing changes are recorded for the next owner, and a handover continues the last owner\'s pace', () => {
  const s = new Scheduler(limits);
  const h = s.host('a.test');
  s.robotsKnown(h, 2_000, 100);
  s.backOff(h, 100, 5_000);
  assert.deepEqual(s.takePacing(), [{ host: 'a.test', nextAt: 5_100, crawlDelayMs: 2_000, backoffMs: 5_000, robotsRetryAt: null, robotsFailures: 0 }]);
  assert.deepEqual(s.takePacing(), [], 'each change is handed over once');
  const g = s.host('b.test');
  s.applyPacing(g, { nextAt: 9_000, crawlDelayMs: 60_000, backoffMs: 1_000, robotsRetryAt: null, robotsFailures: 0 });
  assert.deepEqual([g.robotsReady, g.crawlDelayMs, g.backoffMs, g.nextAt], [true, 30_000, 1_000, 9_000], 'capped by --max-crawl-delay');
});

test(`at most ${MAX_CLAIMS} claims are under way at once; the others wait their turn, and a stop drops those not started`, async () => {
  const b = new MemoryBackend('t');
  await b.openRun({ optionsJson: '{}', owner: 'w1' });
  const hosts = Array.from({ length: 40 }, (_, i) => `h${i}.test`);
  await b.enqueue(hosts.flatMap((host) => [0, 1].map((n) => ({ url: `http://${host}/${n}`, host, depth: 0, source: 'seed' as const }))));
  // The real in-memory queue, with its claims held back a little so they overlap.
  let open = 0, most = 0;
  const claim = b.claim.bind(b);
  b.claim = async (host, limit, lease) => {
    most = Math.max(most, ++open);
    await new Promise((r) => setTimeout(r, 2));
    try { return await claim(host, limit, lease); } finally { open--; }
  };
  const f = new Frontier(b, { limits, claimSize: 4, owner: 'w1' }, () => {});
  await f.load();
  f.next(Date.now());
  assert.equal(f.claiming, true);
  while (f.claiming) await new Promise((r) => setTimeout(r, 1));
  assert.equal(most, MAX_CLAIMS, 'claims overlapped up to the cap, never beyond');
  for (const host of hosts) assert.equal(f.host(host).buffer.length, 2, `${host} was claimed`);
  // A stop with claims waiting: only those under way finish.
  await b.enqueue(hosts.map((host) => ({ url: `http://${host}/more`, host, depth: 0, source: 'seed' as const })));
  const g = new Frontier(b, { limits, claimSize: 4, owner: 'w2' }, () => {});
  await g.load();
  g.next(Date.now());
  g.dropQueuedClaims();
  while (g.claiming) await new Promise((r) => setTimeout(r, 1));
  const claimed = hosts.filter((host) => g.host(host).buffer.length > 0).length;
  assert.ok(claimed <= MAX_CLAIMS, `${claimed} hosts claimed after the stop`);
  assert.ok(hosts.every((host) => !g.host(host).claiming), 'no host is left waiting for a claim');
});
