/**
 * Balancing pushed by the owner: a worker holding more hosts than balancing allows names, on its
 * own host rows, the live workers furthest below their share as the hosts' next owners (the want
 * columns: wanted_by, wanted_at, wanted_holds). From there the rules of ./balance.ts hand them over:
 * the owner claims there no more (shouldYield), its write lets go once its claims there are written,
 * the named worker is told by its next write, heartbeat or load (OFFERED) and claims at once, and
 * any other worker leaves the free host to it (leaveToWanter) for the want window.
 *
 * Before, a worker below its share asked owners for their hosts, host by host, and was refused until
 * an owner would give one up: with 1,000 hosts over 8 workers those asks were a third of the
 * database's transactions, every one of them a claim that got nothing.
 */
import type pg from 'pg';
import { freeHostsFor, heldBy, WANT_WINDOW_MS, WANTED_BY_OTHER, type FairShare } from './balance.js';
import { NOW_MS } from './clock.js';

/** How often an owner looks for hosts to give (each worker; when the fair share is recounted anyway). */
const GIVE_EVERY_MS = 5_000;
/** How often a worker's write takes free hosts up to its share, and at most how many at once. */
const TOP_UP_EVERY_MS = 2_000;
const TOP_UP_MAX = 1_000;

/** The live workers of a run other than `owner`, with the hosts each holds and those named for it (free or not yet let go). */
async function othersLoad(c: pg.PoolClient, runId: number, leaseMs: number, owner: string): Promise<{ owner: string; n: number }[]> {
  const r = await c.query(`SELECT w.owner,
      (SELECT count(*) FROM hosts h WHERE h.owner = w.owner AND h.lease_until >= ${NOW_MS})::int
      + (SELECT count(*) FROM hosts h WHERE h.wanted_by = w.owner AND h.wanted_at >= ${NOW_MS} - ${WANT_WINDOW_MS}
          AND h.owner IS DISTINCT FROM w.owner AND h.has_queue)::int AS n
    FROM run_workers w WHERE w.run_id = $1 AND w.owner <> $2
      AND w.last_seen_at::timestamptz >= clock_timestamp() - $3 * interval '1 millisecond'`, [runId, owner, leaseMs]);
  return r.rows as { owner: string; n: number }[];
}

export class Giver {
  private at = -Infinity;
  private toppedAt = -Infinity;

  /** The next write looks for hosts to give (a worker joined the run). */
  now(): void {
    this.at = -Infinity;
  }

  /**
   * The free hosts this worker may take now (balance.ts, freeHostsFor: reserved or given to it, and
   * its share of the rest, reserved now), at most every TOP_UP_EVERY_MS, for a worker of a shared run
   * below its share: a busy worker never loads (only an idle one does), and one holding a few hosts
   * stayed with them while a thousand hosts waited (2,000 hosts, 8 workers).
   */
  async topUp(c: pg.PoolClient, runId: number, leaseMs: number, share: FairShare, owner: string): Promise<string[]> {
    const t = performance.now();
    if (t - this.toppedAt < TOP_UP_EVERY_MS) return [];
    this.toppedAt = t;
    if ((await share.get(c, runId, leaseMs)) === Infinity) return [];
    return freeHostsFor(c, runId, leaseMs, share, owner, TOP_UP_MAX);
  }

  /**
   * Names the next owner of the hosts `owner` should give up: to the live worker holding (or promised)
   * fewest, while `owner` holds more than the fair share and it fewer, or `owner` holds at least two
   * more than it (a few hosts over more workers than their share fits: 4 hosts, 3 workers settle at
   * 2 / 1 / 1, and no host moves back and forth for a difference of one). Hosts with queued work are
   * given first. At most every GIVE_EVERY_MS; the counts are index ranges of the hosts held and named.
   * Answers the hosts given (the caller lets go at once of those where nothing is claimed any more).
   */
  async give(c: pg.PoolClient, runId: number, leaseMs: number, share: FairShare, owner: string): Promise<string[]> {
    const t = performance.now();
    if (t - this.at < GIVE_EVERY_MS) return [];
    const fair = await share.get(c, runId, leaseMs);
    if (fair === Infinity) return [];
    this.at = t;
    const holds = await heldBy(c, owner);
    if (holds < 2) return [];
    const given = (await c.query(`SELECT count(*)::int AS n FROM hosts WHERE owner = $1 AND ${WANTED_BY_OTHER.replace(/\$2/g, '$1')}`, [owner])).rows[0].n as number;
    const others = await othersLoad(c, runId, leaseMs, owner);
    let mine = holds - given;
    const to: string[] = [], toHolds: number[] = [];
    for (;;) {
      const least = others.reduce<{ owner: string; n: number } | null>((a, b) => (a === null || b.n < a.n ? b : a), null);
      if (!least || !((mine > fair && least.n < fair) || mine >= least.n + 2)) break;
      to.push(least.owner); toHolds.push(least.n);
      least.n++; mine--;
    }
    if (!to.length) return [];
    const hosts = (await c.query(`SELECT host FROM hosts WHERE owner = $1 AND lease_until >= ${NOW_MS} AND NOT ${WANTED_BY_OTHER.replace(/\$2/g, '$1')}
      ORDER BY has_queue DESC, host LIMIT $2 FOR UPDATE SKIP LOCKED`, [owner, to.length])).rows.map((r) => r.host as string);
    if (!hosts.length) return [];
    await c.query(`UPDATE hosts h SET wanted_by = v.w, wanted_at = ${NOW_MS}, wanted_holds = v.n
      FROM unnest($1::text[], $2::text[], $3::int[]) AS v(host, w, n) WHERE h.host = v.host AND h.owner = $4`,
    [hosts, to.slice(0, hosts.length), toHolds.slice(0, hosts.length), owner]);
    return hosts;
  }
}
