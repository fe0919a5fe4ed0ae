/**
 * The run's page budgets as counters, never as counts of the queue.
 *
 * --max-pages: `run_log.budget_spent` = outcomes written in the run + entries claimed now. A claim
 * adds what it took, in its own transaction, after reading the remainder without a lock; the counter
 * row is locked from that update to the claim's commit (two short statements), not for the whole
 * claim: before, every claim of the run took one advisory lock and counted every claimed entry.
 * Where two claims spend the same remainder at once, the later one gives back the excess in the same
 * transaction, so the budget is exact. Everything that returns claimed entries to the queue, or
 * completes them without a page, gives them back: a release, a lease expiry, a takeover of the host,
 * a write's skipped entries.
 *
 * --max-pages-per-host: `hosts.budget_used` (with `budget_run`, the run it counts for) = claims of
 * that host in the run, given back by the same steps.
 */
import type pg from 'pg';

/** What the counters need to know of the run (QueueContext has it). */
export interface RunBudgets { runId: number; maxPages: number; maxPagesPerHost: number }

/** v13 of the schema: the --max-pages counter, set for an unfinished run from what it wrote and what is claimed. */
export async function budgetMigration(c: pg.PoolClient): Promise<void> {
  await c.query('ALTER TABLE run_log ADD COLUMN IF NOT EXISTS budget_spent BIGINT NOT NULL DEFAULT 0');
  const last = (await c.query("SELECT id FROM run_log WHERE id = (SELECT max(id) FROM run_log) AND status IN ('running', 'interrupted')")).rows[0];
  if (last) await recount(c, Number(last.id));
}

/** The run's --max-pages remainder as last committed (no lock: spend() has the last word). */
export async function budgetLeft(c: pg.PoolClient, b: RunBudgets): Promise<number> {
  if (!b.maxPages) return Infinity;
  const r = await c.query('SELECT budget_spent FROM run_log WHERE id = $1', [b.runId]);
  return b.maxPages - Number(r.rows[0]?.budget_spent ?? 0);
}

/**
 * Adds `claimed` entries to the run's spent budget and answers how many of them are over it (the
 * caller gives those back in the same transaction). `claimed` may be negative (a takeover took back
 * more than it claimed).
 */
export async function spend(c: pg.PoolClient, b: RunBudgets, claimed: number): Promise<number> {
  if (!b.maxPages || claimed === 0) return 0;
  const r = await c.query('UPDATE run_log SET budget_spent = greatest(0, budget_spent + $2) WHERE id = $1 RETURNING budget_spent', [b.runId, claimed]);
  const over = Math.min(claimed, Number(r.rows[0]?.budget_spent ?? 0) - b.maxPages);
  if (over <= 0) return 0;
  await c.query('UPDATE run_log SET budget_spent = budget_spent - $2 WHERE id = $1', [b.runId, over]);
  return over;
}

/** Entries given back (per host): they leave both budgets. */
export async function giveBack(c: pg.PoolClient, b: RunBudgets, back: Map<string, number>): Promise<void> {
  if (!back.size) return;
  if (b.maxPagesPerHost) {
    const hosts = [...back.keys()].sort();
    await c.query(`UPDATE hosts h SET budget_used = greatest(0, h.budget_used - v.n) FROM unnest($1::text[], $2::int[]) AS v(host, n)
      WHERE h.host = v.host AND h.budget_run = $3`, [hosts, hosts.map((h) => back.get(h)), b.runId]);
  }
  let n = 0;
  for (const k of back.values()) n += k;
  await spend(c, b, -n);
}

/** Resets the run's counter from what it wrote and what is claimed now (a run resumed with no live worker). */
export async function recount(c: pg.PoolClient, runId: number): Promise<void> {
  await c.query(`UPDATE run_log SET budget_spent = coalesce((SELECT sum(pages) FROM run_workers WHERE run_id = $1), 0)
    + (SELECT count(*) FROM (SELECT 1 FROM frontier WHERE state = 1 ORDER BY host, owner) q) WHERE id = $1`, [runId]);
}
