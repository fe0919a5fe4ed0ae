/**
 * Host leases and shared runs on PostgreSQL, at the port level (several backends = several worker
 * processes on one database): one owner per host, busyUntil, the delay kept across a handover,
 * takeover of an expired lease, a run never started twice, and a run that outlives a leaving worker.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Frontier } from '../src/frontier/frontier.js';
import type { QueuePort } from '../src/frontier/types.js';
import { PostgresBackend } from '../src/store/postgres/backend.js';
import { BUSY_RETRY_MS } from '../src/store/postgres/queue.js';
import { okOutcome } from './backend/contract.js';
import { pgCluster } from './helpers/pg.js';

const cluster = await pgCluster();
const skip = cluster ? false : 'PostgreSQL not found (see the message above)';
const item = (p: string, host = 'a.test') => ({ url: `http://${host}/${p}`, host, depth: 0, source: 'link' as const });
const lease = (owner: string, ms = 60_000) => ({ owner, until: Date.now() + ms });
/** Times cross the server's clock and back (ms apart on one machine): a few ms either way. */
const SLACK = 50;

async function two(optionsJson = '{}') {
  const url = cluster!.newDatabase();
  const w1 = await PostgresBackend.open(url);
  const w2 = await PostgresBackend.open(url);
  const { run } = await w1.openRun({ optionsJson, owner: 'w1' });
  await w2.openRun({ optionsJson: '{}', owner: 'w2' });
  return { w1, w2, run, close: async () => { await w1.close(); await w2.close(); } };
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
    const frontier = new Frontier(port, { limits: { perHost: 1, delayMs: 0, maxCrawlDelayMs: 30_000, maxPagesPerHost: 0 }, claimSize: 8, owner: 'w1' },
      () => changed());
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

test('balancing: a worker refused a host records its want; the owner gives it up when it holds two more; a worker with hosts asks less often', { skip }, async () => {
  const { w1, w2, close } = await two();
  try {
    await w1.enqueue(['a', 'b', 'c', 'd'].flatMap((h) => [item('1', `${h}.test`), item('2', `${h}.test`)]));
    for (const h of ['a', 'b', 'c']) assert.equal((await w1.claim(`${h}.test`, 1, lease('w1'))).entries.length, 1);
    // w2 holds nothing: it asks again in 2 s, and its want is on the row.
    let t = Date.now();
    const refused = await w2.claim('a.test', 5, lease('w2'));
    assert.deepEqual(refused.entries, []);
    assert.ok(refused.busyUntil! >= t + BUSY_RETRY_MS - SLACK && refused.busyUntil! <= Date.now() + BUSY_RETRY_MS + SLACK);
    // w1 holds 3 >= 0 + 2: on its next claim of a.test it gives the host up instead.
    const yielded = await w1.claim('a.test', 5, lease('w1'));
    assert.deepEqual(yielded.entries, [], 'no more claims on a host being given up');
    // w1 still holds a.test's first claim, so the host is let go when that is written; release does it here.
    await w1.release('w1', (await pgHolds(w1, 'w1', 'a.test')));
    const taken = await w2.claim('a.test', 5, lease('w2'));
    assert.equal(taken.entries.length, 2, 'the worker that asked takes the host');
    // w1 (holding 2, b and c) asks for a.test back: w2 holds 1, so 2 >= 1 + 2 is false and w2 keeps it.
    t = Date.now();
    const again = await w1.claim('a.test', 5, lease('w1'));
    assert.deepEqual(again.entries, []);
    assert.ok(again.busyUntil! >= t + BUSY_RETRY_MS * 3 - SLACK, 'a worker holding 2 hosts asks again in 6 s, not 2');
    assert.deepEqual((await w2.claim('a.test', 5, lease('w2'))).busyUntil, undefined, 'w2 keeps claiming it');
  } finally {
    await close();
  }
});

/** The url ids `owner` holds claims on in `host`. */
async function pgHolds(b: PostgresBackend, owner: string, host: string): Promise<number[]> {
  const r = await b.pool.query('SELECT url_id FROM frontier WHERE owner = $1 AND host = $2 AND state = 1', [owner, host]);
  return r.rows.map((x) => Number(x.url_id));
}
