/**
 * Host leases and shared runs on PostgreSQL, at the port level (several backends = several worker
 * processes on one database): one owner per host, busyUntil, the delay kept across a handover,
 * takeover of an expired lease, a run never started twice, and a run that outlives a leaving worker.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Frontier } from '../src/frontier/frontier.js';
import type { FrontierEntry, QueuePort } from '../src/frontier/types.js';
import { PostgresBackend } from '../src/store/postgres/backend.js';
import { okOutcome } from './backend/contract.js';
import { pgCluster } from './helpers/pg.js';

const cluster = await pgCluster();
const skip = cluster ? false : 'PostgreSQL not found (see the message above)';
const item = (p: string, host = 'a.test') => ({ url: `http://${host}/${p}`, host, depth: 0, source: 'link' as const });
const lease = (owner: string, ms = 60_000) => ({ owner, until: Date.now() + ms });
/** Times cross the server's clock and back (ms apart on one machine): a few ms either way. */
const SLACK = 50;

/** Two queued pages on each of `hosts` (`a` → a.test). */
const twoPagesOn = (hosts: string[]) => hosts.flatMap((h) => [item('1', `${h}.test`), item('2', `${h}.test`)]);

/** A frontier of `owner` on a backend, one fetch per host, no delay. */
const frontierOf = (port: QueuePort, owner: string, onChange: () => void = () => {}) =>
  new Frontier(port, { limits: { perHost: 1, delayMs: 0, maxCrawlDelayMs: 30_000, maxPagesPerHost: 0 }, claimSize: 8, owner }, onChange);

async function two(optionsJson = '{}') {
  const url = cluster!.newDatabase();
  const w1 = await PostgresBackend.open(url);
  const w2 = await PostgresBackend.open(url);
  const { run } = await w1.openRun({ optionsJson, owner: 'w1' });
  await w2.openRun({ optionsJson: '{}', owner: 'w2' });
  return { w1, w2, run, url, close: async () => { await w1.close(); await w2.close(); } };
}

test('a host is one owner\'s at a time; the next owner waits --delay from the moment the last one let go', { skip }, async () => {
  const { w1, w2, run, close } = await two(JSON.stringify({ delayMs: 200 }));
  try {
    await w1.enqueue([item('1'), item('2'), item('3')]);
    const c1 = await w1.claim('a.test', 1, lease('w1'));
    assert.equal(c1.entries.length, 1);
    const busy = await w2.claim('a.test', 5, lease('w2'));
    assert.deepEqual(busy.entries, []);
    assert.equal(busy.remaining, 2);
    assert.ok(busy.busyUntil! > Date.now());
    await w1.write({ runId: run.id, owner: 'w1', outcomes: [okOutcome(c1.entries[0])], skipped: [], requests: 1 });
    assert.deepEqual((await w2.claim('a.test', 5, lease('w2'))).entries, [], 'a host with work stays with its owner between claims');
    const before = Date.now();
    await w1.release('w1', [], true); // w1 stops
    const after = Date.now();
    // w1 let go, and w2 may have it 200 ms after that.
    const paced = await w2.claim('a.test', 5, lease('w2'));
    assert.deepEqual(paced.entries, []);
    assert.ok(paced.busyUntil! >= before + 200 - SLACK && paced.busyUntil! <= after + 200 + SLACK, 'busyUntil is the release plus the delay');
    await new Promise((r) => setTimeout(r, paced.busyUntil! - Date.now() + 5));
    const taken = await w2.claim('a.test', 5, lease('w2'));
    assert.equal(taken.entries.length, 2);
    assert.equal((await w1.claim('a.test', 5, lease('w1'))).busyUntil !== undefined, true, 'now w1 is the one told to wait');
  } finally {
    await close();
  }
});

test('an expired host lease is taken over with its claims; the old owner\'s late results are refused', { skip }, async () => {
  const { w1, w2, run, close } = await two();
  try {
    await w1.enqueue([item('1'), item('2')]);
    const c1 = await w1.claim('a.test', 2, lease('w1', 30));
    assert.equal(c1.entries.length, 2);
    await new Promise((r) => setTimeout(r, 50));
    const c2 = await w2.claim('a.test', 5, lease('w2'));
    assert.deepEqual(c2.entries.map((e) => e.url).sort(), c1.entries.map((e) => e.url).sort(), 'w2 takes the host and what w1 had claimed');
    const late = await w1.write({ runId: run.id, owner: 'w1', outcomes: c1.entries.map((e) => okOutcome(e)), skipped: [], requests: 2 });
    assert.deepEqual(late.rejected.sort(), c1.entries.map((e) => e.urlId).sort());
    const ok = await w2.write({ runId: run.id, owner: 'w2', outcomes: c2.entries.map((e) => okOutcome(e)), skipped: [], requests: 2 });
    assert.deepEqual(ok.rejected, []);
    const r = (await w1.getRun(run.id))!;
    assert.equal(r.counters.pages, 2, 'each page counted once');
    assert.equal(r.counters.requests, 4, 'requests of both workers summed');
  } finally {
    await close();
  }
});

test('processes opening at once start one run; the others join it', { skip }, async () => {
  const url = cluster!.newDatabase();
  const bs = await Promise.all([1, 2, 3, 4, 5].map(() => PostgresBackend.open(url)));
  try {
    const opened = await Promise.all(bs.map((b, i) => b.openRun({ optionsJson: '{}', owner: `w${i}` })));
    assert.equal(opened.filter((o) => o.mode === 'started').length, 1);
    assert.equal(new Set(opened.map((o) => o.run.id)).size, 1, 'one run');
  } finally {
    await Promise.all(bs.map((b) => b.close()));
  }
});

test('a worker leaving does not end the run while another holds leases; the last one ends it', { skip }, async () => {
  const { w1, w2, run, close } = await two();
  try {
    await w1.enqueue([item('1'), item('2', 'b.test')]);
    const c = await w1.claim('a.test', 1, lease('w1'));
    assert.deepEqual(await w2.pending(Date.now()), { queued: 1, leased: 1 }, 'what the whole run still has');
    assert.deepEqual(await w2.pending(Date.now() + 120_000), { queued: 1, leased: 0 }, 'a lease that ran out is not live');
    const other = await w2.claim('b.test', 1, lease('w2'));
    await w2.write({ runId: run.id, owner: 'w2', outcomes: [okOutcome(other.entries[0])], skipped: [], requests: 1 });
    assert.equal(await w2.finishRun(run.id, 'done', 'finished'), false, 'w1 still holds a.test');
    assert.equal((await w2.getRun(run.id))!.status, 'running');
    const joined = await w2.openRun({ optionsJson: '{}', owner: 'w3' });
    assert.equal(joined.mode, 'joined');
    assert.equal(joined.run.id, run.id);
    await w1.write({ runId: run.id, owner: 'w1', outcomes: [okOutcome(c.entries[0])], skipped: [], requests: 1 });
    assert.equal(await w1.finishRun(run.id, 'done', 'finished'), true);
    assert.equal((await w1.getRun(run.id))!.status, 'done');
  } finally {
    await close();
  }
});

test('--max-pages and --max-pages-per-host are budgets of the whole run, over every worker', { skip }, async () => {
  const { w1, w2, run, close } = await two(JSON.stringify({ maxPages: 3 }));
  try {
    await w1.enqueue([item('1'), item('2'), item('3'), item('1', 'b.test'), item('2', 'b.test')]);
    const a = await w1.claim('a.test', 10, lease('w1'));
    assert.equal(a.entries.length, 3);
    const none = await w2.claim('b.test', 10, lease('w2'));
    assert.deepEqual([none.entries.length, none.remaining], [0, 0], 'the budget is spent by w1\'s claims');
    await w1.write({ runId: run.id, owner: 'w1', outcomes: [okOutcome(a.entries[0])], skipped: [], requests: 1 });
    await w1.release('w1', a.entries.slice(1).map((e) => e.urlId));
    const b = await w2.claim('b.test', 10, lease('w2'));
    assert.equal(b.entries.length, 2, 'claims given back return to the budget');
  } finally {
    await close();
  }
  const perHost = await two(JSON.stringify({ maxPagesPerHost: 2 }));
  try {
    await perHost.w1.enqueue([item('1'), item('2'), item('3')]);
    assert.equal((await perHost.w1.claim('a.test', 10, lease('w1'))).entries.length, 2);
    assert.equal((await perHost.w1.claim('a.test', 10, lease('w1'))).entries.length, 0);
  } finally {
    await perHost.close();
  }
});

test('--max-pages is a counter: claims racing on many hosts spend it exactly; expiry, takeover and skipped entries give it back', { skip }, async () => {
  const url = cluster!.newDatabase();
  const ws = await Promise.all([1, 2, 3, 4].map(() => PostgresBackend.open(url)));
  const hosts = Array.from({ length: 24 }, (_, i) => `h${i}.test`);
  try {
    const { run } = await ws[0].openRun({ optionsJson: JSON.stringify({ maxPages: 50, maxPagesPerHost: 4 }), owner: 'w0' });
    for (let i = 1; i < ws.length; i++) await ws[i].openRun({ optionsJson: '{}', owner: `w${i}` });
    await ws[0].enqueue(hosts.flatMap((h) => [1, 2, 3, 4, 5].map((n) => item(String(n), h))));
    // Every worker claims every host at once (each host goes to one of them): 24 hosts × 4 > 50.
    const claims = await Promise.all(ws.flatMap((w, i) => hosts.map((h) => w.claim(h, 3, lease(`w${i}`, 400)))));
    const taken = claims.flatMap((c) => c.entries);
    assert.equal(taken.length, 50, 'the budget is spent exactly, never more');
    assert.equal(new Set(taken.map((e) => e.urlId)).size, 50);
    assert.equal((await ws[1].claim('h0.test', 3, lease('w1'))).entries.length, 0, 'nothing left to claim');
    // The leases run out: the claims go back to the queue and to both budgets.
    await new Promise((r) => setTimeout(r, 450));
    await ws[1].requeueExpired(Date.now());
    const again = await Promise.all(hosts.map((h) => ws[1].claim(h, 10, lease('w1'))));
    const n = again.map((c) => c.entries.length);
    assert.equal(n.reduce((a, b) => a + b, 0), 50, 'expired claims gave the run budget back');
    assert.ok(n.every((k) => k <= 4), `per host at most 4 (${n.join(' ')})`);
    assert.ok(n.filter((k) => k === 4).length >= 8, `expired claims gave the hosts' budgets back (${n.join(' ')})`);
    // Two entries skipped (fresh) and one written: the skipped two may be claimed again elsewhere.
    const mine = again.flatMap((c) => c.entries);
    await ws[1].write({ runId: run.id, owner: 'w1', outcomes: [okOutcome(mine[0])], skipped: mine.slice(1, 3), requests: 1 });
    const more = (await Promise.all(hosts.map((h) => ws[2].claim(h, 10, lease('w2'))))).flatMap((c) => c.entries);
    assert.equal(more.length, 2, 'the skipped entries gave their budget back (claimed on hosts w1 does not hold)');
    await ws[1].release('w1', mine.slice(3).map((e) => e.urlId), true);
    const rest = (await Promise.all(hosts.map((h) => ws[2].claim(h, 10, lease('w2'))))).flatMap((c) => c.entries);
    assert.equal(rest.length, 47, 'released entries gave their budget back; the written page did not');
  } finally {
    await Promise.all(ws.map((w) => w.close()));
  }
});

test('pacing goes with the host: the next owner gets the Crawl-delay, back-off and next start its last owner recorded', { skip }, async () => {
  const { w1, w2, run, close } = await two();
  try {
    await w1.enqueue([item('1'), item('2')]);
    const c1 = await w1.claim('a.test', 1, lease('w1'));
    assert.equal(c1.pacing, undefined, 'nothing recorded yet');
    const nextAt = Date.now() + 500;
    await w1.savePacing('w1', [{ host: 'a.test', nextAt, crawlDelayMs: 300, backoffMs: 400, robotsRetryAt: null, robotsFailures: 0 }]);
    await w1.write({ runId: run.id, owner: 'w1', outcomes: [okOutcome(c1.entries[0])], skipped: [], requests: 1 });
    await w1.release('w1', [], true); // w1 stops: the host (with work left) goes to the next owner
    const paced = await w2.claim('a.test', 5, lease('w2'));
    assert.deepEqual(paced.entries, []);
    assert.ok(paced.busyUntil! - Date.now() >= 300 - SLACK, 'the recorded back-off holds the handover');
    await new Promise((r) => setTimeout(r, paced.busyUntil! - Date.now() + 5));
    const taken = await w2.claim('a.test', 5, lease('w2'));
    assert.equal(taken.entries.length, 1);
    // Times cross the server's clock both ways (a few ms of conversion).
    assert.ok(Math.abs(taken.pacing!.nextAt - nextAt) <= 50, `next start ${taken.pacing!.nextAt} kept (recorded ${nextAt})`);
    assert.deepEqual({ ...taken.pacing, nextAt }, { nextAt, crawlDelayMs: 300, backoffMs: 400, robotsRetryAt: null, robotsFailures: 0 });
  } finally {
    await close();
  }
});

test('a stopping worker records its hosts\' pacing before it gives them back, even when that call is the slower one', { skip }, async () => {
  const { w1, w2, close } = await two();
  try {
    await w1.enqueue([item('1'), item('2')]);
    // w1's queue port, with savePacing answering 300 ms late (a slow round trip): the order must not depend on it.
    const port: QueuePort = {
      enqueue: (i) => w1.enqueue(i), enqueueDue: (o, a, n) => w1.enqueueDue(o, a, n), queuedByHost: () => w1.queuedByHost(),
      claim: (h, l, le) => w1.claim(h, l, le), renew: (le) => w1.renew(le), release: (o, ids) => w1.release(o, ids),
      requeueExpired: (n) => w1.requeueExpired(n), pending: (n) => w1.pending(n),
      savePacing: async (o, items) => { await new Promise((r) => setTimeout(r, 300)); await w1.savePacing(o, items); },
    };
    let changed = () => {};
    const frontier = frontierOf(port, 'w1', () => changed());
    await frontier.load();
    const settled = new Promise<void>((r) => { changed = r; });
    assert.equal(frontier.next(Date.now()).kind, 'wait', 'the claim is under way');
    await settled;
    const h = frontier.host('a.test');
    assert.equal(h.buffer.length, 2, 'w1 holds both entries');
    const throttledAt = Date.now();
    frontier.backOff(h, throttledAt, 5_000); // a 429 Retry-After: 5, then a stop before any tick
    await frontier.releaseHeld();
    const next = await w2.claim('a.test', 5, lease('w2'));
    assert.deepEqual(next.entries, [], 'the next owner does not get the host before the Retry-After time');
    assert.ok(next.busyUntil! >= throttledAt + 5_000 - SLACK, 'it is told to come back after it');
  } finally {
    await close();
  }
});

test('robots.txt retries go to the next owner of the same run, not to the next run', { skip }, async () => {
  const { w1, w2, run, close } = await two();
  try {
    await w1.enqueue([item('1'), item('2')]);
    const c1 = await w1.claim('a.test', 1, lease('w1'));
    const retryAt = Date.now() + 300;
    await w1.savePacing('w1', [{ host: 'a.test', nextAt: retryAt, crawlDelayMs: null, backoffMs: 0, robotsRetryAt: retryAt, robotsFailures: 2 }]);
    await w1.write({ runId: run.id, owner: 'w1', outcomes: [okOutcome(c1.entries[0])], skipped: [], requests: 1 });
    await w1.release('w1', [], true); // w1 stops: the host (with work left) goes to the next owner
    const wait = await w2.claim('a.test', 5, lease('w2'));
    assert.ok(wait.busyUntil! >= retryAt - SLACK, 'no claim before the robots.txt retry time');
    await new Promise((r) => setTimeout(r, wait.busyUntil! - Date.now() + 5));
    const taken = await w2.claim('a.test', 5, lease('w2'));
    assert.deepEqual([taken.entries.length, taken.pacing?.robotsFailures], [1, 2]);
    assert.ok(Math.abs(taken.pacing!.robotsRetryAt! - retryAt) <= 50, 'the retry time goes with the host (through the server\'s clock)');
    await w2.savePacing('w2', [{ host: 'a.test', nextAt: 0, crawlDelayMs: null, backoffMs: 0, robotsRetryAt: retryAt, robotsFailures: 3 }]);
    await w2.write({ runId: run.id, owner: 'w2', outcomes: taken.entries.map((e) => okOutcome(e)), skipped: [], requests: 1 });
    assert.equal(await w2.finishRun(run.id, 'done', 'finished'), true);
    const next = await w1.openRun({ optionsJson: '{}', owner: 'w1' });
    assert.equal(next.mode, 'started');
    await w1.enqueue([item('3')]);
    const again = await w1.claim('a.test', 5, lease('w1'));
    assert.equal(again.entries.length, 1);
    assert.deepEqual([again.pacing?.robotsRetryAt, again.pacing?.robotsFailures], [null, 0], 'a new run starts its robots.txt retries over');
  } finally {
    await close();
  }
});

test('balancing: an owner holding two more hosts than another worker gives it one: it claims there no more, lets go once its claim is written, and the other is told', { skip }, async () => {
  const { w1, w2, run, close } = await two();
  try {
    await w1.enqueue(twoPagesOn(['a', 'b', 'c', 'd']));
    const first = new Map<string, FrontierEntry>();
    for (const h of ['a', 'b', 'c']) {
      const c = await w1.claim(`${h}.test`, 1, lease('w1'));
      assert.equal(c.entries.length, 1);
      first.set(h, c.entries[0]);
    }
    // w2 holds nothing, and does not ask for w1's hosts: it is told when it should come back (the lease).
    let t = Date.now();
    const refused = await w2.claim('a.test', 5, lease('w2'));
    assert.deepEqual(refused.entries, []);
    assert.ok(refused.busyUntil! >= t + 30_000, 'asked again when the lease would end');
    assert.equal((await w1.pool.query("SELECT count(*)::int AS n FROM hosts WHERE wanted_by = 'w2'")).rows[0].n, 0, 'no want recorded');
    // w1 writes: it holds 3 hosts, the fair share of two workers over four hosts with work is 2, w2 holds
    // none: w1 names w2 as the next owner of one of its hosts with queued work (a.test, the first).
    await w1.write({ runId: run.id, owner: 'w1', outcomes: [okOutcome(first.get('b')!)], skipped: [], requests: 1 });
    assert.deepEqual((await w1.pool.query("SELECT host FROM hosts WHERE wanted_by = 'w2'")).rows, [{ host: 'a.test' }]);
    const yielded = await w1.claim('a.test', 5, lease('w1'));
    assert.deepEqual(yielded.entries, [], 'no more claims on a host being given away');
    assert.equal(yielded.yielded, true);
    assert.deepEqual((await w2.renew(lease('w2'))).filter((h) => h.offered), [], 'not let go yet: w1 holds a claim there');
    // The write of a.test's claimed page lets the host go (work is still queued there); w2 learns it from
    // its next write or heartbeat, and takes it. Its write also takes free hosts up to its share: d.test.
    await w1.write({ runId: run.id, owner: 'w1', outcomes: [okOutcome(first.get('a')!)], skipped: [], requests: 1 });
    assert.deepEqual((await w2.write({ runId: run.id, owner: 'w2', outcomes: [], skipped: [], requests: 0 })).offered!.sort(), ['a.test', 'd.test']);
    assert.deepEqual((await w2.renew(lease('w2'))).filter((h) => h.offered).map((h) => h.host).sort(), ['a.test', 'd.test']);
    assert.equal((await w1.pool.query("SELECT owner FROM hosts WHERE host = 'b.test'")).rows[0].owner, 'w1', 'a host with work and not given stays with its owner');
    assert.deepEqual((await w1.claim('a.test', 1, lease('w1'))).entries, [], 'a free host given to w2 is left to it');
    assert.equal((await w2.claim('a.test', 5, lease('w2'))).entries.length, 1, 'w2 takes the host it was given');
    // w1 now holds b and c, w2 holds a: a difference of one moves nothing back.
    t = Date.now();
    const again = await w1.claim('a.test', 5, lease('w1'));
    assert.deepEqual(again.entries, []);
    assert.ok(again.busyUntil! >= t + 30_000);
    assert.deepEqual((await w2.claim('a.test', 5, lease('w2'))).busyUntil, undefined, 'w2 keeps claiming it');
  } finally {
    await close();
  }
});

test('balancing: a free host a write queues work on is reserved for the writer below its share; the other writers leave it to it', { skip }, async () => {
  const { w1, w2, run, url, close } = await two();
  const w3 = await PostgresBackend.open(url);
  try {
    await w3.openRun({ optionsJson: '{}', owner: 'w3' });
    await w1.enqueue(twoPagesOn(['a', 'b', 'c', 'd', 'e', 'f']));
    for (const h of ['a', 'b', 'c', 'd']) assert.equal((await w1.claim(`${h}.test`, 1, lease('w1'))).entries.length, 1);
    const e = (await w2.claim('e.test', 1, lease('w2'))).entries[0];
    const f = (await w3.claim('f.test', 1, lease('w3'))).entries[0];
    // w2 (1 host, below the share) queues the first page of x.test, a host no one holds: it is w2's to take.
    const r2 = await w2.write({ runId: run.id, owner: 'w2', outcomes: [okOutcome(e, [item('1', 'x.test')])], skipped: [], requests: 1 });
    assert.deepEqual([[...r2.queuedByHost.keys()], r2.offered], [['x.test'], ['x.test']]);
    // w3 links there too a moment later: x.test is not handed to its frontier, and a claim is told to wait.
    const r3 = await w3.write({ runId: run.id, owner: 'w3', outcomes: [okOutcome(f, [item('2', 'x.test')])], skipped: [], requests: 1 });
    assert.deepEqual([[...r3.queuedByHost.keys()], r3.offered], [[], []], 'reserved for w2: w3 does not ask');
    const t = Date.now();
    const left = await w3.claim('x.test', 5, lease('w3'));
    assert.deepEqual(left.entries, []);
    assert.ok(left.busyUntil! >= t + 5_000, 'w3 waits for the reservation to run out, not 2 s');
    assert.equal((await w2.claim('x.test', 5, lease('w2'))).entries.length, 2, 'w2 takes it');
  } finally {
    await w3.close();
    await close();
  }
});


test('balancing: free hosts are handed out, not raced for: each worker loads its own share of them, reserved', { skip }, async () => {
  const { w1, w2, url, close } = await two();
  const w3 = await PostgresBackend.open(url);
  try {
    await w3.openRun({ optionsJson: '{}', owner: 'w3' });
    const hosts = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].map((h) => `${h}.test`);
    await w1.enqueue(hosts.flatMap((h) => [item('1', h), item('2', h)]));
    // Three live workers, nine free hosts: a share of three each. Each load names three hosts no other
    // load named (before, each named all nine, and the workers raced for each).
    const loads = [];
    for (const [w, owner] of [[w1, 'w1'], [w2, 'w2'], [w3, 'w3']] as const) loads.push([...(await w.queuedByHost(owner)).keys()]);
    assert.deepEqual(loads.map((l) => l.length), [3, 3, 3]);
    assert.deepEqual(loads.flat().sort(), hosts, 'every free host to one worker');
    // Loading again names the same hosts (the reservation stands), and a reserved host is left to its worker.
    assert.deepEqual([...(await w2.queuedByHost('w2')).keys()], loads[1]);
    const t = Date.now();
    const refused = await w1.claim(loads[1][0], 5, lease('w1'));
    assert.deepEqual(refused.entries, []);
    assert.ok(refused.busyUntil! >= t + 5_000, 'w1 waits for the reservation to run out');
    assert.equal((await w2.claim(loads[1][0], 1, lease('w2'))).entries.length, 1, 'w2 takes it');
    // Holding a host of its three (work still queued there), w2 loads the same three again, not a fourth.
    assert.deepEqual([...(await w2.queuedByHost('w2')).keys()].sort(), [...loads[1]].sort());
  } finally {
    await w3.close();
    await close();
  }
});


test('a host reserved for a worker that died keeps the run open: the others wait for the reservation, then take the host', { skip }, async () => {
  const { w1, w2, close } = await two();
  try {
    await w1.enqueue([item('1', 'x.test'), item('2', 'x.test')]);
    // w2 (one of two live workers, below its share) reserves x.test, then dies before claiming it.
    assert.deepEqual([...(await w2.queuedByHost('w2')).keys()], ['x.test']);
    const frontier = frontierOf(w1, 'w1');
    // w1, idle: nothing it may claim, no lease held, one host queued, reserved for w2. It waits (before,
    // it ended the run with x.test's pages queued).
    assert.equal(await frontier.othersBusy(Date.now()), true, 'the reservation counts as work another worker holds');
    assert.equal(frontier.empty(), true);
    // Once the reservation has run out (the want window, 10 s; moved back here), x.test is w1's to take.
    await w1.pool.query("UPDATE hosts SET wanted_at = wanted_at - 11000 WHERE host = 'x.test'");
    assert.deepEqual([...(await w1.queuedByHost('w1')).keys()], ['x.test']);
  } finally {
    await close();
  }
});

test('an idle worker learns of a host given to it by its next load, and claims it', { skip }, async () => {
  const { w1, w2, run, close } = await two();
  try {
    await w1.enqueue(twoPagesOn(['a', 'b', 'c', 'd']));
    const first = new Map<string, FrontierEntry>();
    for (const h of ['a', 'b', 'c', 'd']) first.set(h, (await w1.claim(`${h}.test`, 1, lease('w1'))).entries[0]);
    let changed = () => {};
    const frontier = frontierOf(w2, 'w2', () => changed());
    const settle = () => new Promise<void>((r) => { changed = r; });
    // w2 has nothing to claim: every host is w1's.
    assert.equal(await frontier.othersBusy(Date.now()), true);
    assert.equal(frontier.empty(), true);
    // w1 (4 hosts, a share of 2) writes a.test's page: it names w2 for a.test and b.test, and lets a.test
    // go at once (nothing of it claimed any more); b.test goes when its page is written.
    await w1.write({ runId: run.id, owner: 'w1', outcomes: [okOutcome(first.get('a')!)], skipped: [], requests: 1 });
    assert.deepEqual((await w1.pool.query("SELECT host, owner FROM hosts WHERE wanted_by = 'w2' ORDER BY host")).rows,
      [{ host: 'a.test', owner: null }, { host: 'b.test', owner: 'w1' }]);
    // w2's next load (an idle worker's, every 2 s) names a.test, and w2 claims it.
    await new Promise((r) => setTimeout(r, 2_100));
    assert.equal(await frontier.othersBusy(Date.now()), true);
    const settled = settle();
    assert.equal(frontier.next(Date.now()).kind, 'wait');
    await settled;
    const next = frontier.next(Date.now());
    assert.equal(next.kind, 'entry');
    assert.equal(next.kind === 'entry' && next.entry.url, 'http://a.test/2');
  } finally {
    await close();
  }
});

test('balancing: a worker joining is seen by the next write of the owners, which give it hosts at once', { skip }, async () => {
  const url = cluster!.newDatabase();
  const w1 = await PostgresBackend.open(url);
  const w2 = await PostgresBackend.open(url);
  try {
    const { run } = await w1.openRun({ optionsJson: '{}', owner: 'w1' });
    await w1.enqueue(twoPagesOn(['a', 'b', 'c', 'd']));
    const first = new Map<string, FrontierEntry>();
    for (const h of ['a', 'b', 'c', 'd']) first.set(h, (await w1.claim(`${h}.test`, 1, lease('w1'))).entries[0]);
    // Alone in the run, w1 gives nothing (no share to give above).
    await w1.write({ runId: run.id, owner: 'w1', outcomes: [okOutcome(first.get('a')!)], skipped: [], requests: 1 });
    assert.equal((await w1.pool.query('SELECT count(*)::int AS n FROM hosts WHERE wanted_by IS NOT NULL')).rows[0].n, 0);
    // w2 joins; w1's very next write (its share and gifts were counted a moment ago, and are recounted
    // every 5 s otherwise) names w2 the next owner of two of its four hosts: the share of two workers.
    await w2.openRun({ optionsJson: '{}', owner: 'w2' });
    await w1.write({ runId: run.id, owner: 'w1', outcomes: [okOutcome(first.get('b')!)], skipped: [], requests: 1 });
    assert.deepEqual((await w1.pool.query("SELECT host FROM hosts WHERE wanted_by = 'w2' ORDER BY host")).rows, [{ host: 'a.test' }, { host: 'b.test' }]);
  } finally {
    await w1.close();
    await w2.close();
  }
});
