/**
 * What the PostgreSQL frontier's statements share: the queue's context, and the host-row steps a
 * claim (./claim.ts), a write (./write.ts) and the queue (./queue.ts) all take.
 */
import type pg from 'pg';
import { WANTED_BY_OTHER, type FairShare } from './balance.js';
import type { Giver } from './give.js';
import { NOW_MS } from './clock.js';

/** What the queue needs from the backend: its pools, its name for messages, the run's pacing. */
export interface QueueContext {
  pool: pg.Pool;
  /** A pool of one connection for the heartbeat alone: it never waits for a connection behind claims and writes. */
  beat: pg.Pool;
  location: string;
  /** The open run (new URLs record it). */
  runId: number;
  /** The run's --delay, ms: the least gap a new host owner keeps from the last one. */
  delayMs: number;
  /** The run's --max-pages and --max-pages-per-host (0: none), global budgets over every worker. */
  maxPages: number;
  maxPagesPerHost: number;
  /** The run's lease (--lease), ms: how long a worker's host stays its own without a heartbeat. */
  leaseMs: number;
  /** The run's fair share of hosts per worker, recounted now and then (balance.ts). */
  share: FairShare;
  /** This worker's balancing: the hosts it holds beyond its share, named for the workers below it (give.ts). */
  giver: Giver;
  /** BEGIN with the session limits sized to the run's lease (clock.ts). */
  begin: string;
}

/**
 * Lets go of this owner's hosts where it holds no claim any more. With `done`, only hosts with
 * nothing queued, or given to another worker within the want window (balancing: the owner
 * stopped claiming there, and the host goes as soon as its last claims are written): a host with
 * work stays with its owner between claims (stable assignment; letting go after every batch made
 * hosts change owner 85 times in 195 s between two workers), and changes hands only when its owner
 * dies or balancing moves it (balance.ts, give.ts). The host rows are
 * locked first (in host order: no deadlocks), in a statement of their own: a claim of the same owner
 * that committed meanwhile is then visible to the check, which a single statement's snapshot would miss.
 */
export async function releaseIdleHosts(c: pg.PoolClient, hosts: string[], owner: string, done = false): Promise<void> {
  if (!hosts.length) return;
  // Wanted: by another worker within the window, that still holds at least two hosts fewer (shouldYield's first rule, counted now).
  const wanted = `${WANTED_BY_OTHER}
    AND (SELECT count(*) FROM hosts o WHERE o.owner = $2) >= (SELECT count(*) FROM hosts w WHERE w.owner = hosts.wanted_by) + 2`;
  const locked = await c.query(`SELECT host FROM hosts WHERE host = ANY($1) AND owner = $2 ${done ? `AND (NOT has_queue OR ${wanted})` : ''}
    ORDER BY host FOR UPDATE`, [hosts, owner]);
  if (!locked.rows.length) return;
  await c.query(`UPDATE hosts h SET owner = NULL, lease_until = NULL, released_at = ${NOW_MS}
    WHERE h.host = ANY($1) AND h.owner = $2 AND NOT EXISTS (SELECT 1 FROM frontier f WHERE f.host = h.host AND f.owner = $2 AND f.state = 1)`,
  [locked.rows.map((r) => r.host), owner]);
}

/**
 * Marks hosts as having queued entries. Hosts already marked are filtered out by a read first:
 * an upsert locks every row it meets, and links to busy hosts would then wait on their owners.
 */
export async function markQueued(c: pg.PoolClient, hosts: Iterable<string>): Promise<void> {
  const list = [...new Set(hosts)].sort();
  if (!list.length) return;
  await c.query(`INSERT INTO hosts (host, has_queue) SELECT h, true FROM unnest($1::text[]) AS t(h)
    WHERE NOT EXISTS (SELECT 1 FROM hosts x WHERE x.host = t.h AND x.has_queue)
    ON CONFLICT (host) DO UPDATE SET has_queue = true`, [list]);
}

