/**
 * The scheduler's per-host record and the shapes it hands out (./scheduler.ts keeps the logic).
 */
import type { FrontierEntry } from './types.js';

/** Pacing and limits the scheduler enforces. */
export interface SchedulerLimits {
  perHost: number;
  delayMs: number;
  maxCrawlDelayMs: number;
  maxPagesPerHost: number;
}

/** Per-host state. */
export interface HostState {
  host: string;
  /** Entries queued in the backend, not yet claimed (the backend's count). */
  queued: number;
  /** Claimed entries waiting for a slot (lowest depth first). */
  buffer: FrontierEntry[];
  /** Entries waiting for their own retry time (a transient failure), soonest first. */
  retries: { at: number; entry: FrontierEntry }[];
  inflight: number;
  /** Earliest time (ms) the next request to this host may start. */
  nextAt: number;
  /** robots.txt Crawl-delay for this host, ms (0 if none). */
  crawlDelayMs: number;
  /** Adaptive back-off after 429/503 or a run of failures, ms; decays on success. */
  backoffMs: number;
  /** Consecutive retryable failures. */
  failStreak: number;
  /** Fetches started this run (for --max-pages-per-host). */
  started: number;
  /** A claim from the backend is under way. */
  claiming: boolean;
  /** No claim before this time (ms): the host is leased to another worker. */
  claimAfter: number;
  /** robots.txt verdicts arrived for this host; until then one fetch at a time (Crawl-delay unknown). */
  robotsReady: boolean;
  /** robots.txt is unavailable (5xx/429) until this time, ms (0: not failing). */
  robotsRetryAt: number;
  /** Consecutive unavailable robots.txt answers, this owner's and those carried from earlier owners. */
  robotsFailures: number;
  /**
   * Shared runs: no fetch starts here after this time (performance.now(), ms): the host lease's end as
   * this worker last knew it to be renewed, less a margin. Infinity where hosts are not leased.
   */
  leaseDeadline: number;
  /** The host lease's length the backend granted, ms (0: hosts are not leased). */
  leaseMs: number;
  /** Connection failures made the host suspect: one request at a time (the probe) once its hold ends. */
  probing: boolean;
  /** Down for the rest of the run: its entries are handed out at once, unpaced, to be recorded unfetched. */
  down: boolean;
}

/** What next() hands out. */
export type Pick =
  | { kind: 'entry'; host: HostState; entry: FrontierEntry }
  | { kind: 'claim'; host: HostState }
  | { kind: 'wait'; untilMs: number | null };

/** How a started entry ended, for the limits and the back-off. */
export type Settled = 'fetched' | 'throttled' | 'failed' | 'unfetched' | 'requeued' | 'abandoned';
