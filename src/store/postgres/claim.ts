/**
 * A claim on the PostgreSQL frontier: takes or keeps the host's lease and hands out its entries in
 * one short transaction, by the server's clock (./clock.ts).
 *
 * Fencing: a host's lease carries an epoch that grows with every grant to a new owner (or to the same
 * owner after its lease ran out). Entries are claimed under the epoch, a write is accepted only for
 * entries still claimed under the epoch they carry (./write.ts), and a grant takes back every entry
 * claimed under an older epoch, whatever its owner: a worker that stalled past its lease cannot
 * complete work another worker was given, and no entry stays claimed by an owner that lost the host.
 */
import type pg from 'pg';
import { QUEUE_COUNT_CAP, type Claim, type FrontierEntry, type Lease, type UrlSource } from '../../frontier/types.js';
import { leaveToWanter, shouldYield, WANT_WINDOW_MS } from './balance.js';
import { budgetLeft, spend } from './budget.js';
import { fromNow, NOW_MS, toLocal } from './clock.js';
import { releaseIdleHosts, type QueueContext } from './host-rows.js';

/** How soon a claim asks again when another transaction has the host row locked right now. */
const LOCKED_RETRY_MS = 250;

/** The host row as a claim reads it, with the server's now. */
interface HostRow {
  owner: string | null; lease_until: number | null; released_at: number | null; next_at: number | null; crawl_delay_ms: number | null;
  backoff_ms: number | null; wanted_at: number | null; wanted_by: string | null; wanted_holds: number | null; robots_retry_at: number | null;
  robots_failures: number | null; epoch: number; budget_run: number | null; budget_used: number; now: number;
}

export async function claimHost(c: pg.PoolClient, x: QueueContext, host: string, limit: number, lease: Lease): Promise<Claim> {
  const localNow = Date.now();
  const leaseMs = Math.max(1, fromNow(lease.until, localNow));
  const queued = async () => (await c.query('SELECT count(*)::int AS n FROM (SELECT 1 FROM frontier WHERE host = $1 AND state = 0 LIMIT $2) q',
    [host, QUEUE_COUNT_CAP])).rows[0].n as number;
  // SKIP LOCKED: a claim never queues behind another transaction on the host (a heartbeat, another
  // worker's claim, a worker stopped mid-transaction): it asks again shortly instead.
  const read = async () => (await c.query(`SELECT owner, lease_until, released_at, next_at, crawl_delay_ms, backoff_ms, wanted_at, wanted_by, wanted_holds,
      CASE WHEN robots_run = $2 THEN robots_retry_at END AS robots_retry_at, CASE WHEN robots_run = $2 THEN robots_failures END AS robots_failures,
      epoch, budget_run, budget_used, ${NOW_MS} AS now
    FROM hosts WHERE host = $1 FOR UPDATE SKIP LOCKED`, [host, x.runId])).rows[0] as HostRow | undefined;
  let h = await read();
  // No row: the host is new to the database (enqueue makes its row, so this is rare), or another
  // transaction holds the row right now (then the insert does nothing, and the claim asks again soon).
  if (!h && (await c.query('INSERT INTO hosts (host) VALUES ($1) ON CONFLICT DO NOTHING', [host])).rowCount) h = await read();
  if (!h) return { entries: [], remaining: await queued(), busyUntil: localNow + LOCKED_RETRY_MS };
  const now = Number(h.now);
  const local = (serverMs: number) => toLocal(serverMs, now, localNow);
  const retry = async (ms: number) => ({ entries: [], remaining: await queued(), busyUntil: localNow + ms });
  const live = h.owner !== null && h.lease_until !== null && Number(h.lease_until) >= now;
  const share = await x.share.get(c, x.runId, x.leaseMs);
  // Another live owner's (theirs): nothing here for this worker until the backend names the host to it
  // again: its owner gives it away when balancing needs it (./give.ts) and the worker it names is told;
  // an owner that dies lets its lease run out (requeueExpired). busyUntil says when the lease would end.
  // Asking again for hosts others held, or had reserved, was most of the claims that got nothing
  // (1,000 hosts, 8 workers: the seeding worker knew every seed host).
  if (live && h.owner !== lease.owner) return { entries: [], remaining: await queued(), busyUntil: local(Number(h.lease_until) + 1), theirs: true };
  if (live && await shouldYield(c, h, lease.owner, now, share)) {
    await releaseIdleHosts(c, [host], lease.owner); // now, or when its last claim here is written (write.ts)
    return { ...await retry(WANT_WINDOW_MS), yielded: true }; // if the worker it goes to does not take it, the want runs out and the host is ours again
  }
  // A grant: the host was free, another owner's lease ran out, or ours did (we may have stalled).
  const grant = !live;
  let back = 0;
  if (grant && h.owner !== lease.owner && await leaveToWanter(c, h, lease.owner, now)) {
    return { ...await retry(Number(h.wanted_at) + WANT_WINDOW_MS - now), theirs: true }; // another worker's to take
  }
  if (grant) {
    // The last owner's pace holds from when it let go (or its lease ran out), and no request starts
    // before the next start it recorded (a Retry-After) or its robots.txt retry time.
    const from = h.owner ? h.lease_until : h.released_at;
    const gap = Math.max(x.delayMs, h.crawl_delay_ms ?? 0, h.backoff_ms ?? 0);
    const readyAt = Math.max(from === null || gap === 0 ? 0 : Number(from) + gap, Number(h.next_at ?? 0), Number(h.robots_retry_at ?? 0));
    if (readyAt > now) return { entries: [], remaining: await queued(), busyUntil: local(readyAt) };
    // Every entry claimed under an older epoch comes back first, whoever claimed it (and leaves the budgets).
    back = (await c.query('UPDATE frontier SET state = 0, owner = NULL, epoch = NULL, lease_until = NULL WHERE host = $1 AND state = 1', [host])).rowCount ?? 0;
    if (x.maxPagesPerHost && back && h.budget_run === x.runId) h.budget_used = Math.max(0, h.budget_used - back);
  }
  const epoch = grant ? Number(h.epoch) + 1 : Number(h.epoch);
  const used = h.budget_run === x.runId ? h.budget_used : 0;
  limit = Math.min(limit, await budgetLeft(c, x));
  if (x.maxPagesPerHost) limit = Math.min(limit, x.maxPagesPerHost - used);
  if (limit <= 0) {
    await spend(c, x, -back);
    return { entries: [], remaining: 0 }; // the run's budget is spent: nothing more to claim here
  }
  // `before`: the host's queue as the statement found it (the picked entries still in it), counted up
  // to the cap past what is taken: what stays queued comes with the entries, not from a statement of its own.
  let rows = (await c.query(`WITH picked AS (
      SELECT url_id FROM frontier WHERE host = $1 AND state = 0 ORDER BY depth, url_id LIMIT $2 FOR UPDATE),
    upd AS (UPDATE frontier f SET state = 1, owner = $3, epoch = $4 FROM picked WHERE f.url_id = picked.url_id
      RETURNING f.url_id, f.depth, f.source, f.redirect_from, f.hops)
    SELECT upd.*, u.url, p.fetched_at, p.status, p.etag, p.last_modified, p.content_hash, p.last_ok_at, p.recrawl_interval_s, p.bytes,
      (SELECT count(*) FROM (SELECT 1 FROM frontier WHERE host = $1 AND state = 0 LIMIT $2 + $5) q)::int AS before
    FROM upd JOIN urls u ON u.id = upd.url_id LEFT JOIN pages p ON p.url_id = upd.url_id ORDER BY upd.depth, upd.url_id`,
  [host, limit, lease.owner, epoch, QUEUE_COUNT_CAP])).rows;
  const before = rows.length ? Number(rows[0].before) : 0;
  const taken = rows.length;
  // The run's budget counter, locked from here to the commit; claims over it (another worker spent the
  // same remainder a moment ago) go back to the queue at once.
  const over = await spend(c, x, rows.length - back);
  if (over > 0) {
    await c.query('UPDATE frontier SET state = 0, owner = NULL, epoch = NULL WHERE url_id = ANY($1)', [rows.slice(-over).map((r) => r.url_id)]);
    rows = rows.slice(0, -over);
  }
  const remaining = taken ? Math.min(QUEUE_COUNT_CAP, before - rows.length) : await queued();
  // The host stays this owner's while it has work (a write lets go once nothing is claimed or queued
  // there; a release or balancing sooner). The lease only grows: a heartbeat's later expiry is kept.
  if (rows.length) {
    await c.query(`UPDATE hosts SET owner = $2, epoch = $3, released_at = NULL, has_queue = $5, last_owner = $2,
        handovers = handovers + CASE WHEN last_owner IS NOT NULL AND last_owner <> $2 THEN 1 ELSE 0 END,
        lease_until = CASE WHEN owner = $2 AND epoch = $3 THEN greatest(lease_until, ${NOW_MS} + $4) ELSE ${NOW_MS} + $4 END,
        wanted_by = CASE WHEN wanted_by = $2 THEN NULL ELSE wanted_by END, budget_run = $6, budget_used = $7 WHERE host = $1`,
    [host, lease.owner, epoch, leaseMs, remaining > 0, x.runId, used + rows.length]);
  } else if (remaining === 0) {
    await c.query('UPDATE hosts SET has_queue = false WHERE host = $1', [host]);
    if (live) await releaseIdleHosts(c, [host], lease.owner); // ours, and nothing left to do there
  }
  // A host changing hands carries the pacing its last owner recorded (savePacing), in local time.
  const handover = rows.length > 0 && h.owner !== lease.owner
    && (h.next_at !== null || h.crawl_delay_ms !== null || h.backoff_ms !== null || h.robots_retry_at !== null || h.robots_failures !== null);
  const pacing = handover ? {
    nextAt: h.next_at === null ? 0 : local(Number(h.next_at)), crawlDelayMs: h.crawl_delay_ms === null ? null : Number(h.crawl_delay_ms),
    backoffMs: Number(h.backoff_ms ?? 0), robotsRetryAt: h.robots_retry_at === null ? null : local(Number(h.robots_retry_at)),
    robotsFailures: Number(h.robots_failures ?? 0),
  } : undefined;
  return { entries: rows.map((r) => toEntry(r, host, epoch)), remaining, hostLeaseMs: leaseMs, ...(pacing ? { pacing } : {}) };
}

function toEntry(r: Record<string, unknown>, host: string, epoch: number): FrontierEntry {
  return {
    urlId: r.url_id as number, url: r.url as string, host, depth: r.depth as number, source: r.source as UrlSource,
    redirectFrom: (r.redirect_from as number | null) ?? null, hops: r.hops as number, epoch,
    prior: r.fetched_at !== null ? {
      status: r.status as number | null, etag: r.etag as string | null, lastModified: r.last_modified as string | null,
      contentHash: r.content_hash as string | null, lastOkAt: r.last_ok_at as string | null,
      recrawlIntervalS: r.recrawl_interval_s as number | null, bytes: (r.bytes as number | null) ?? 0,
    } : null,
  };
}
