/**
 * Search indexing off the write path. Every page write adds its tsvector's words to the GIN index
 * `pages_search`; PostgreSQL first appends them to the index's pending list and merges that list
 * into the index when it outgrows `gin_pending_list_limit`, inside whichever insert crossed it. At
 * 4 MB (the default) that was every few batches of a crawl, and the batch that paid waited for the
 * merge (write p99 780 ms on a 1M-URL frontier). Schema v7 raises the limit to 64 MB, and a worker
 * that wrote pages merges the list every second in a session of its own, one worker at a time (an
 * advisory lock): the writes only append (bench/results/2026-12-07-pg-scale-merge-ab.md). Searches
 * read the short pending list as they read the index. A worker closing merges what is left.
 */
import type pg from 'pg';
import { openPool } from './db.js';

/** Advisory lock: one worker merges at a time (the others skip their turn). */
export const MERGE_LOCK = 7_340_004;
/** How often a worker that wrote pages merges the pending list. */
const MERGE_EVERY_MS = 1_000;

export class SearchMerger {
  private readonly pool: pg.Pool;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private running: Promise<void> | null = null;
  /** Set when the server refuses the merge (not the index's owner): the inserts merge as before. */
  private off = false;

  constructor(connection: string) {
    this.pool = openPool(connection, 1, 'crawl-index');
  }

  /** A write added pages: merge within MERGE_EVERY_MS. */
  wrote(): void {
    if (this.off) return;
    this.dirty = true;
    this.timer ??= setTimeout(() => { this.timer = undefined; void this.merge(); }, MERGE_EVERY_MS).unref();
  }

  /** Merges now if pages were written since the last merge (skipped while another worker merges). */
  merge(): Promise<void> {
    if (this.running || !this.dirty || this.off) return this.running ?? Promise.resolve();
    this.dirty = false;
    this.running = (async () => {
      let c: pg.PoolClient;
      try { c = await this.pool.connect(); } catch { this.dirty = true; this.running = null; return; }
      try {
        if (!(await c.query('SELECT pg_try_advisory_lock($1) AS ok', [MERGE_LOCK])).rows[0].ok) return;
        try {
          await c.query("SELECT gin_clean_pending_list('pages_search')");
        } finally {
          await c.query('SELECT pg_advisory_unlock($1)', [MERGE_LOCK]);
        }
      } catch (err) {
        // 42501: not the index's owner. Anything else (a lost connection) waits for the next turn.
        if ((err as { code?: string }).code === '42501') this.off = true;
        else this.dirty = true;
      } finally {
        c.release();
        this.running = null;
      }
    })();
    return this.running;
  }

  /** Merges what is left, then closes the session. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.merge().catch(() => {});
    await this.pool.end().catch(() => {});
  }
}
