/**
 * The frontier as the crawler sees it: what the loop asks (take, start, finish, counts, end of the
 * crawl) and the per-host pacing decisions the fetch handlers and the render pacer make. Frontier
 * (./frontier.ts) implements both over its scheduler; nothing outside src/frontier/ reaches the
 * scheduler itself, so its bookkeeping can change (or a test double stand in) behind these.
 */
import type { HostState, Settled } from './host-state.js';
import type { EnqueueItem, FrontierEntry } from './types.js';

export type { HostState, Settled } from './host-state.js';

/** An entry to fetch now, or when to look again (null: nothing to wait for). */
export type Next = { kind: 'entry'; host: HostState; entry: FrontierEntry } | { kind: 'wait'; untilMs: number | null };

/** What the crawl loop drives: take an entry, start and finish it, the counts, and the end-of-crawl questions. */
export interface LoopFrontier {
  /** A failed backend call (the crawl stops with it); null while all is well. */
  readonly failure: unknown;
  /** Fetches in flight now, every host together. */
  readonly inflight: number;
  /** Fetches started this run, every host together (for --max-pages). */
  readonly started: number;
  /** Claims are under way (their answers may bring work): the loop is not idle yet. */
  readonly claiming: boolean;
  /** Heartbeat: renews leases, takes back expired ones, records pacing; call on every turn. */
  tick(now: number): void;
  /** The next entry whose host is ready, or when to look again. */
  next(now: number): Next;
  /** A fetch of an entry of `h` starts now: counts it in flight, pacing runs from now. */
  start(h: HostState, now: number): void;
  /** A started entry settled (`how` decides whether it counts toward the limits and eases a back-off). */
  finish(h: HostState, how: Settled): void;
  /** True when no host has queued, buffered or waiting work. */
  empty(): boolean;
  /** Entries queued in the backend plus those held here, for progress display. */
  queued(): number;
  /** A stop: claims waiting for a slot are not started. */
  dropQueuedClaims(): void;
  /** Shared runs: whether this worker should wait for others rather than end. */
  othersBusy(now: number): Promise<boolean>;
}

/** Per-host pacing decisions: what a fetch's answer (or robots.txt's) does to its host. */
export interface PacingFrontier {
  /** The state of one host (created on first use): the render pacer paces sub-requests on it. */
  host(host: string): HostState;
  /** robots.txt is unavailable: no fetch to `h` before `untilMs`, and the failure is counted. */
  holdUntil(h: HostState, untilMs: number): void;
  /** Puts an entry back at the head of its host's buffer (robots.txt not ready). */
  requeue(h: HostState, entry: FrontierEntry): void;
  /** robots.txt answered for `h`: its Crawl-delay (capped) applies from `now`. */
  robotsKnown(h: HostState, crawlDelayMs: number | null, now: number): void;
  /** robots.txt failures already spent for `host` (earlier owners' included), for the robots gate. */
  robotsSpent(host: string): number;
  /** Connection failures made `h` suspect: no request before `until`, then one at a time. */
  suspend(h: HostState, until: number): void;
  /** A suspect host answered: its usual limits apply again. */
  answered(h: HostState): void;
  /** `h` is down for the rest of the run: its entries are handed out at once, to be recorded unfetched. */
  giveUp(h: HostState): void;
  /** 429/503: backs the whole host off (Retry-After when given, else doubling). */
  backOff(h: HostState, now: number, retryAfterMs?: number): void;
  /** A transient failure of one URL: it waits until `at`; a run of them (`countFailure`) backs the host off. */
  retryLater(h: HostState, entry: FrontierEntry, at: number, now: number, countFailure?: boolean): void;
}

/** The frontier a crawl's pipeline holds (CrawlContext): the loop's view, the pacing, and enqueue for found URLs. */
export interface CrawlFrontier extends LoopFrontier, PacingFrontier {
  /** Adds URLs (redirect targets, sitemap URLs) in one round trip; resolves to how many were new. */
  enqueue(items: EnqueueItem[]): Promise<number>;
}
