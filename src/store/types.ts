/**
 * The storage stage's ports. A backend (SQLite, memory or PostgreSQL; see docs/backends.md) implements RunLog,
 * ResultSink, RobotsCache and the frontier's QueuePort; the crawl loop only ever sees these
 * interfaces, chosen by openBackend() (./factory.ts). Every method is async and costs one round
 * trip per batch, because a backend may be across a network.
 */
import type { ErrorCode } from '../errors.js';
import type { EnqueueItem, FrontierEntry, QueuePort } from '../frontier/types.js';

export type { EnqueueItem, FrontierEntry, PriorFetch, UrlSource, Lease, Claim, QueuePort } from '../frontier/types.js';

/** Status of a run row. */
export type RunStatus = 'running' | 'done' | 'interrupted' | 'failed';

/** Why a run ended. */
/** Why a run ended; 'seeds-incomplete': the worker streaming its seed file stopped before the end (the run is resumable). */
export type StopReason = 'finished' | 'max-pages' | 'max-time' | 'signal' | 'aborted' | 'error' | 'superseded' | 'seeds-incomplete';

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

/** Adds one outcome to counters (the backend does the same with the outcomes it accepts). */
export function countOutcome(c: RunCounters, o: PageOutcome): void {
  c.pages++;
  c.bytes += o.notModified ? 0 : o.bytes;
  switch (o.change) {
    case 'new': c.new++; break;
    case 'changed': c.changed++; break;
    case 'unchanged': c.unchanged++; break;
    case 'gone': c.gone++; break;
    case 'redirect': c.redirects++; break;
    case 'disallowed': c.disallowed++; break;
    case 'error': c.errors++; break;
  }
}

export interface RunRow {
  id: number;
  startedAt: string;
  endedAt: string | null;
  status: RunStatus;
  stopReason: StopReason | null;
  /** JSON of the resolved options the run started with. */
  options: string;
  counters: RunCounters;
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
  /** Body bytes of this response (0 for a 304: the stored page keeps its last full size). */
  bytes: number;
  /** The answer was 304 Not Modified: the stored content stands. */
  notModified: boolean;
  durationMs: number;
  ttfbMs: number;
  attempts: number;
  errorCode: ErrorCode | null;
  errorMessage: string | null;
  etag: string | null;
  lastModified: string | null;
  noindex: boolean;
  nofollow: boolean;
  /** SHA-256 of the title and text of HTML, of the body bytes of anything else; null when not read. */
  contentHash: string | null;
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
    /** The tsvector of title and text, built by a parse thread with the backend's Backend.searchIndexer. */
    searchVector?: Uint8Array;
    extract: string | null;
  } | null;
  /**
   * The page's outgoing links as of this fetch (parsed HTML, a redirect's target, none for an error
   * status), replacing the stored ones; null when this fetch says nothing of them (304, network error).
   */
  links: LinkRecord[] | null;
  /** Links to add to the frontier (in scope, allowed by callbacks). */
  follow: EnqueueItem[];
  /** Next recrawl interval (adaptive recrawl), seconds. */
  recrawlIntervalS: number | null;
  /** With --warc: file and byte offset of this fetch's response record (unset: keep the stored ones). */
  warcFile?: string | null;
  warcOffset?: number | null;
  /** With --render: why the stored content is the DOM a browser rendered ('always', or 'auto:' and the signal); unset: as fetched. */
  rendered?: string | null;
}

/** One batch of finished work, written by ResultSink.write in one transaction. */
export interface OutcomeBatch {
  runId: number;
  /** The lease owner that claimed the entries: outcomes of entries it no longer holds are rejected. */
  owner: string;
  outcomes: PageOutcome[];
  /** Entries settled without a page row (fresh pages skipped on recrawl). */
  skipped: FrontierEntry[];
  /** Requests made since the last batch (retries, robots.txt and sitemaps included). */
  requests: number;
}

/** What a write did. */
export interface WriteResult {
  /** url ids of outcomes (and skips) not written: their claim was no longer this owner's. */
  rejected: number[];
  /** New frontier entries per host, from the accepted outcomes' links. */
  queuedByHost: Map<string, number>;
  /** Hosts this worker asked for that their owner has let go for it (shared runs): claim them now. */
  offered?: string[];
}

/** Cached robots.txt of one origin. */
export interface RobotsRecord {
  origin: string;
  /** ms since epoch. */
  fetchedAt: number;
  /** HTTP status. */
  status: number;
  body: string;
}

/** Outcomes of one run by status class ("2xx".."5xx", "none") and failures by error code. */
export interface RunBreakdown {
  byStatusClass: Record<string, number>;
  errorsByCode: Record<string, number>;
}

/** How a process took part in a run. */
export type RunMode = 'started' | 'resumed' | 'joined';

/** What RunLog.openRun did. */
export interface OpenedRunRow {
  run: RunRow;
  mode: RunMode;
  /** The run before this one when `mode` is 'started' (for recrawl and scope), else the run itself. */
  previous: RunRow | undefined;
}

/** Runs: started, resumed or joined atomically, finished once. */
export interface RunLog {
  /** The newest run, if any. */
  lastRun(): Promise<RunRow | undefined>;
  /**
   * Resumes the newest run if it is unfinished (running or interrupted), else starts a new one with
   * `optionsJson`; with `fresh`, an unfinished run is ended as interrupted and a new one started.
   * Starting drops the previous run's finished frontier entries and keeps unfetched ones. Atomic:
   * processes calling at once never start two runs. `seeding`: this process goes on to stream a seed
   * file into the run (shared runs record it: the run is not done until seedsQueued).
   */
  openRun(req: { optionsJson: string; owner: string; fresh?: boolean; seeding?: boolean }): Promise<OpenedRunRow>;
  /** Shared runs: the seed file `owner` streams is queued to its end. */
  seedsQueued?(runId: number, owner: string): Promise<void>;
  /**
   * Shared runs: whether seeds are still to come, from a live seeder ('live': wait for them) or from
   * one that stopped before the end ('dead': the run cannot be done; `crawl --urls FILE` resumes it).
   */
  seedsLeft?(runId: number): Promise<'none' | 'live' | 'dead'>;
  /** Ends a run (status and reason) unless it has already ended; true if this call ended it. */
  finishRun(runId: number, status: RunStatus, reason: StopReason): Promise<boolean>;
  /** A run's row (counters are the sums of every write's increments). */
  getRun(runId: number): Promise<RunRow | undefined>;
  summarize(runId: number): Promise<RunBreakdown>;
}

/** Results: batched writes, each one transaction with the run counters it changes. */
export interface ResultSink {
  /**
   * Writes pages, links, the frontier growth, page_runs and the counter increments of one batch in
   * one transaction; outcomes whose entry is no longer claimed by `batch.owner` are rejected.
   */
  write(batch: OutcomeBatch): Promise<WriteResult>;
}

/** What --render auto learned about one host and path prefix (src/render/learn.ts). */
export interface Verdict {
  /** "host/dir/dir/" */
  prefix: string;
  /** Samples whose signal fired, and those of them that rendering changed. */
  firedSamples: number;
  firedHelped: number;
  /** Samples with no signal, and those of them that rendering changed. */
  quietSamples: number;
  quietHelped: number;
}

/** Where verdicts live between runs (the backend's render_verdicts table). */
export interface VerdictStore {
  loadVerdicts(): Promise<Verdict[]>;
  saveVerdicts(rows: Verdict[]): Promise<void>;
}

/** robots.txt answers shared by every run and worker. */
export interface RobotsCache {
  getRobots(origin: string): Promise<RobotsRecord | undefined>;
  putRobots(rec: RobotsRecord): Promise<void>;
}

/**
 * A storage backend: every port in one object. One process writes through one backend; a backend
 * that supports several processes per run says so with `sharedRuns`.
 */
export interface Backend extends RunLog, QueuePort, ResultSink, RobotsCache {
  /** 'sqlite', 'memory', … */
  readonly kind: string;
  /** Where it stores (file path or URL without credentials), for messages. */
  readonly location: string;
  /**
   * Several processes may take part in one run (PostgreSQL): resuming keeps other owners' live
   * claims, hosts are leased to one owner at a time, and a run ends when the last worker leaves.
   */
  readonly sharedRuns?: boolean;
  /**
   * A module (file URL) the parse threads load to build each page's `content.searchVector`
   * (PostgreSQL: its tsvector, so its server need not); its default export is
   * `(title: string | null, text: string) => Uint8Array`. None: pages come without one.
   */
  readonly searchIndexer?: string;
  /** What --render auto learned per host and path prefix (render_verdicts), where the backend keeps it. */
  readonly verdicts?: VerdictStore;
  /** Share of its writer thread's time spent writing (0..1), where it has one. */
  utilization(): number;
  /** Finishes pending writes and closes. */
  close(): Promise<void>;
}
