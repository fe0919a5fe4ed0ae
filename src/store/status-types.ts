/**
 * What `crawl status` reports about a crawl database, the same shape for SQLite and PostgreSQL
 * (./sqlite/status.ts, ./postgres/status.ts build it; src/cli/commands/status.ts prints it). Every
 * count that could mean reading a whole table of a large crawl stops at {@link STATUS_COUNT_CAP}
 * and says so (`capped`), so the report costs the same on a 5M-URL frontier as on a small one.
 */

import type { RunCounters } from './types.js';

/** Counts in the report stop here: "10,000+" rather than a scan of the whole frontier. */
export const STATUS_COUNT_CAP = 10_000;

/** Rows of the expired-leases list (the count goes on, up to the cap). */
export const STATUS_LIST_LIMIT = 100;

/** A count that stops at {@link STATUS_COUNT_CAP}: `capped` means "at least `count`". */
export interface CappedCount {
  count: number;
  capped: boolean;
}

/** The run's counters, as `crawl runs` shows them (summed over the workers on PostgreSQL). */
export type RunTotals = RunCounters;

/** The last run: its row in `runs`, its totals and what its frontier has left. */
export interface RunStatusRun {
  id: number;
  /** running | done | interrupted | failed, as stored. */
  status: string;
  started_at: string;
  ended_at: string | null;
  stop_reason: string | null;
  resumes: number;
  totals: RunTotals;
  /** Entries waiting to be claimed. */
  queued: CappedCount;
  /** Entries claimed by a worker and not yet written. */
  claimed: CappedCount;
  /** Claims whose lease has run out (their owner is gone; another worker takes them back). */
  claims_expired: CappedCount;
}

/** One worker process of a shared run (PostgreSQL: a row of run_workers). */
export interface WorkerStatus {
  /** Lease owner id, host:pid:random. */
  owner: string;
  /** Machine and process id, from the owner id. */
  host: string;
  pid: number | null;
  /** When it joined the run (run_workers.joined_at). */
  started: string;
  /** Its last heartbeat (run_workers.last_seen_at). */
  last_heartbeat: string;
  /** Seconds from the last heartbeat to the report's time (the database server's clock). */
  heartbeat_age_s: number;
  /** Hosts it holds a lease on that has not run out. */
  hosts_held: number;
  /** Pages it wrote in this run. */
  pages: number;
  /** pages over the time from `started` to `last_heartbeat`. */
  pages_per_s: number;
}

/** A host lease whose owner is set but whose time has passed by the database server's clock. */
export interface ExpiredLease {
  host: string;
  owner: string;
  /** When the lease ran out (ISO 8601 UTC). */
  lease_until: string;
  /** Seconds since then. */
  expired_s: number;
}

/** SQLite: the crawl process holding the database's run lock, if any. */
export interface CrawlProcess {
  /** A crawl holds the run lock now (the operating system's lock, not a pid check). */
  running: boolean;
  /** Its process id and machine, from `<db>.lock.info` (null when the file is not written yet). */
  pid: number | null;
  host: string | null;
  since: string | null;
}

/** Everything `crawl status` prints. */
export interface RunStatusReport {
  backend: 'sqlite' | 'postgres';
  /** The time the report was taken: the database server's clock on PostgreSQL, this machine's on SQLite. */
  now: string;
  /** The last run, or null when the database has none. */
  run: RunStatusRun | null;
  /**
   * PostgreSQL: a worker whose last heartbeat is older than this (the run's --lease, capped by the
   * URL's crawl_lease_ms) and who holds no live host lease counts as gone.
   */
  lease_ms: number | null;
  /** PostgreSQL: workers of a running run with a recent heartbeat or a live host lease, oldest first. */
  workers: WorkerStatus[];
  /** PostgreSQL: workers of the run that stopped (cleanly or not) or stopped renewing. */
  gone_workers: WorkerStatus[];
  /** PostgreSQL: the first {@link STATUS_LIST_LIMIT} expired host leases, longest expired first. */
  expired_leases: ExpiredLease[];
  /** PostgreSQL: how many host leases have expired (up to the cap). */
  expired_leases_total: CappedCount;
  /** SQLite: the crawl process holding the database, if any. */
  process: CrawlProcess | null;
}
