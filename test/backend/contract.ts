/**
 * The backend contract: one suite every backend must pass (memory and SQLite here; PostgreSQL
 * next). Run it against a new backend with `backendContract(name, open)`; see docs/backends.md.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Backend, EnqueueItem, FrontierEntry, OutcomeBatch, PageOutcome } from '../../src/store/types.js';
import { QUEUE_COUNT_CAP } from '../../src/frontier/types.js';

/** Opens a fresh, empty backend; `reopen` (optional) opens the same storage again after close. */
export interface ContractTarget {
  open(): Promise<Backend>;
  /**
   * Several worker processes share a run (PostgreSQL): resuming or finishing never takes claims
   * from an owner whose lease is live, since that owner may be another worker that is still running.
   */
  sharedRuns?: boolean;
}

const item = (path: string, host = 'a.test', depth = 0): EnqueueItem => ({ url: `http://${host}/${path}`, host, depth, source: 'link' });

/** A minimal 200 outcome of `e` (following `follow`). */
export function okOutcome(e: FrontierEntry, follow: EnqueueItem[] = []): PageOutcome {
  return {
    entry: e, change: 'new', fetchedAt: new Date().toISOString(), finalUrl: e.url, redirectTo: null, status: 200, contentType: 'text/html',
    encoding: 'utf-8', bytes: 100, notModified: false, durationMs: 5, ttfbMs: 2, attempts: 1, errorCode: null, errorMessage: null, etag: null,
    lastModified: null, noindex: false, nofollow: false, contentHash: 'h' + e.urlId,
    content: { title: 't', description: null, canonical: null, lang: null, h1: null, metaRobots: null, text: new TextEncoder().encode('text'), wordCount: 1, extract: null },
    links: follow.map((f) => ({ url: f.url, host: f.host, anchor: '', rel: null })), follow, recrawlIntervalS: null,
  };
}

const batch = (runId: number, owner: string, outcomes: PageOutcome[], extra: Partial<OutcomeBatch> = {}): OutcomeBatch =>
  ({ runId, owner, outcomes, skipped: [], requests: 0, ...extra });

export function backendContract(name: string, target: ContractTarget): void {
  const withBackend = (title: string, fn: (b: Backend) => Promise<void>) =>
    test(`${name} backend: ${title}`, async () => {
      const b = await target.open();
      try { await fn(b); } finally { await b.close(); }
    });

  withBackend('a run starts, then resumes while unfinished, and finishes once', async (b) => {
    assert.equal(await b.lastRun(), undefined);
    const first = await b.openRun({ optionsJson: '{"x":1}', owner: 'w1' });
    assert.equal(first.mode, 'started');
    assert.equal(first.previous, undefined);
    assert.equal(first.run.status, 'running');
    const again = await b.openRun({ optionsJson: '{}', owner: 'w2' });
    assert.equal(again.mode, 'resumed');
    assert.equal(again.run.id, first.run.id);
    assert.equal(again.run.options, '{"x":1}');
    assert.equal(await b.finishRun(first.run.id, 'done', 'finished'), true);
    assert.equal(await b.finishRun(first.run.id, 'done', 'finished'), false, 'a run ends once');
    const next = await b.openRun({ optionsJson: '{}', owner: 'w1' });
    assert.equal(next.mode, 'started');
    assert.notEqual(next.run.id, first.run.id);
    assert.equal(next.previous?.id, first.run.id);
    assert.equal((await b.lastRun())?.id, next.run.id);
  });

  withBackend('claims are leased to one owner, lowest depth first, with the backend\'s remaining count', async (b) => {
    await b.openRun({ optionsJson: '{}', owner: 'w1' });
    const added = await b.enqueue([item('deep', 'a.test', 3), item('top', 'a.test', 0), item('mid', 'a.test', 1), item('x', 'b.test'), item('top', 'a.test', 0)]);
    assert.deepEqual([...added].sort(), [['a.test', 3], ['b.test', 1]], 'a URL already queued is not added twice');
    assert.deepEqual([...(await b.queuedByHost())].sort(), [['a.test', 3], ['b.test', 1]]);
    const c1 = await b.claim('a.test', 2, { owner: 'w1', until: Date.now() + 60_000 });
    assert.deepEqual(c1.entries.map((e) => e.url), ['http://a.test/top', 'http://a.test/mid']);
    assert.equal(c1.remaining, 1);
    assert.equal(c1.entries[0].prior, null);
    if (target.sharedRuns) {
      // Hosts are leased whole: another owner waits until w1 lets go of a.test.
      const busy = await b.claim('a.test', 5, { owner: 'w2', until: Date.now() + 60_000 });
      assert.deepEqual(busy.entries, []);
      assert.ok(busy.busyUntil !== undefined && busy.busyUntil > Date.now(), 'busyUntil says when to ask again');
      assert.equal(busy.remaining, 1);
    }
    const c2 = await b.claim('a.test', 5, { owner: target.sharedRuns ? 'w1' : 'w2', until: Date.now() + 60_000 });
    assert.deepEqual(c2.entries.map((e) => e.url), ['http://a.test/deep'], 'claimed entries are not handed out again');
    assert.equal(c2.remaining, 0);
    assert.deepEqual([...(await b.queuedByHost())], [['b.test', 1]]);
  });

  withBackend(`a claim counts what stays queued up to ${QUEUE_COUNT_CAP} ("that many or more")`, async (b) => {
    await b.openRun({ optionsJson: '{}', owner: 'w1' });
    await b.enqueue(Array.from({ length: QUEUE_COUNT_CAP + 5 }, (_, i) => item(`q${i}`, 'big.test')));
    const c = await b.claim('big.test', 2, { owner: 'w1', until: Date.now() + 60_000 });
    assert.equal(c.entries.length, 2);
    assert.equal(c.remaining, QUEUE_COUNT_CAP);
  });

  withBackend('completion is accepted exactly once, and only from the lease owner', async (b) => {
    const { run } = await b.openRun({ optionsJson: '{}', owner: 'w1' });
    await b.enqueue([item('p1'), item('p2')]);
    const { entries } = await b.claim('a.test', 2, { owner: 'w1', until: Date.now() + 60_000 });
    const r1 = await b.write(batch(run.id, 'w1', [okOutcome(entries[0], [item('new1'), item('n', 'c.test')])]));
    assert.deepEqual(r1.rejected, []);
    // (Before any other owner writes: a shared backend then counts two live workers, and a worker
    // below its share is not handed a free host it did not reserve.)
    assert.deepEqual([...r1.queuedByHost].sort(), [['a.test', 1], ['c.test', 1]], 'links followed are queued in the same write');
    const byOther = await b.write(batch(run.id, 'w2', [okOutcome(entries[1])]));
    assert.deepEqual(byOther.rejected, [entries[1].urlId], 'another owner cannot complete it');
    const r2 = await b.write(batch(run.id, 'w1', [okOutcome(entries[0])]));
    assert.deepEqual(r2.rejected, [entries[0].urlId], 'a second completion is refused');
    assert.equal((await b.getRun(run.id))!.counters.pages, 1);
  });

  withBackend('a lost lease: expired claims are requeued, the old owner is refused, the new one accepted', async (b) => {
    const { run } = await b.openRun({ optionsJson: '{}', owner: 'w1' });
    await b.enqueue([item('p1'), item('p2')]);
    const t = Date.now() + 1_000;
    const { entries } = await b.claim('a.test', 2, { owner: 'w1', until: t });
    // Shared backends keep time by their server's clock: a few ms of conversion either way.
    assert.deepEqual([...(await b.requeueExpired(t - 100))], [], 'a lease is held until its expiry');
    await b.renew({ owner: 'w1', until: t + 10_000 });
    assert.deepEqual([...(await b.requeueExpired(t + 100))], [], 'a renewed lease is held longer');
    assert.deepEqual([...(await b.requeueExpired(t + 10_100))], [['a.test', 2]]);
    const taken = await b.claim('a.test', 5, { owner: 'w2', until: Date.now() + 60_000 });
    assert.equal(taken.entries.length, 2);
    const late = await b.write(batch(run.id, 'w1', [okOutcome(entries[0])]));
    assert.deepEqual(late.rejected, [entries[0].urlId]);
    const fresh = await b.write(batch(run.id, 'w2', taken.entries.map((e) => okOutcome(e))));
    assert.deepEqual(fresh.rejected, []);
    assert.equal((await b.getRun(run.id))!.counters.pages, 2, 'every URL counted once');
  });

  withBackend('release gives unstarted claims back, only the owner\'s', async (b) => {
    await b.openRun({ optionsJson: '{}', owner: 'w1' });
    await b.enqueue([item('p1'), item('p2')]);
    const { entries } = await b.claim('a.test', 2, { owner: 'w1', until: Date.now() + 60_000 });
    await b.release('w2', entries.map((e) => e.urlId));
    assert.deepEqual([...(await b.queuedByHost())], []);
    await b.release('w1', [entries[1].urlId]);
    assert.deepEqual([...(await b.queuedByHost())], [['a.test', 1]]);
  });

  withBackend('counters are increments of what each accepted write carries', async (b) => {
    const { run } = await b.openRun({ optionsJson: '{}', owner: 'w1' });
    await b.enqueue([item('p1'), item('p2'), item('p3')]);
    const { entries } = await b.claim('a.test', 3, { owner: 'w1', until: Date.now() + 60_000 });
    const gone = { ...okOutcome(entries[1]), change: 'error' as const, status: 500, errorCode: 'HTTP_STATUS' as const, content: null, bytes: 7 };
    await b.write(batch(run.id, 'w1', [okOutcome(entries[0]), gone], { requests: 5 }));
    await b.write(batch(run.id, 'w1', [], { skipped: [entries[2]], requests: 1 }));
    await b.write(batch(run.id, 'w2', [okOutcome(entries[0])], { requests: 0 }));
    const c = (await b.getRun(run.id))!.counters;
    assert.deepEqual({ pages: c.pages, new: c.new, errors: c.errors, skipped: c.skipped, requests: c.requests, bytes: c.bytes },
      { pages: 2, new: 1, errors: 1, skipped: 1, requests: 6, bytes: 107 });
    const s = await b.summarize(run.id);
    assert.deepEqual(s.byStatusClass, { '2xx': 1, '5xx': 1 });
    assert.deepEqual(s.errorsByCode, { HTTP_STATUS: 1 });
  });

  withBackend('a resumed run gets its claims back; a new run drops finished entries and keeps unfetched ones', async (b) => {
    const { run } = await b.openRun({ optionsJson: '{}', owner: 'w1' });
    await b.enqueue([item('p1'), item('p2'), item('p3')]);
    const { entries } = await b.claim('a.test', 2, { owner: 'w1', until: Date.now() + 60_000 });
    await b.write(batch(run.id, 'w1', [okOutcome(entries[0])]));
    if (target.sharedRuns) {
      // w1 may be another worker still crawling: its live claim keeps the run going and stays w1's.
      assert.equal(await b.finishRun(run.id, 'interrupted', 'signal'), false, 'a run with live leases goes on');
      const joined = await b.openRun({ optionsJson: '{}', owner: 'w9' });
      assert.equal(joined.mode, 'joined');
      assert.deepEqual([...(await b.queuedByHost())], [['a.test', 1]], 'a live claim of another owner is kept');
      assert.deepEqual([...(await b.requeueExpired(Date.now() + 61_000))], [['a.test', 2]], 'it comes back once its lease runs out');
    } else {
      await b.finishRun(run.id, 'interrupted', 'signal');
      const resumed = await b.openRun({ optionsJson: '{}', owner: 'w9' });
      assert.equal(resumed.mode, 'resumed');
      assert.deepEqual([...(await b.queuedByHost())], [['a.test', 2]], 'the crashed owner\'s claim is back in the queue');
    }
    await b.finishRun(run.id, 'done', 'max-pages');
    const next = await b.openRun({ optionsJson: '{}', owner: 'w9' });
    assert.equal(next.mode, 'started');
    assert.deepEqual([...(await b.queuedByHost())], [['a.test', 2]]);
    const again = await b.enqueue([item('p1')]);
    assert.deepEqual([...again], [['a.test', 1]], 'a URL finished in the last run can be queued in the new one');
    const claim = await b.claim('a.test', 5, { owner: 'w9', until: Date.now() + 60_000 });
    const p1 = claim.entries.find((e) => e.url === 'http://a.test/p1')!;
    assert.equal(p1.prior?.status, 200, 'a page fetched before carries what is known of it');
    assert.equal(p1.prior?.contentHash, 'h' + entries[0].urlId);
  });

  withBackend('--fresh ends an unfinished run and drops its queue', async (b) => {
    const first = await b.openRun({ optionsJson: '{}', owner: 'w1' });
    await b.enqueue([item('p1'), item('p2')]);
    const next = await b.openRun({ optionsJson: '{"fresh":true}', owner: 'w1', fresh: true });
    assert.equal(next.mode, 'started');
    const old = await b.getRun(first.run.id);
    assert.equal(old?.status, 'interrupted');
    assert.equal(old?.stopReason, 'superseded');
    assert.deepEqual([...(await b.queuedByHost())], []);
  });

  withBackend('recrawl: pages due are queued again', async (b) => {
    const { run } = await b.openRun({ optionsJson: '{}', owner: 'w1' });
    await b.enqueue([item('p1'), item('p2')]);
    const { entries } = await b.claim('a.test', 2, { owner: 'w1', until: Date.now() + 60_000 });
    await b.write(batch(run.id, 'w1', entries.map((e) => okOutcome(e))));
    await b.finishRun(run.id, 'done', 'finished');
    await b.openRun({ optionsJson: '{}', owner: 'w1' });
    const now = new Date();
    assert.deepEqual([...(await b.enqueueDue(new Date(now.getTime() - 3_600_000).toISOString(), false, now.toISOString()))], [], 'fresh pages are not due');
    assert.deepEqual([...(await b.enqueueDue(new Date(now.getTime() + 1000).toISOString(), false, now.toISOString()))], [['a.test', 2]]);
  });

  withBackend('robots.txt answers are cached per origin', async (b) => {
    assert.equal(await b.getRobots('http://a.test'), undefined);
    await b.putRobots({ origin: 'http://a.test', fetchedAt: 123, status: 200, body: 'User-agent: *\nDisallow: /x' });
    await b.putRobots({ origin: 'http://a.test', fetchedAt: 456, status: 503, body: '' });
    assert.deepEqual(await b.getRobots('http://a.test'), { origin: 'http://a.test', fetchedAt: 456, status: 503, body: '' });
  });
}
