/**
 * The PostgreSQL frontier (QueuePort) with host leases: one owner per host at a time across every
 * worker process. A claim takes or renews the host's lease in the same transaction that hands out
 * its entries, and answers `busyUntil` while another live owner holds it; a new owner waits the run's
 * delay from the moment the last one let go (`released_at`), so politeness holds across a handover.
 */
import type pg from 'pg';
import { QUEUE_COUNT_CAP, type Claim, type EnqueueItem, type FrontierEntry, type HostPacing, type Lease, type UrlSource } from '../../frontier/types.js';
import { leaveToWanter, recordWant, shouldYield } from './balance.js';
import { inTx } from './db.js';

/** What the queue needs from the backend: its pool, its name for messages, the run's pacing. */
export interface QueueContext {
  pool: pg.Pool;
  location: string;
  /** The open run (new URLs record it). */
  runId: number;
  /** The run's --delay, ms: the least gap a new host owner keeps from the last one. */
  delayMs: number;
  /** The run's --max-pages and --max-pages-per-host (0: none), global budgets over every worker. */
  maxPages: number;
  maxPagesPerHost: number;
}

/** Advisory lock class serializing claims under a --max-pages budget (second key: the run id). */
const BUDGET_LOCK = 7_340_003;

/** How soon a worker asks again for a host another worker holds (its lease may last 30 s more). */
export const BUSY_RETRY_MS = 2_000;

/**
 * Lets go of this owner's hosts where it holds no claim any more (it takes them again with its next
 * claim unless a worker holding fewer hosts asked for them: balance.ts). The host rows are locked first (in host order: no deadlocks), in a statement of their own: a claim
 * of the same owner that committed meanwhile is then visible to the check, which a single
 * statement's snapshot would miss.
 */
export async function releaseIdleHosts(c: pg.PoolClient, hosts: string[], owner: string): Promise<void> {
  if (!hosts.length) return;
  const locked = await c.query('SELECT host FROM hosts WHERE host = ANY($1) AND owner = $2 ORDER BY host FOR UPDATE', [hosts, owner]);
  if (!locked.rows.length) return;
  await c.query(`UPDATE hosts h SET owner = NULL, lease_until = NULL, released_at = $3
    WHERE h.host = ANY($1) AND h.owner = $2 AND NOT EXISTS (SELECT 1 FROM frontier f WHERE f.owner = $2 AND f.state = 1 AND f.host = h.host)`,
  [locked.rows.map((r) => r.host), owner, Date.now()]);
}

/** Inserts the URLs not yet known and returns url -> id for all of them (two statements, one batch each). */
export async function urlIds(c: pg.PoolClient, items: { url: string; host: string; lastmod?: string }[], runId: number): Promise<Map<string, number>> {
  const uniq = new Map<string, { url: string; host: string; lastmod?: string }>();
  for (const it of items) if (!uniq.has(it.url)) uniq.set(it.url, it);
  const list = [...uniq.values()].sort((a, b) => (a.url < b.url ? -1 : 1)); // one insert order for every worker
  const out = new Map<string, number>();
  if (!list.length) return out;
  const urls = list.map((i) => i.url);
  await c.query(`INSERT INTO urls (url, host, first_seen_at, first_seen_run, sitemap_lastmod)
    SELECT u, h, $3, $4, m FROM unnest($1::text[], $2::text[], $5::text[]) AS t(u, h, m) ON CONFLICT (url) DO NOTHING`,
  [urls, list.map((i) => i.host), new Date().toISOString(), runId || null, list.map((i) => i.lastmod ?? null)]);
  const lastmods = list.filter((i) => i.lastmod);
  if (lastmods.length) {
    await c.query('UPDATE urls SET sitemap_lastmod = t.m FROM unnest($1::text[], $2::text[]) AS t(u, m) WHERE urls.url = t.u',
      [lastmods.map((i) => i.url), lastmods.map((i) => i.lastmod)]);
  }
  for (const r of (await c.query('SELECT id, url FROM urls WHERE url = ANY($1::text[])', [urls])).rows) out.set(r.url, r.id);
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
  [rows.map((i) => ids.get(i.url)), rows.map((i) => i.host), rows.map((i) => i.depth), rows.map(() => 0), rows.map((i) => i.source),
    rows.map((i) => i.redirectFrom ?? null), rows.map((i) => i.hops ?? 0)]);
  for (const { host } of r.rows) out.set(host, (out.get(host) ?? 0) + 1);
  return out;
}

export class PgQueue {
  constructor(private readonly x: QueueContext) {}

  enqueue(items: EnqueueItem[]): Promise<Map<string, number>> {
    if (!items.length) return Promise.resolve(new Map());
    return inTx(this.x.pool, this.x.location, async (c) => enqueueIds(c, items, await urlIds(c, items, this.x.runId)));
  }

  enqueueDue(olderThan: string, adaptive: boolean, now: string): Promise<Map<string, number>> {
    // A page whose latest fetch failed (no answer, or an error status) is due whatever its last success.
    const due = adaptive
      ? `last_ok_at IS NULL OR status IS NULL OR status >= 400
         OR (recrawl_interval_s IS NOT NULL AND last_ok_at::timestamptz + recrawl_interval_s * interval '1 second' <= $2::timestamptz)
         OR (recrawl_interval_s IS NULL AND last_ok_at <= $1)`
      : 'last_ok_at IS NULL OR status IS NULL OR status >= 400 OR last_ok_at <= $1';
    return inTx(this.x.pool, this.x.location, async (c) => {
      const r = await c.query(`INSERT INTO frontier (url_id, host, depth, state, source)
        SELECT url_id, host, depth, 0, 'recrawl' FROM pages WHERE (${due}) ORDER BY url_id ON CONFLICT (url_id) DO NOTHING RETURNING host`,
      adaptive ? [olderThan, now] : [olderThan]);
      return countHosts(r.rows);
    });
  }

  async queuedByHost(): Promise<Map<string, number>> {
    const r = await this.x.pool.query('SELECT host, count(*)::int AS n FROM frontier WHERE state = 0 GROUP BY host');
    return new Map(r.rows.map((x) => [x.host as string, x.n as number]));
  }

  claim(host: string, limit: number, lease: Lease): Promise<Claim> {
    return inTx(this.x.pool, this.x.location, async (c) => {
      const now = Date.now();
      const queued = async () => (await c.query('SELECT count(*)::int AS n FROM (SELECT 1 FROM frontier WHERE host = $1 AND state = 0 LIMIT $2) q',
        [host, QUEUE_COUNT_CAP])).rows[0].n as number;
      await c.query('INSERT INTO hosts (host) VALUES ($1) ON CONFLICT DO NOTHING', [host]);
      const h = (await c.query(`SELECT owner, lease_until, released_at, next_at, crawl_delay_ms, backoff_ms, wanted_at, wanted_by, wanted_holds,
          CASE WHEN robots_run = $2 THEN robots_retry_at END AS robots_retry_at, CASE WHEN robots_run = $2 THEN robots_failures END AS robots_failures
        FROM hosts WHERE host = $1 FOR UPDATE`, [host, this.x.runId])).rows[0];
      const retry = { entries: [], busyUntil: now + BUSY_RETRY_MS };
      if (h.owner && h.owner !== lease.owner && h.lease_until >= now) {
        // Ask again soon rather than at the lease's end: the owner lets go as soon as it has no claims
        // there, and gives the host up if it holds more than its share (balance.ts). A worker with
        // hosts of its own asks less often (2 s more per host it holds): with thousands of hosts,
        // asking for every one every 2 s would be thousands of transactions a second.
        const holds = await recordWant(c, host, h, lease.owner, now);
        return { entries: [], remaining: await queued(), busyUntil: Math.min(h.lease_until + 1, now + BUSY_RETRY_MS * (1 + holds)) };
      }
      if (h.owner === lease.owner && await shouldYield(c, h, lease.owner, now)) {
        await releaseIdleHosts(c, [host], lease.owner); // now, or when its last claim here is written
        return { ...retry, remaining: await queued() };
      }
      if (h.owner !== lease.owner && await leaveToWanter(c, h, lease.owner, now)) return { ...retry, remaining: await queued() };
      if (h.owner !== lease.owner) {
        // A new owner: the last one's pace holds from when it let go (or its lease ran out), and no
        // request starts before the next start it recorded (a Retry-After) or its robots.txt retry time.
        const from = h.owner ? h.lease_until : h.released_at;
        const gap = Math.max(this.x.delayMs, h.crawl_delay_ms ?? 0, h.backoff_ms ?? 0);
        const readyAt = Math.max(from === null || gap === 0 ? 0 : Number(from) + gap, Number(h.next_at ?? 0), Number(h.robots_retry_at ?? 0));
        if (readyAt > now) return { entries: [], remaining: await queued(), busyUntil: readyAt };
        // Claims of owners whose lease ran out come back before this owner takes the host.
        await c.query('UPDATE frontier SET state = 0, owner = NULL, lease_until = NULL WHERE host = $1 AND state = 1 AND owner <> $2 AND lease_until < $3',
          [host, lease.owner, now]);
      }
      limit = await this.budget(c, host, limit);
      if (limit <= 0) return { entries: [], remaining: 0 }; // the run's budget is spent: nothing more to claim here
      const rows = (await c.query(`WITH picked AS (
          SELECT url_id FROM frontier WHERE host = $1 AND state = 0 ORDER BY depth, url_id LIMIT $2 FOR UPDATE),
        upd AS (UPDATE frontier f SET state = 1, owner = $3, lease_until = $4 FROM picked WHERE f.url_id = picked.url_id
          RETURNING f.url_id, f.depth, f.source, f.redirect_from, f.hops)
        SELECT upd.*, u.url, p.fetched_at, p.status, p.etag, p.last_modified, p.content_hash, p.last_ok_at, p.recrawl_interval_s, p.bytes
        FROM upd JOIN urls u ON u.id = upd.url_id LEFT JOIN pages p ON p.url_id = upd.url_id ORDER BY upd.depth, upd.url_id`,
      [host, limit, lease.owner, lease.until])).rows;
      // The host is this owner's only while it holds claims there (a write or release lets go).
      if (rows.length) {
        await c.query(`UPDATE hosts SET owner = $2, lease_until = $3, released_at = NULL,
          wanted_by = CASE WHEN wanted_by = $2 THEN NULL ELSE wanted_by END WHERE host = $1`, [host, lease.owner, lease.until]);
      }
      // A host changing hands carries the pacing its last owner recorded (savePacing).
      const handover = rows.length > 0 && h.owner !== lease.owner
        && (h.next_at !== null || h.crawl_delay_ms !== null || h.backoff_ms !== null || h.robots_retry_at !== null || h.robots_failures !== null);
      const pacing = handover ? {
        nextAt: Number(h.next_at ?? 0), crawlDelayMs: h.crawl_delay_ms === null ? null : Number(h.crawl_delay_ms), backoffMs: Number(h.backoff_ms ?? 0),
        robotsRetryAt: h.robots_retry_at === null ? null : Number(h.robots_retry_at), robotsFailures: Number(h.robots_failures ?? 0),
      } : undefined;
      return { entries: rows.map((r) => toEntry(r, host)), remaining: await queued(), ...(pacing ? { pacing } : {}) };
    });
  }

  /**
   * Records the pacing of hosts `owner` holds or last held (one statement; rows locked in host order).
   * A host another owner took meanwhile keeps that owner's record. The robots.txt retry state counts
   * within this run only (robots_run): the next run gets its own retries.
   */
  savePacing(owner: string, items: HostPacing[]): Promise<void> {
    const sorted = [...items].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
    return inTx(this.x.pool, this.x.location, async (c) => {
      await c.query(`UPDATE hosts h SET next_at = v.next_at, crawl_delay_ms = v.crawl_delay_ms, backoff_ms = v.backoff_ms,
          robots_retry_at = v.robots_retry_at, robots_failures = v.robots_failures, robots_run = $8
        FROM (SELECT * FROM unnest($1::text[], $2::bigint[], $3::int[], $4::int[], $5::bigint[], $6::int[])
          AS t(host, next_at, crawl_delay_ms, backoff_ms, robots_retry_at, robots_failures)) v
        WHERE h.host = v.host AND (h.owner = $7 OR h.owner IS NULL)`,
      [sorted.map((i) => i.host), sorted.map((i) => Math.round(i.nextAt)), sorted.map((i) => i.crawlDelayMs), sorted.map((i) => i.backoffMs),
        sorted.map((i) => (i.robotsRetryAt === null ? null : Math.round(i.robotsRetryAt))), sorted.map((i) => i.robotsFailures), owner, this.x.runId]);
    });
  }

  /**
   * How many entries of `host` may still be claimed under the run's global page budgets: pages
   * written plus claims held count against --max-pages, and this run's entries of the host against
   * --max-pages-per-host. Budget claims are serialized per run (an advisory lock) so that workers
   * claiming at once do not both spend the same remainder.
   */
  private async budget(c: pg.PoolClient, host: string, limit: number): Promise<number> {
    if (this.x.maxPages) {
      await c.query('SELECT pg_advisory_xact_lock($1, $2)', [BUDGET_LOCK, this.x.runId]);
      const used = (await c.query(`SELECT (SELECT coalesce(sum(pages), 0) FROM run_workers WHERE run_id = $1)
        + (SELECT count(*) FROM frontier WHERE state = 1) AS n`, [this.x.runId])).rows[0].n as number;
      limit = Math.min(limit, this.x.maxPages - used);
    }
    if (this.x.maxPagesPerHost) {
      // The host row is locked by the caller: one claim per host at a time.
      const used = (await c.query('SELECT count(*)::int AS n FROM frontier WHERE host = $1 AND state IN (1, 2)', [host])).rows[0].n as number;
      limit = Math.min(limit, this.x.maxPagesPerHost - used);
    }
    return limit;
  }

  /**
   * The heartbeat. Rows are locked in the order every transaction uses (frontier rows by url_id,
   * then run_workers, then hosts by host), one statement each: a single statement with data-modifying
   * CTEs locks in no set order and deadlocked against writes.
   */
  renew(lease: Lease): Promise<void> {
    return inTx(this.x.pool, this.x.location, async (c) => {
      await c.query(`UPDATE frontier f SET lease_until = $1 FROM (
        SELECT url_id FROM frontier WHERE owner = $2 AND state = 1 ORDER BY url_id FOR UPDATE) s WHERE f.url_id = s.url_id`, [lease.until, lease.owner]);
      await c.query('UPDATE run_workers SET last_seen_at = $2 WHERE owner = $1', [lease.owner, new Date().toISOString()]);
      await c.query(`UPDATE hosts h SET lease_until = $1 FROM (
        SELECT host FROM hosts WHERE owner = $2 ORDER BY host FOR UPDATE) s WHERE h.host = s.host`, [lease.until, lease.owner]);
    });
  }

  release(owner: string, urlIds: number[]): Promise<void> {
    if (!urlIds.length) return Promise.resolve();
    return inTx(this.x.pool, this.x.location, async (c) => {
      const r = await c.query(`UPDATE frontier f SET state = 0, owner = NULL, lease_until = NULL FROM (
        SELECT url_id FROM frontier WHERE url_id = ANY($1::bigint[]) AND owner = $2 AND state = 1 ORDER BY url_id FOR UPDATE) s
        WHERE f.url_id = s.url_id RETURNING f.host`, [urlIds, owner]);
      await releaseIdleHosts(c, [...countHosts(r.rows).keys()], owner);
    });
  }

  /**
   * Takes back claims and host leases that ran out before `now`, and answers the queued entries of
   * every host no live owner holds: the worker learns of work that a dead worker had queued.
   */
  requeueExpired(now: number): Promise<Map<string, number>> {
    return inTx(this.x.pool, this.x.location, async (c) => {
      await c.query(`UPDATE frontier f SET state = 0, owner = NULL, lease_until = NULL FROM (
        SELECT url_id FROM frontier WHERE state = 1 AND lease_until < $1 ORDER BY url_id FOR UPDATE) s WHERE f.url_id = s.url_id`, [now]);
      await c.query(`UPDATE hosts SET owner = NULL, released_at = lease_until, lease_until = NULL
        WHERE host IN (SELECT host FROM hosts WHERE owner IS NOT NULL AND lease_until < $1 ORDER BY host FOR UPDATE)`, [now]);
      const r = await c.query(`SELECT host, count(*)::int AS n FROM frontier f WHERE state = 0
        AND NOT EXISTS (SELECT 1 FROM hosts h WHERE h.host = f.host AND h.owner IS NOT NULL) GROUP BY host`);
      return new Map(r.rows.map((x) => [x.host as string, x.n as number]));
    });
  }
}

/** Entries queued and claims held by live owners in the run (QueuePort.pending). */
export async function pending(pool: pg.Pool, now: number): Promise<{ queued: number; leased: number }> {
  const r = await pool.query(`SELECT count(*) FILTER (WHERE state = 0)::int AS queued,
    count(*) FILTER (WHERE state = 1 AND lease_until >= $1)::int AS leased FROM frontier WHERE state < 2`, [now]);
  return r.rows[0];
}

export function countHosts(rows: { host: string }[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const { host } of rows) out.set(host, (out.get(host) ?? 0) + 1);
  return out;
}

function toEntry(r: Record<string, unknown>, host: string): FrontierEntry {
  return {
    urlId: r.url_id as number, url: r.url as string, host, depth: r.depth as number, source: r.source as UrlSource,
    redirectFrom: (r.redirect_from as number | null) ?? null, hops: r.hops as number,
    prior: r.fetched_at !== null ? {
      status: r.status as number | null, etag: r.etag as string | null, lastModified: r.last_modified as string | null,
      contentHash: r.content_hash as string | null, lastOkAt: r.last_ok_at as string | null,
      recrawlIntervalS: r.recrawl_interval_s as number | null, bytes: (r.bytes as number | null) ?? 0,
    } : null,
  };
}
