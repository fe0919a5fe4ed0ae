/**
 * Host balancing between the workers of a shared run. A host has one owner at a time, and an owner
 * keeps claiming its hosts for as long as they have work; so, without balancing, the first worker kept
 * every host of a small site set and the others waited the whole run (measured: 10,000 / 0 / 0 pages
 * over three workers on four hosts). No worker asks another for a host:
 * - Free hosts are handed out by reservation (freeHostsFor, worthAsking): a worker takes as many as
 *   it lacks of the fair share, reserved on their rows (wanted_by) so that no two race for one.
 * - An owner above its share names the next owner of some of its hosts (./give.ts); on its next claim
 *   there it gives the host up (shouldYield), and lets go once its claims there are written.
 * - A reserved or given host is the named worker's for WANT_WINDOW_MS (leaveToWanter), and it is
 *   told (OFFERED).
 * Hosts do not bounce: a difference of one host moves nothing, so four hosts over three workers
 * settle at 2 / 1 / 1.
 */
import type pg from 'pg';
import { NOW_MS } from './clock.js';

/** A reservation or gift older than this is forgotten: a worker that did not take the host leaves it to anyone. */
export const WANT_WINDOW_MS = 10_000;
/** SQL: a host row reserved for, or given to, another worker than parameter $2 within the want window (wantedByOther in SQL). */
export const WANTED_BY_OTHER = `(wanted_by IS NOT NULL AND wanted_by <> $2 AND wanted_at >= ${NOW_MS} - ${WANT_WINDOW_MS})`;
/** SQL: a free host row (no live owner) that worker $2 reserved within the want window. */
const RESERVED_FOR = `(wanted_by = $2 AND wanted_at >= ${NOW_MS} - ${WANT_WINDOW_MS} AND (owner IS NULL OR lease_until < ${NOW_MS}))`;
/**
 * At most this many free hosts are reserved by one load: the share counted while workers are still
 * joining is too large (two live workers of eight: half the hosts), and the first to join took it.
 */
const RESERVE_AT_ONCE = 64;
/** How often a worker recounts the fair share (hosts held in the run over live workers). */
const SHARE_EVERY_MS = 5_000;

/**
 * The fair share: hosts with work in the run (held or queued) over its live workers (heartbeat younger than the lease),
 * rounded up; recounted every SHARE_EVERY_MS per worker (two index counts), and at the first write
 * after a worker joins (joined). With many hosts, wants
 * alone moved them slowly. A worker below the share takes free hosts up to it, and an owner above
 * the share gives hosts to the workers below it (./give.ts).
 */
export class FairShare {
  private value = Infinity;
  private at = -Infinity;
  private seen = 0;

  /**
   * `n` workers have joined the run so far (the write counts them): when one more joined, the share
   * is recounted at once and `giver` gives at once, rather than after up to SHARE_EVERY_MS and
   * GIVE_EVERY_MS (3 workers joining one that held 12 hosts waited ~10 s for theirs).
   */
  joined(n: number, giver: { now(): void }): void {
    if (n <= this.seen) return;
    this.seen = n;
    this.at = -Infinity;
    giver.now();
  }

  async get(c: pg.PoolClient, runId: number, leaseMs: number): Promise<number> {
    const t = performance.now();
    if (t - this.at < SHARE_EVERY_MS) return this.value;
    this.at = t;
    // Hosts with work, held or not: counting only those held dropped the share whenever hosts went idle for a moment.
    const r = (await c.query(`SELECT (SELECT count(*) FROM hosts WHERE owner IS NOT NULL OR has_queue)::int AS held,
      (SELECT count(*) FROM run_workers WHERE run_id = $1 AND last_seen_at::timestamptz >= clock_timestamp() - $2 * interval '1 millisecond')::int AS workers`,
    [runId, leaseMs])).rows[0];
    this.value = r.workers > 1 ? Math.max(1, Math.ceil(r.held / r.workers)) : Infinity; // at least one: a count taken before any work was queued said 0, and no worker took anything
    return this.value;
  }
}

/** The columns of the host row the balancing reads (selected FOR UPDATE by the claim). */
export interface WantState { wanted_at: number | null; wanted_by: string | null; wanted_holds: number | null }

/** Hosts `owner` holds now. */
export async function heldBy(c: pg.PoolClient, owner: string): Promise<number> {
  return (await c.query('SELECT count(*)::int AS n FROM hosts WHERE owner = $1', [owner])).rows[0].n as number;
}

/** Free hosts with queued work `owner` reserved within the want window (an index range of its wants). */
async function reservedFor(c: pg.PoolClient, owner: string): Promise<number> {
  return (await c.query(`SELECT count(*)::int AS n FROM hosts WHERE wanted_by = $1 AND wanted_at >= ${NOW_MS} - ${WANT_WINDOW_MS}
    AND (owner IS NULL OR lease_until < ${NOW_MS}) AND has_queue`, [owner])).rows[0].n as number;
}

/**
 * The free hosts with queued work (no live owner) `owner` may claim. Alone in the run (no finite
 * share): all of them, up to `limit`. Otherwise those it reserved, and as many more as it lacks of
 * the fair share, reserved now (SKIP LOCKED: two workers never reserve one host): each worker is
 * handed its own free hosts, rather than every worker reading them all and racing for each (1,000
 * hosts, 8 workers: most claims were then refused, the host taken or locked by another a moment before).
 */
export async function freeHostsFor(c: pg.PoolClient, runId: number, leaseMs: number, share: FairShare, owner: string, limit: number): Promise<string[]> {
  const fair = await share.get(c, runId, leaseMs);
  const freeNow = `has_queue AND (owner IS NULL OR (owner <> $2 AND lease_until < ${NOW_MS}))`;
  if (fair === Infinity) {
    return (await c.query(`SELECT host FROM hosts WHERE ${freeNow} AND NOT ${WANTED_BY_OTHER} ORDER BY host LIMIT $1`, [limit, owner]))
      .rows.map((r) => r.host as string);
  }
  const mine = (await c.query(`SELECT host FROM hosts WHERE ${RESERVED_FOR} AND has_queue ORDER BY host LIMIT $1`, [limit, owner]))
    .rows.map((r) => r.host as string);
  const holds = await heldBy(c, owner);
  const room = Math.min(limit - mine.length, fair - holds - mine.length, RESERVE_AT_ONCE);
  if (room <= 0) return mine;
  const r = await c.query(`UPDATE hosts h SET wanted_by = $2, wanted_at = ${NOW_MS}, wanted_holds = $3 FROM (
      SELECT host FROM hosts WHERE ${freeNow} AND (wanted_by IS NULL OR wanted_at < ${NOW_MS} - ${WANT_WINDOW_MS})
      ORDER BY host LIMIT $1 FOR UPDATE SKIP LOCKED) f
    WHERE h.host = f.host RETURNING h.host`, [room, owner, holds]);
  return [...mine, ...r.rows.map((x) => x.host as string)];
}

/** Whether the host is reserved for, or given to, someone other than `owner` within the window. */
function wantedByOther(h: WantState, owner: string, now: number): boolean {
  return h.wanted_by !== null && h.wanted_by !== owner && h.wanted_at !== null && h.wanted_at >= now - WANT_WINDOW_MS;
}

/**
 * The owner of the host should give it up: it named another worker as the host's next owner
 * (./give.ts), and that worker still holds at least two hosts fewer, or fewer than the fair share
 * `share` while the owner holds more. Counted as they hold now: a worker that got other hosts
 * meanwhile does not take this one too (hosts went to and fro as a run drained).
 */
export async function shouldYield(c: pg.PoolClient, h: WantState, owner: string, now: number, share = Infinity): Promise<boolean> {
  if (!wantedByOther(h, owner, now)) return false;
  const held = await heldBy(c, owner), wanter = await heldBy(c, h.wanted_by!);
  return held >= wanter + 2 || (wanter < share && held > share);
}

/** A free host reserved for, or given to, someone else: `owner` leaves it to them unless it holds fewer hosts than they did. */
export async function leaveToWanter(c: pg.PoolClient, h: WantState, owner: string, now: number): Promise<boolean> {
  return wantedByOther(h, owner, now) && (await heldBy(c, owner)) >= (h.wanted_holds ?? 0);
}

/**
 * Hosts given to `owner` whose owner has let them go for it (within the want window, with work
 * queued): an index range of its own wants. The write and the heartbeat answer them, and the
 * frontier claims them at once.
 */
export const OFFERED = `SELECT host FROM hosts WHERE wanted_by = $1 AND wanted_at >= ${NOW_MS} - ${WANT_WINDOW_MS} AND owner IS NULL AND has_queue`;

export async function offeredTo(c: pg.PoolClient | pg.Pool, owner: string): Promise<string[]> {
  return (await c.query(OFFERED, [owner])).rows.map((r) => r.host as string);
}

/** v12 of the schema: a worker's standing wants are counted (recordWant). */
export const WANTS_INDEX = 'CREATE INDEX IF NOT EXISTS hosts_wanted ON hosts(wanted_by, wanted_at) WHERE wanted_by IS NOT NULL';

/** v3 of the schema: the want columns and the index that counts an owner's hosts. */
export const BALANCE_MIGRATION = `
  ALTER TABLE hosts ADD COLUMN wanted_at BIGINT, ADD COLUMN wanted_by TEXT, ADD COLUMN wanted_holds INTEGER;
  CREATE INDEX hosts_owner ON hosts(owner) WHERE owner IS NOT NULL;
`;

/**
 * Of the hosts a write just queued entries on, those the writer may claim: its own, and the free
 * ones reserved for it, now or before (as many as it lacks of the fair share). A host another live
 * worker holds learns of the new work with its owner's next heartbeat; a free host another worker
 * reserved is left to that worker. The writer is told of its reservations (offeredTo) and claims
 * them at once.
 */
export async function worthAsking(c: pg.PoolClient, runId: number, leaseMs: number, share: FairShare, owner: string,
  queued: Map<string, number>): Promise<Map<string, number>> {
  if (!queued.size) return queued;
  const fair = await share.get(c, runId, leaseMs);
  if (fair === Infinity) return queued;
  const rows = (await c.query(`SELECT host, owner, owner IS NOT NULL AND lease_until >= ${NOW_MS} AS live,
      ${WANTED_BY_OTHER} AS reserved, ${RESERVED_FOR} AS mine
    FROM hosts WHERE host = ANY($1)`, [[...queued.keys()], owner])).rows as { host: string; owner: string | null; live: boolean; reserved: boolean; mine: boolean }[];
  const held = rows.filter((x) => x.live && x.owner !== owner) as { host: string; owner: string }[];
  const free = rows.filter((x) => !x.live && x.owner !== owner);
  const out = new Map(queued);
  const holds = await heldBy(c, owner);
  const room = fair - holds - await reservedFor(c, owner);
  // A free host is worth claiming only when reserved for the writer: the others are left to the
  // workers below their share (hundreds of workers' claims for hosts another had just taken, or had
  // locked at that moment, were most of the refused claims: 1,000 hosts, 8 workers).
  for (const x of free) if (!x.mine) out.delete(x.host);
  const open = free.filter((x) => !x.reserved && !x.mine).map((x) => x.host).sort().slice(0, Math.max(0, room));
  if (open.length) {
    const r = await c.query(`UPDATE hosts h SET wanted_by = $2, wanted_at = ${NOW_MS}, wanted_holds = $3 FROM (
        SELECT host FROM hosts WHERE host = ANY($1) AND (owner IS NULL OR lease_until < ${NOW_MS}) ORDER BY host FOR UPDATE SKIP LOCKED) f
      WHERE h.host = f.host RETURNING h.host`, [open, owner, holds]);
    for (const x of r.rows) out.set(x.host as string, queued.get(x.host as string)!);
  }
  for (const x of held) out.delete(x.host); // its owner gives hosts away when balancing needs it (./give.ts): no asking
  return out;
}
