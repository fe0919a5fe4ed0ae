/**
 * Host balancing between the workers of a shared run. A host has one owner at a time, and an owner
 * keeps claiming its hosts for as long as they have work; so, without this, the first worker kept
 * every host of a small site set and the others waited the whole run (measured: 10,000 / 0 / 0 pages
 * over three workers on four hosts). Now a worker refused a host records that it wants it, with how
 * many hosts it holds. The owner, on its next claim there, gives the host up when it holds at least
 * two more hosts than the one asking (no more claims; it lets go as soon as its claims there are
 * written). A free host someone asked for goes to them unless the claimant holds fewer hosts than
 * they did, for a short while (WANT_WINDOW_MS). An owner lets go of a host whenever its claims
 * there are all written and takes it again with its next claim: so the same rule, after its
 * release, keeps a host with an owner that has only one more. Hosts do not bounce: four hosts over
 * three workers settle at 2 / 1 / 1.
 */
import type pg from 'pg';
import { NOW_MS } from './clock.js';

/** A want older than this is forgotten (the asking worker renews it every WANT_RETRY_MS until it gets the host). */
export const WANT_WINDOW_MS = 10_000;
/**
 * How soon a worker whose want was recorded asks again. It is told sooner when the owner lets the
 * host go (offeredTo: its next write or heartbeat): asking every 2 s until then was most of the
 * claims that got nothing (1,000 hosts, 8 workers).
 */
export const WANT_RETRY_MS = 8_000;
/** The same for a worker that holds no host yet (joining, or idle): no write of its own tells it sooner. */
export const IDLE_WANT_RETRY_MS = 2_000;
/** SQL: a host row another worker than parameter $2 asked for (or reserved) within the want window (wantedByOther in SQL). */
export const WANTED_BY_OTHER = `(wanted_by IS NOT NULL AND wanted_by <> $2 AND wanted_at >= ${NOW_MS} - ${WANT_WINDOW_MS})`;
/** How often a worker recounts the fair share (hosts held in the run over live workers). */
const SHARE_EVERY_MS = 5_000;

/**
 * The fair share: hosts with work in the run (held or queued) over its live workers (heartbeat younger than the lease),
 * rounded up; recounted every SHARE_EVERY_MS per worker (two index counts). With many hosts, wants
 * alone moved them slowly: each refused worker asked less often the more it held. A worker below the
 * share asks every 2 s, and an owner above the share gives a host up to a worker below it that asked.
 */
export class FairShare {
  private value = Infinity;
  private at = -Infinity;

  async get(c: pg.PoolClient, runId: number, leaseMs: number): Promise<number> {
    const t = performance.now();
    if (t - this.at < SHARE_EVERY_MS) return this.value;
    this.at = t;
    // Hosts with work, held or not: counting only those held dropped the share whenever hosts went idle for a moment.
    const r = (await c.query(`SELECT (SELECT count(*) FROM hosts WHERE owner IS NOT NULL OR has_queue)::int AS held,
      (SELECT count(*) FROM run_workers WHERE run_id = $1 AND last_seen_at::timestamptz >= clock_timestamp() - $2 * interval '1 millisecond')::int AS workers`,
    [runId, leaseMs])).rows[0];
    this.value = r.workers > 1 ? Math.ceil(r.held / r.workers) : Infinity;
    return this.value;
  }
}

/** The columns of the host row the balancing reads (selected FOR UPDATE by the claim). */
export interface WantState { wanted_at: number | null; wanted_by: string | null; wanted_holds: number | null }

/** Hosts `owner` holds now. */
export async function heldBy(c: pg.PoolClient, owner: string): Promise<number> {
  return (await c.query('SELECT count(*)::int AS n FROM hosts WHERE owner = $1', [owner])).rows[0].n as number;
}

/** Whether someone other than `owner` asked for the host within the window. */
function wantedByOther(h: WantState, owner: string, now: number): boolean {
  return h.wanted_by !== null && h.wanted_by !== owner && h.wanted_at !== null && h.wanted_at >= now - WANT_WINDOW_MS;
}

/**
 * `owner` was refused a host `h.owner` holds. Where that owner would give it up to `owner`
 * (shouldYield's rule: it holds two hosts more, or more than the fair share while `owner` holds
 * fewer), `owner` records its want, unless a worker holding fewer hosts asked first, and returns
 * how soon asking again pays (ms). Otherwise null: nothing recorded, no point asking.
 */
export async function recordWant(c: pg.PoolClient, host: string, h: WantState & { owner: string | null }, owner: string, now: number,
  share = Infinity): Promise<number | null> {
  const holds = await heldBy(c, owner);
  if (holds >= share) return null;
  const theirs = h.owner === null ? 0 : await heldBy(c, h.owner);
  if (theirs < holds + 2 && !(theirs > share)) return null;
  // A worker holding nothing has no write to be told by, only its heartbeat: it asks again sooner.
  const retry = holds === 0 ? IDLE_WANT_RETRY_MS : WANT_RETRY_MS;
  if (wantedByOther(h, owner, now) && (h.wanted_holds ?? 0) <= holds) return retry;
  // No more wants standing at once than the hosts it lacks (share - holds, at least one): a worker that
  // knew hundreds of hosts asked for each of them every 2 s, to get the few it needed.
  const standing = (await c.query('SELECT count(*)::int AS n FROM hosts WHERE wanted_by = $1 AND wanted_at >= $2 AND host <> $3',
    [owner, now - WANT_WINDOW_MS, host])).rows[0].n as number;
  if (standing >= Math.max(1, (share === Infinity ? 1 : share) - holds)) return null;
  await c.query('UPDATE hosts SET wanted_at = $2, wanted_by = $3, wanted_holds = $4 WHERE host = $1', [host, now, owner, holds]);
  return retry;
}

/**
 * The owner of the host should give it up: someone asked who holds at least two hosts fewer, or who
 * holds fewer than the fair share `share` while the owner holds more. Counted as they hold now, not
 * as when it asked: an idle worker's wants, recorded while it held nothing, took it past its share
 * once the first hosts had come (and back again: hosts went to and fro as a run drained).
 */
export async function shouldYield(c: pg.PoolClient, h: WantState, owner: string, now: number, share = Infinity): Promise<boolean> {
  if (!wantedByOther(h, owner, now)) return false;
  const held = await heldBy(c, owner), wanter = await heldBy(c, h.wanted_by!);
  return held >= wanter + 2 || (wanter < share && held > share);
}

/** A free host someone else asked for: `owner` leaves it to them unless it holds fewer hosts than they did. */
export async function leaveToWanter(c: pg.PoolClient, h: WantState, owner: string, now: number): Promise<boolean> {
  return wantedByOther(h, owner, now) && (await heldBy(c, owner)) >= (h.wanted_holds ?? 0);
}

/**
 * Hosts `owner` asked for whose owner has let them go for it (within the want window, with work
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
 * Of the hosts a write just queued entries on, those `owner` should ask for: those no other live
 * worker holds, and while it holds fewer hosts than the fair share, as many of the others as it
 * lacks among those whose owner would give them up (asking is how it gets its share). A host its
 * live owner keeps learns of the new work with the owner's next heartbeat; asking for it anyway was
 * most of the database's transactions (1,000 hosts, 8 workers: 13,026 claims that got nothing out of
 * 22,065 transactions, most for hosts another worker held). Owners' hosts are counted only while
 * `owner` is below the share, once per owner.
 *
 * A free host (no live owner) is reserved for the writer while it is below the share: its want goes
 * on the row, so the other workers whose writes link there leave it to the writer (leaveToWanter)
 * instead of all asking at once, one winning and the rest refused; a free host another worker
 * reserved is left to that worker. The reservation lasts the want window; the writer is told of it
 * (offeredTo) and claims it at once.
 */
export async function worthAsking(c: pg.PoolClient, runId: number, leaseMs: number, share: FairShare, owner: string,
  queued: Map<string, number>): Promise<Map<string, number>> {
  if (!queued.size) return queued;
  const fair = await share.get(c, runId, leaseMs);
  if (fair === Infinity) return queued;
  const rows = (await c.query(`SELECT host, owner, owner IS NOT NULL AND lease_until >= ${NOW_MS} AS live,
      ${WANTED_BY_OTHER} AS reserved
    FROM hosts WHERE host = ANY($1)`, [[...queued.keys()], owner])).rows as { host: string; owner: string | null; live: boolean; reserved: boolean }[];
  const held = rows.filter((x) => x.live && x.owner !== owner) as { host: string; owner: string }[];
  const free = rows.filter((x) => !x.live);
  const out = new Map(queued);
  const holds = await heldBy(c, owner);
  let room = fair - holds;
  for (const x of free) if (x.reserved) out.delete(x.host);
  const open = free.filter((x) => !x.reserved).map((x) => x.host).sort().slice(0, Math.max(0, room));
  if (open.length) {
    const r = await c.query(`UPDATE hosts h SET wanted_by = $2, wanted_at = ${NOW_MS}, wanted_holds = $3 FROM (
        SELECT host FROM hosts WHERE host = ANY($1) AND (owner IS NULL OR lease_until < ${NOW_MS}) ORDER BY host FOR UPDATE SKIP LOCKED) f
      WHERE h.host = f.host RETURNING h.host`, [open, owner, holds]);
    room -= r.rows.length;
  }
  if (!held.length) return out;
  const theirs = new Map<string, number>();
  if (room > 0) {
    const r = await c.query('SELECT owner, count(*)::int AS n FROM hosts WHERE owner = ANY($1) GROUP BY owner', [[...new Set(held.map((x) => x.owner))]]);
    for (const x of r.rows) theirs.set(x.owner as string, x.n as number);
  }
  // Below the share, the hosts whose owner would give them up (recordWant's rule), as many as it lacks.
  for (const { host, owner: o } of held) {
    const n = theirs.get(o) ?? 0;
    if (room > 0 && (n >= holds + 2 || n > fair)) room--;
    else out.delete(host);
  }
  return out;
}

/**
 * For an idle or starting worker that found `free` hosts no one holds: hosts other live workers hold
 * that it may ask for, as many as it lacks of the fair share, from owners that would give them up
 * (shouldYield's rule), the owners holding most first. Counts owners' hosts once (an index scan of
 * the held hosts), then reads a few rows per owner.
 */
export async function hostsToAskFor(c: pg.PoolClient, runId: number, leaseMs: number, share: FairShare, owner: string,
  free: number): Promise<string[]> {
  const fair = await share.get(c, runId, leaseMs);
  const holds = await heldBy(c, owner);
  let lack = (fair === Infinity ? 1 : fair) - holds - free;
  if (lack <= 0) return [];
  const owners = (await c.query(`SELECT owner, count(*)::int AS n FROM hosts WHERE owner IS NOT NULL AND owner <> $1 AND lease_until >= ${NOW_MS}
    GROUP BY owner ORDER BY n DESC, owner`, [owner])).rows as { owner: string; n: number }[];
  const out: string[] = [];
  for (const o of owners) {
    if (lack <= 0) break;
    if (o.n < holds + 2 && !(o.n > fair)) continue; // it would not give one up
    const take = Math.max(1, Math.min(lack, o.n - holds - 1));
    // Hosts with work queued first; one whose entries the owner holds all claimed will do too (it gives them back when it yields).
    const r = await c.query('SELECT host FROM hosts WHERE owner = $1 ORDER BY has_queue DESC, host LIMIT $2', [o.owner, take]);
    for (const x of r.rows) out.push(x.host as string);
    lack -= r.rows.length;
  }
  return out;
}
