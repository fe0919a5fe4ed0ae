/**
 * Seeds are part of the run. The process that starts (or resumes) a run with a seed file streams it
 * into the frontier while it crawls, so the run opens to other workers at once; run_log records
 * that process as the seeder and whether its file is queued to the end. Until then the run is not
 * done: other workers wait while the seeder is alive (its heartbeat, by the server's clock, is
 * younger than the lease), and when it died mid-file the run ends interrupted ('seeds-incomplete'),
 * which the next `crawl --urls FILE` resumes, queuing the file again (URLs already queued are
 * ignored). Chosen over queuing every seed before the run opens: a 100M-line seed file would keep
 * every worker idle for as long as it takes to read.
 */
import type pg from 'pg';

/** 'none': every seed is queued; 'live': the seeder is still streaming; 'dead': it stopped before the end. */
export type SeedsLeft = 'none' | 'live' | 'dead';

/** `self`: the asking process; a seeder asking about its own seeds is stopping, so they count as 'dead'. */
export async function seedsOf(q: pg.Pool | pg.PoolClient, runId: number, leaseMs: number, self = ''): Promise<SeedsLeft> {
  const r = await q.query(`SELECT r.seeds_done, r.seeder IS DISTINCT FROM $3
      AND w.last_seen_at::timestamptz >= clock_timestamp() - $2 * interval '1 millisecond' AS alive
    FROM run_log r LEFT JOIN run_workers w ON w.run_id = r.id AND w.owner = r.seeder WHERE r.id = $1`, [runId, leaseMs, self]);
  const row = r.rows[0];
  if (!row || row.seeds_done) return 'none';
  return row.alive ? 'live' : 'dead';
}


