/**
 * The PostgreSQL frontier (QueuePort) with host leases: one owner per host at a time across every
 * worker process. A claim (./claim.ts) takes or keeps the host's lease in the same transaction that
 * hands out its entries, and answers `busyUntil` while another live owner holds it; a new owner waits
 * the run's delay from the moment the last one let go, so politeness holds across a handover.
 *
 * Every statement here that runs per claim, per write or on a timer reads through an index sized by
 * what it touches (a host's queue, an owner's hosts, the hosts whose lease ran out), never a table:
 * claims expire with their host's lease, so the heartbeat renews host rows only; `hosts.has_queue`
 * stands for "this host has queued entries" so no statement groups the whole queue.
 */
import type pg from 'pg';
import type { Claim, EnqueueItem, HostPacing, Lease, RenewedHost } from '../../frontier/types.js';
import { freeHostsFor, OFFERED, WANT_WINDOW_MS } from './balance.js';
import { claimHost } from './claim.js';
import { fromNow, NOW_ISO, NOW_MS } from './clock.js';
import { giveBack, type RunBudgets } from './budget.js';
import { inTx } from './db.js';
import { binaryArray } from './binary-array.js';
import { markQueued, releaseIdleHosts, type QueueContext } from './host-rows.js';

export { markQueued, releaseIdleHosts, type QueueContext } from './host-rows.js';


/**
 * The heartbeat's statement ($1 owner, $2 lease ms, $3 run). The owner's host rows are locked first,
 * once, into an array (an InitPlan), and updated by their primary key. As `host IN (SELECT … FOR
 * UPDATE SKIP LOCKED) AND owner = $1` it was planned, when the statistics did not know the owner yet
 * (a new worker), as a nested loop that locked and sorted the owner's hosts again for every one of
 * them: 240 ms for 1,280 hosts held, growing with their square (test/postgres-heartbeat-plan.test.ts).
 * The rows are locked, so the owner cannot change before they are updated.
 */
export const RENEW = `WITH h AS (
    UPDATE hosts SET lease_until = greatest(lease_until, ${NOW_MS} + $2) WHERE host = ANY(ARRAY(
      SELECT host FROM hosts WHERE owner = $1 ORDER BY host FOR UPDATE SKIP LOCKED)) RETURNING host, has_queue),
  w AS (UPDATE run_workers SET last_seen_at = ${NOW_ISO} WHERE (run_id, owner) IN (
      SELECT run_id, owner FROM run_workers WHERE run_id = $3 AND owner = $1 FOR UPDATE SKIP LOCKED))
  SELECT host, has_queue, false AS offered FROM h UNION ALL SELECT host, true, true FROM (${OFFERED}) o`;

/** How many expired hosts one requeueExpired call takes back (the next call takes the rest). */
const EXPIRED_BATCH = 1_000;
/** Hosts with queued work one queuedByHost call reports, and up to how many entries each (a claim learns the exact count). */
const QUEUED_HOSTS = 10_000;
const QUEUED_HINT = 10;
const COUNTED_HOSTS = 1_000;

/** Queued entries of `hosts`, up to QUEUED_HINT each (an index probe per host), hosts without any left out. */
async function queuedOf(q: pg.Pool | pg.PoolClient, hostsSql: string, params: unknown[]): Promise<Map<string, number>> {
  const r = await q.query(`SELECT t.host, (SELECT count(*)::int FROM (SELECT 1 FROM frontier f WHERE f.host = t.host AND f.state = 0 LIMIT ${QUEUED_HINT}) q) AS n
    FROM (${hostsSql}) t`, params);
  return new Map(r.rows.filter((x) => x.n > 0).map((x) => [x.host as string, x.n as number]));
}

/** Inserts the URLs not yet known and returns url -> id for all of them (two statements, one batch each). */
export async function urlIds(c: pg.PoolClient, items: { url: string; host: string; lastmod?: string }[], runId: number): Promise<Map<string, number>> {
  const uniq = new Map<string, { url: string; host: string; lastmod?: string }>();
  for (const it of items) if (!uniq.has(it.url)) uniq.set(it.url, it);
  const list = [...uniq.values()].sort((a, b) => (a.url < b.url ? -1 : 1)); // one insert order for every worker
  const out = new Map<string, number>();
  if (!list.length) return out;
  const urls = binaryArray('text', list.map((i) => i.url)); // sent twice below, encoded once
  await c.query(`INSERT INTO urls (url, host, first_seen_at, first_seen_run, sitemap_lastmod)
    SELECT u, h, $3, $4, m FROM unnest($1::text[], $2::text[], $5::text[]) AS t(u, h, m) ON CONFLICT (url) DO NOTHING`,
  [urls, binaryArray('text', list.map((i) => i.host)), new Date().toISOString(), runId || null, binaryArray('text', list.map((i) => i.lastmod ?? null))]);
  const lastmods = list.filter((i) => i.lastmod);
  if (lastmods.length) {
    await c.query('UPDATE urls SET sitemap_lastmod = t.m FROM unnest($1::text[], $2::text[]) AS t(u, m) WHERE urls.url = t.u',
      [lastmods.map((i) => i.url), lastmods.map((i) => i.lastmod)]);
  }
  // A join on the list, not `url = ANY(…)`: with thousands of URLs that was planned as a Seq Scan of urls.
  for (const r of (await c.query('SELECT u.id, u.url FROM unnest($1::text[]) AS t(url) JOIN urls u ON u.url = t.url', [urls])).rows) out.set(r.url, r.id);
  return out;
}

/**
 * Adds items to the frontier (ids already known); returns the new entries per host. Entries already
 * there are filtered out before the insert: ON CONFLICT alone waits for any transaction updating
 * that row (a worker completing it), which deadlocked against that worker's own URL inserts.
 */
export async function enqueueIds(c: pg.PoolClient, items: EnqueueItem[], ids: Map<string, number>): Promise<Map<string, number>> {
  const seen = new Set<number>();
  const rows = items.filter((i) => { const id = ids.get(i.url); if (id === undefined || seen.has(id)) return false; seen.add(id); return true; })
    .sort((a, b) => ids.get(a.url)! - ids.get(b.url)!);
  const out = new Map<string, number>();
  if (!rows.length) return out;
  const r = await c.query(`INSERT INTO frontier (url_id, host, depth, state, source, redirect_from, hops)
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::int[], $4::smallint[], $5::text[], $6::bigint[], $7::int[]) AS i(id)
    WHERE NOT EXISTS (SELECT 1 FROM frontier f WHERE f.url_id = i.id)
    ON CONFLICT (url_id) DO NOTHING RETURNING host`,
  [binaryArray('bigint', rows.map((i) => ids.get(i.url))), binaryArray('text', rows.map((i) => i.host)), binaryArray('int', rows.map((i) => i.depth)),
    binaryArray('smallint', rows.map(() => 0)), binaryArray('text', rows.map((i) => i.source)),
    binaryArray('bigint', rows.map((i) => i.redirectFrom ?? null)), binaryArray('int', rows.map((i) => i.hops ?? 0))]);
  for (const { host } of r.rows) out.set(host, (out.get(host) ?? 0) + 1);
  await markQueued(c, out.keys());
  // A URL found again on a shorter link path while still queued takes the smaller depth (and its
  // --max-depth budget); only such rows are touched, so nothing waits on rows others hold.
  await c.query(`UPDATE frontier f SET depth = i.depth FROM unnest($1::bigint[], $2::int[]) AS i(id, depth)
    WHERE f.url_id = i.id AND f.state = 0 AND i.depth < f.depth`, [rows.map((i) => ids.get(i.url)), rows.map((i) => i.depth)]);
  return out;
}

/**
 * Takes back the leases that ran out by the server's clock, `aheadMs` from now (0 but in tests), and
 * the entries claimed under them; returns the hosts taken back. Rows another transaction holds are
 * skipped (the next round takes them).
 */
export async function expireLeases(c: pg.PoolClient, aheadMs: number, budgets: RunBudgets): Promise<string[]> {
  const r = await c.query(`UPDATE hosts h SET owner = NULL, released_at = h.lease_until, lease_until = NULL, has_queue = true FROM (
      SELECT host FROM hosts WHERE owner IS NOT NULL AND lease_until < ${NOW_MS} + $1 ORDER BY host LIMIT $2 FOR UPDATE SKIP LOCKED) e
    WHERE h.host = e.host RETURNING h.host`, [aheadMs, EXPIRED_BATCH]);
  const hosts = r.rows.map((x) => x.host as string);
  if (hosts.length) {
    const back = await c.query('UPDATE frontier SET state = 0, owner = NULL, epoch = NULL, lease_until = NULL WHERE host = ANY($1) AND state = 1 RETURNING host', [hosts]);
    await giveBack(c, budgets, countHosts(back.rows));
  }
  return hosts;
}

export class PgQueue {
  constructor(private readonly x: QueueContext) {}

  private tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTx(this.x.pool, this.x.location, fn, this.x.begin);
  }

  enqueue(items: EnqueueItem[]): Promise<Map<string, number>> {
    if (!items.length) return Promise.resolve(new Map());
    return this.tx(async (c) => enqueueIds(c, items, await urlIds(c, items, this.x.runId)));
  }

  enqueueDue(olderThan: string, adaptive: boolean, now: string): Promise<Map<string, number>> {
    // A page whose latest fetch failed (no answer, or an error status) is due whatever its last success.
    const due = adaptive
      ? `last_ok_at IS NULL OR status IS NULL OR status >= 400
         OR (recrawl_interval_s IS NOT NULL AND last_ok_at::timestamptz + recrawl_interval_s * interval '1 second' <= $2::timestamptz)
         OR (recrawl_interval_s IS NULL AND last_ok_at <= $1)`
      : 'last_ok_at IS NULL OR status IS NULL OR status >= 400 OR last_ok_at <= $1';
    // Once per run, over every page: no statement limit.
    return this.tx(async (c) => {
      await c.query('SET LOCAL statement_timeout = 0; SET LOCAL enable_seqscan = on');
      const r = await c.query(`INSERT INTO frontier (url_id, host, depth, state, source)
        SELECT url_id, host, depth, 0, 'recrawl' FROM pages WHERE (${due}) ORDER BY url_id ON CONFLICT (url_id) DO NOTHING RETURNING host`,
      adaptive ? [olderThan, now] : [olderThan]);
      const out = countHosts(r.rows);
      await markQueued(c, out.keys());
      return out;
    });
  }

  /**
   * Hosts with queued entries, up to QUEUED_HINT entries each (a claim answers the exact count). With
   * `owner` (shared runs): its own hosts, and the free hosts it may claim (balance.ts, freeHostsFor:
   * those reserved or given to it, and its share of the rest, reserved now). Hosts another live worker
   * holds are left out: their owner gives them away when balancing needs it (./give.ts).
   */
  async queuedByHost(owner?: string): Promise<Map<string, number>> {
    const x = this.x;
    let hosts: string[] = [];
    if (owner === undefined) {
      hosts = (await x.pool.query('SELECT host FROM hosts WHERE has_queue ORDER BY host LIMIT $1', [QUEUED_HOSTS])).rows.map((r) => r.host as string);
    } else {
      await this.tx(async (c) => {
        const own = (await c.query('SELECT host FROM hosts WHERE has_queue AND owner = $1 ORDER BY host LIMIT $2', [owner, QUEUED_HOSTS])).rows;
        hosts = [...own.map((r) => r.host as string), ...await freeHostsFor(c, x.runId, x.leaseMs, x.share, owner, QUEUED_HOSTS)];
      });
    }
    // has_queue can miss a host: a claim that counted its queue empty clears the flag while a write
    // of the same moment queues links there (the write's check saw the flag still set). So when no
    // flagged host is left, the queue itself is read, one index descent per host, and flags repaired.
    if (!hosts.length && !(await this.x.pool.query('SELECT 1 FROM hosts WHERE has_queue LIMIT 1')).rows.length) {
      const s = await this.x.pool.query(`WITH RECURSIVE t(h) AS (
          (SELECT host FROM frontier WHERE state = 0 ORDER BY host LIMIT 1)
          UNION ALL SELECT (SELECT host FROM frontier WHERE state = 0 AND host > t.h ORDER BY host LIMIT 1) FROM t WHERE t.h IS NOT NULL)
        SELECT h FROM t WHERE h IS NOT NULL LIMIT $1`, [COUNTED_HOSTS]);
      hosts = s.rows.map((x) => x.h as string);
      if (hosts.length) await this.tx((c) => markQueued(c, hosts));
    }
    // Counting costs an index probe per host (150 ms for 10,000 hosts): past COUNTED_HOSTS each is "at least one".
    if (hosts.length > COUNTED_HOSTS) return new Map(hosts.map((h) => [h, 1]));
    const counted = hosts.length ? await queuedOf(this.x.pool, 'SELECT unnest($1::text[]) AS host', [hosts]) : new Map<string, number>();
    return counted;
  }

  claim(host: string, limit: number, lease: Lease): Promise<Claim> {
    return this.tx((c) => claimHost(c, this.x, host, limit, lease));
  }

  /**
   * Records the pacing of hosts `owner` holds or last held (one statement; rows locked in host order).
   * A host another owner took meanwhile keeps that owner's record. Times go as durations from now and
   * are stored by the server's clock. The robots.txt retry state counts within this run only
   * (robots_run): the next run gets its own retries.
   */
  savePacing(owner: string, items: HostPacing[]): Promise<void> {
    const sorted = [...items].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
    const now = Date.now();
    return this.tx(async (c) => {
      await c.query(`UPDATE hosts h SET next_at = ${NOW_MS} + v.next_in, crawl_delay_ms = v.crawl_delay_ms, backoff_ms = v.backoff_ms,
          robots_retry_at = ${NOW_MS} + v.robots_retry_in, robots_failures = v.robots_failures, robots_run = $8
        FROM (SELECT * FROM unnest($1::text[], $2::bigint[], $3::int[], $4::int[], $5::bigint[], $6::int[])
          AS t(host, next_in, crawl_delay_ms, backoff_ms, robots_retry_in, robots_failures)) v
        WHERE h.host = v.host AND (h.owner = $7 OR h.owner IS NULL)`,
      [sorted.map((i) => i.host), sorted.map((i) => fromNow(i.nextAt, now)), sorted.map((i) => i.crawlDelayMs), sorted.map((i) => i.backoffMs),
        sorted.map((i) => (i.robotsRetryAt === null ? null : fromNow(i.robotsRetryAt, now))), sorted.map((i) => i.robotsFailures), owner, this.x.runId]);
    });
  }

  /**
   * The heartbeat: one statement on its own connection, renewing this owner's host rows (cost ∝ hosts
   * held; claims expire with their host) and its last_seen_at, by the server's clock. Rows another
   * transaction holds right now are skipped, never waited for (a claim of ours renews its host anyway).
   * Returns the hosts renewed, and whether each has queued entries: the frontier stops fetching a host
   * missing for too long, and claims a host it holds when others queued work there; and the hosts
   * their owners let go for this worker (balance.ts, OFFERED), to claim at once.
   */
  async renew(lease: Lease): Promise<RenewedHost[]> {
    const r = await this.x.beat.query(RENEW, [lease.owner, Math.max(1, fromNow(lease.until)), this.x.runId]);
    return r.rows.map((x) => ({ host: x.host as string, queued: x.has_queue as boolean, ...(x.offered ? { offered: true } : {}) }));
  }

  release(owner: string, urlIds: number[], leaving = false): Promise<void> {
    if (!urlIds.length && !leaving) return Promise.resolve();
    return this.tx(async (c) => {
      const r = await c.query(`UPDATE frontier f SET state = 0, owner = NULL, epoch = NULL, lease_until = NULL FROM (
        SELECT url_id FROM frontier WHERE url_id = ANY($1::bigint[]) AND owner = $2 AND state = 1 ORDER BY url_id FOR UPDATE) s
        WHERE f.url_id = s.url_id RETURNING f.host`, [urlIds, owner]);
      const back = countHosts(r.rows);
      await markQueued(c, back.keys());
      const held = leaving ? (await c.query('SELECT host FROM hosts WHERE owner = $1', [owner])).rows.map((r) => r.host as string) : [];
      // A leaving worker's reservations (and hosts given to it) go back to everyone at once, not after the want window.
      if (leaving) {
        await c.query(`UPDATE hosts SET wanted_by = NULL WHERE host = ANY(ARRAY(
          SELECT host FROM hosts WHERE wanted_by = $1 ORDER BY host FOR UPDATE SKIP LOCKED))`, [owner]);
      }
      await releaseIdleHosts(c, [...new Set([...back.keys(), ...held])], owner);
      await giveBack(c, this.x, back); // last: the run's counter row stays locked only to the commit
    });
  }

  /**
   * Takes back host leases that ran out (by the server's clock; `now` is the caller's local time,
   * ahead of the local clock only in tests) with their claims, and answers the hosts taken back:
   * the worker learns of work a dead worker held.
   */
  requeueExpired(now: number): Promise<Map<string, number>> {
    return this.tx(async (c) => {
      const hosts = await expireLeases(c, fromNow(now), this.x);
      return hosts.length ? queuedOf(c, 'SELECT unnest($1::text[]) AS host', [hosts]) : new Map();
    });
  }
}

/**
 * Whether any entry is queued, read off the queue index in its own order: `EXISTS (… WHERE state = 0)`
 * was planned as a Seq Scan of the frontier, through every finished entry before the first queued one.
 */
export const ANY_QUEUED = '(SELECT host FROM frontier WHERE state = 0 ORDER BY host, depth, url_id LIMIT 1) IS NOT NULL';
/** The same for claimed entries (frontier_claims). */
export const ANY_CLAIMED = '(SELECT host FROM frontier WHERE state = 1 ORDER BY host, owner LIMIT 1) IS NOT NULL';

/**
 * What the whole run still has at `now` (the caller's local time, ahead only in tests): queued
 * entries and live host leases (QueuePort.pending), as 1 or 0 (index probes, no counting). A free
 * host with work reserved for, or given to, a worker within the want window counts as leased: it is
 * that worker's to take, and the others wait for it rather than end (when that worker died, the last
 * one left saw nothing it could claim, and ended the run with work queued).
 */
export async function pending(pool: pg.Pool, now: number): Promise<{ queued: number; leased: number }> {
  const r = await pool.query(`SELECT (${ANY_QUEUED})::int AS queued,
    (EXISTS (SELECT 1 FROM hosts WHERE owner IS NOT NULL AND lease_until >= ${NOW_MS} + $1)
      OR EXISTS (SELECT 1 FROM hosts WHERE wanted_by IS NOT NULL AND wanted_at >= ${NOW_MS} + $1 - ${WANT_WINDOW_MS} AND has_queue))::int AS leased`,
  [fromNow(now)]);
  return r.rows[0];
}

export function countHosts(rows: { host: string }[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const { host } of rows) out.set(host, (out.get(host) ?? 0) + 1);
  return out;
}
