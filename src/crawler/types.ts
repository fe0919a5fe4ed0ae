/** Types of the library API: callbacks in, run summary out. */
import type { ErrorCode } from '../errors.js';
import type { Backend, PageChange, RunCounters, RunStatus, StopReason } from '../store/types.js';
import type { HostDown } from './host-health.js';

export type { HostDown } from './host-health.js';

/** One stored page, as given to onPage. */
export interface PageEvent {
  url: string;
  depth: number;
  status: number | null;
  contentType: string | null;
  change: PageChange;
  title: string | null;
  /** Outgoing links found on the page. */
  links: number;
  /** With --render: why the page's content is the DOM a browser rendered ('always', or 'auto:' and the signal); null: as fetched. */
  rendered: string | null;
  bytes: number;
  durationMs: number;
  errorCode: ErrorCode | null;
  /** The custom extractor's result, if any. */
  extract?: unknown;
}

/** A URL that failed (network error, HTTP error status, robots, parse failure), as given to onError. */
export interface UrlErrorEvent {
  url: string;
  status: number | null;
  code: ErrorCode;
  message: string;
}

/** A discovered in-scope link, as given to onLink. */
export interface LinkEvent {
  from: string;
  url: string;
  anchor: string;
  rel: string | null;
  /** Depth the URL would be queued at; the frontier serves lower depths first. */
  depth: number;
}

/** A periodic snapshot for progress displays. */
export interface ProgressEvent {
  counters: RunCounters;
  queued: number;
  inflight: number;
  elapsedMs: number;
}

/** Callbacks of crawl(); all optional. */
export interface CrawlHooks {
  /** Called for every page outcome stored (fetched, redirected, failed). */
  onPage?: (page: PageEvent) => void;
  /** Called for every URL that failed. */
  onError?: (err: UrlErrorEvent) => void;
  /**
   * Called for each in-scope link (and redirect target, with rel "redirect") before it is queued:
   * return false to drop it, or a number to queue a link at that depth instead (lower is fetched
   * sooner; capped at --max-depth).
   */
  onLink?: (link: LinkEvent) => boolean | number | void;
  /** Called about four times a second. */
  onProgress?: (p: ProgressEvent) => void;
  /**
   * Called once when the run starts: whether it resumes an interrupted run, and notices for the user
   * (e.g. the seeds differ from the resumed run's).
   */
  onStart?: (info: { runId: number; resumed: boolean; joined: boolean; seeds: number; db: string; notices: string[] }) => void;
  /**
   * Called when a host is given up for the rest of the run (its robots.txt or repeated connections
   * got no answer): its remaining URLs are recorded HOST_DOWN, unfetched.
   */
  onHostDown?: (host: HostDown) => void;
  /** Aborting stops the crawl gracefully (in-flight work finishes within the grace period). */
  signal?: AbortSignal;
  /**
   * A backend to crawl into instead of the one `db` names (see docs/backends.md). It is not closed
   * by crawl(): the caller owns it.
   */
  backend?: Backend;
}

/** What crawl() resolves to. */
export interface RunSummary {
  runId: number;
  db: string;
  status: RunStatus;
  stopReason: StopReason;
  resumed: boolean;
  /** This process joined a run other workers were crawling (a shared database): `session` is its own part. */
  joined: boolean;
  elapsedMs: number;
  /** Pages per second of this process in this session (not counting earlier sessions of a resumed run). */
  pagesPerSecond: number;
  /** The run's counters: every session and worker of the run together. */
  counters: RunCounters;
  /** What this process did in this session. */
  session: RunCounters;
  /** This run's page outcomes by status class: "2xx" … "5xx", and "none" for no response. */
  byStatusClass: Record<string, number>;
  /** This run's failed URLs (`counters.errors`: outcome `error`) by error code; they add up to `counters.errors`. */
  errorsByCode: Record<string, number>;
  /** Share of wall time the main thread's event loop was busy (0..1). */
  eventLoopUtilization: number;
  /** Share of time the parse workers were busy (0..1). */
  workerUtilization: number;
  /** Share of time the SQLite writer thread was busy (0..1). */
  writerUtilization: number;
  /** Hosts given up for the rest of the run by this process: host, cause, and the URLs recorded HOST_DOWN. */
  hostsDown: HostDown[];
  /** Outcomes the backend refused because their lease had been lost (fetched again by its new holder). */
  rejected: number;
  /** Process exit code the CLI uses for this outcome. */
  exitCode: number;
}
