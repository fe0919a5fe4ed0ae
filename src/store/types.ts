/**
 * The storage stage's contract. The crawl loop talks only to these interfaces, so a PostgreSQL
 * store (shared frontier for multi-machine crawls) can slot in later; hence every method is async
 * even though the SQLite implementation answers synchronously.
 */
import type { ErrorCode } from '../errors.js';

/** How a URL entered the frontier. */
export type UrlSource = 'seed' | 'link' | 'redirect' | 'sitemap' | 'recrawl';

/** Status of a run row. */
export type RunStatus = 'running' | 'done' | 'interrupted' | 'failed';

/** Why a run ended. */
export type StopReason = 'finished' | 'max-pages' | 'max-time' | 'signal' | 'aborted' | 'error';

/** What one run did to one page (page_runs.change). */
export type PageChange = 'new' | 'changed' | 'unchanged' | 'gone' | 'redirect' | 'error' | 'disallowed';

/** Counters kept per run (runs table) and printed in the summary. */
export interface RunCounters {
  /** URLs that got a final outcome this run (fetched, failed, disallowed). */
  pages: number;
  /** HTTP attempts, retries and robots.txt / sitemap requests included. */
  requests: number;
  new: number;
  changed: number;
  unchanged: number;
  gone: number;
  redirects: number;
  errors: number;
  disallowed: number;
  /** Fresh pages not refetched (last successful fetch inside --recrawl-after). */
  skipped: number;
  bytes: number;
}

export function emptyCounters(): RunCounters {
  return { pages: 0, requests: 0, new: 0, changed: 0, unchanged: 0, gone: 0, redirects: 0, errors: 0, disallowed: 0, skipped: 0, bytes: 0 };
}

export interface RunRow {
  id: number;
  startedAt: string;
  endedAt: string | null;
  status: RunStatus;
  stopReason: StopReason | null;
  /** JSON of the resolved options the run started with (seeds included). */
  options: string;
  counters: RunCounters;
}

/** A URL to add to the current run's frontier (ignored if already there this run). */
export interface EnqueueItem {
  url: string;
  host: string;
  depth: number;
  source: UrlSource;
  /** url_id of the page that redirected here, for redirect chains. */
  redirectFrom?: number;
  /** Redirect hops so far (0 for ordinary URLs). */
  hops?: number;
  /** <lastmod> from a sitemap, ISO 8601. */
  lastmod?: string;
}

/** What the store knows of a page from earlier fetches: drives conditional requests and recrawl. */
export interface PriorFetch {
  status: number | null;
  etag: string | null;
  lastModified: string | null;
  contentHash: string | null;
  /** ISO time of the last 2xx/304, or null. */
  lastOkAt: string | null;
  recrawlIntervalS: number | null;
}

/** A frontier entry claimed for fetching. */
export interface FrontierEntry {
  urlId: number;
  url: string;
  host: string;
  depth: number;
  source: UrlSource;
  redirectFrom: number | null;
  hops: number;
  /** Present when the URL was fetched in an earlier run. */
  prior: PriorFetch | null;
}

/** A link found on a page. */
export interface LinkRecord {
  url: string;
  host: string;
  anchor: string;
  rel: string | null;
}

/** Everything learned from handling one frontier entry; written in one batched transaction. */
export interface PageOutcome {
  entry: FrontierEntry;
  change: PageChange;
  fetchedAt: string;
  finalUrl: string | null;
  redirectTo: string | null;
  status: number | null;
  contentType: string | null;
  encoding: string | null;
  bytes: number;
  durationMs: number;
  ttfbMs: number;
  attempts: number;
  errorCode: ErrorCode | null;
  errorMessage: string | null;
  etag: string | null;
  lastModified: string | null;
  noindex: boolean;
  nofollow: boolean;
  /** Parsed content; null when the body was not parsed (error, 304, non-HTML). */
  content: {
    title: string | null;
    description: string | null;
    canonical: string | null;
    lang: string | null;
    h1: string | null;
    metaRobots: string | null;
    /** UTF-8 bytes of the visible text (see ParseOk.text). */
    text: Uint8Array;
    wordCount: number;
    contentHash: string;
    extract: string | null;
  } | null;
  /** All outgoing links (stored in links, replacing this page's earlier links). */
  links: LinkRecord[];
  /** Links to add to the frontier (in scope, allowed by callbacks). */
  follow: EnqueueItem[];
  /** Next recrawl interval (adaptive recrawl), seconds. */
  recrawlIntervalS: number | null;
}

/** Result of a flush: frontier growth per host, so the scheduler can keep its counts. */
export interface FlushResult {
  queuedByHost: Map<string, number>;
}

/** Cached robots.txt of one origin. */
export interface RobotsRecord {
  origin: string;
  /** ms since epoch. */
  fetchedAt: number;
  /** HTTP status, or 0 for network failure. */
  status: number;
  body: string;
}

/**
 * The crawl's persistent state: runs, frontier, pages, links, robots cache.
 * One writer at a time (the run lock guarantees it); readers may use the database concurrently.
 */
export interface Store {
  /** The newest run, if any. */
  lastRun(): Promise<RunRow | undefined>;
  /** Starts a new run: finished frontier entries from the previous run are dropped, unfetched ones kept. */
  startRun(optionsJson: string): Promise<number>;
  /** Re-opens an interrupted run: entries claimed but not finished go back to the queue. */
  resumeRun(runId: number): Promise<void>;
  finishRun(runId: number, status: RunStatus, reason: StopReason, counters: RunCounters): Promise<void>;
  saveCounters(runId: number, counters: RunCounters): Promise<void>;

  /** Adds URLs to the frontier (this run); returns how many were new per host. Written at once. */
  enqueue(items: EnqueueItem[]): Promise<Map<string, number>>;
  /**
   * Adds pages due for refetch (last success older than `olderThan`, or never successful) to the
   * frontier; with `adaptive`, a page's own interval decides. Returns new entries per host.
   */
  enqueueDue(olderThan: string, adaptive: boolean, now: string): Promise<Map<string, number>>;
  /** Queued entries per host. */
  queuedByHost(): Promise<Map<string, number>>;
  /** Claims up to `limit` queued entries of a host, lowest depth first. */
  claim(host: string, limit: number): Promise<FrontierEntry[]>;
  /** Marks a claimed entry done without a page row (e.g. a fresh page skipped on recrawl). */
  skip(entry: FrontierEntry): Promise<void>;

  /**
   * Buffers an outcome; it is written by the next flush (automatic when the batch is full). The
   * store owns the outcome from then on: the threaded SQLite store moves `content.text`'s bytes to
   * its thread, leaving the caller's array empty.
   */
  record(outcome: PageOutcome): void;
  /** Number of outcomes buffered and not yet written. */
  pending(): number;
  /** Writes buffered outcomes in one transaction. */
  flush(): Promise<FlushResult>;

  /** This run's outcomes by status class ("2xx".."5xx", "none") and failures by error code. */
  summarize(runId: number): Promise<{ byStatusClass: Record<string, number>; errorsByCode: Record<string, number> }>;

  getRobots(origin: string): Promise<RobotsRecord | undefined>;
  putRobots(rec: RobotsRecord): Promise<void>;

  /** Flushes and closes. */
  close(): Promise<void>;
}
