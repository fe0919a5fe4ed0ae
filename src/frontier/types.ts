/**
 * The frontier stage's types and its port to the backend (QueuePort). The queue itself lives in the
 * backend (SQL, bounded memory, shared by every worker of a run); the stage keeps pacing state and a
 * small claimed buffer per host in memory (./frontier.ts, ./scheduler.ts).
 */

/** How a URL entered the frontier. */
export type UrlSource = 'seed' | 'link' | 'redirect' | 'sitemap' | 'recrawl';

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

/** What the backend knows of a page from earlier fetches: drives conditional requests and recrawl. */
export interface PriorFetch {
  status: number | null;
  etag: string | null;
  lastModified: string | null;
  contentHash: string | null;
  /** ISO time of the last 2xx/304, or null. */
  lastOkAt: string | null;
  recrawlIntervalS: number | null;
  /** Size of the last full (non-304) response body, bytes. */
  bytes: number;
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
  /**
   * Backends that lease hosts: the host lease's epoch this entry was claimed under (fencing). A write
   * is accepted only while the entry is still claimed under it.
   */
  epoch?: number;
}

/**
 * Who holds claimed entries, and until when. Every claim carries one; a completion is accepted only
 * from the owner of a claim that has not been taken back (QueuePort.requeueExpired).
 */
export interface Lease {
  /** Unique per worker process (host, pid and a random part). */
  owner: string;
  /** Expiry, ms since epoch. */
  until: number;
}

/**
 * Claims count what stays queued up to this many: counting a host's whole queue cost 63 ms per claim
 * at 1M queued entries (SQLite), 0.6 ms up to the cap. A count at the cap means "this many or more".
 */
export const QUEUE_COUNT_CAP = 10_000;

/**
 * A host whose lease a heartbeat renewed, and whether it has queued entries (others may have queued
 * them); or, `offered`, a host this worker asked for that its owner has let go for it: claim it now.
 */
export interface RenewedHost {
  host: string;
  queued: boolean;
  offered?: boolean;
}

/** The result of a claim: the entries, and how many stay queued for that host (the backend's count). */
export interface Claim {
  entries: FrontierEntry[];
  /** Entries of the host still queued, up to QUEUE_COUNT_CAP. */
  remaining: number;
  /**
   * Set by backends that lease whole hosts to one worker at a time (global politeness): the host is
   * another owner's until then (ms since epoch); ask again after it.
   */
  busyUntil?: number;
  /** The host's pacing as its last owner recorded it (QueuePort.savePacing), when it changed hands. */
  pacing?: Omit<HostPacing, 'host'>;
  /**
   * Backends that lease whole hosts: the host is this worker's for this long (ms), counted from when
   * the claim was sent. The frontier starts no fetch there after that (less a margin) unless a
   * heartbeat renewed it: a worker that stalled or lost the database stops on its own.
   */
  hostLeaseMs?: number;
  /**
   * Backends that balance hosts between workers: this worker is giving the host up to another (it
   * gave the host away). The frontier gives back the entries it holds there and not yet started, so
   * the host goes as soon as the fetches under way are written.
   */
  yielded?: boolean;
  /**
   * Backends that balance hosts between workers: the host is another worker's (held, or free and
   * reserved for it). The frontier forgets it until the backend names it again (a load, a write, an
   * offer, an expired lease), rather than asking again at busyUntil.
   */
  theirs?: boolean;
}

/** A host's pacing state, carried from one worker to the next in shared runs. */
export interface HostPacing {
  host: string;
  /** Earliest start of the next request, ms since epoch. */
  nextAt: number;
  /** robots.txt Crawl-delay (capped), ms; null while robots.txt is not known. */
  crawlDelayMs: number | null;
  /** Back-off after 429/503 or a run of failures, ms. */
  backoffMs: number;
  /** robots.txt answered 5xx/429: not fetched again before this time (ms since epoch); null when it is not failing. */
  robotsRetryAt: number | null;
  /** Consecutive unavailable robots.txt answers so far (they count against ROBOTS_RETRIES over every owner). */
  robotsFailures: number;
}

/**
 * The frontier's port to a backend. Every method is one round trip for a whole batch, never one per
 * URL, because a backend may be across a network.
 */
export interface QueuePort {
  /** Adds URLs to the run's frontier (already-known ones are ignored); returns the new entries per host. */
  enqueue(items: EnqueueItem[]): Promise<Map<string, number>>;
  /**
   * Adds pages due for refetch (last success before `olderThan`, or never successful) to the frontier;
   * with `adaptive`, a page's own recrawl interval decides. Returns the new entries per host.
   */
  enqueueDue(olderThan: string, adaptive: boolean, now: string): Promise<Map<string, number>>;
  /**
   * Queued (unclaimed) entries per host. With `owner` (shared runs), the hosts worth that worker's
   * asking: those no other live worker holds, and of the others only as many as balancing may give it.
   */
  queuedByHost(owner?: string): Promise<Map<string, number>>;
  /** Claims up to `limit` queued entries of `host` for `lease`, lowest depth first. */
  claim(host: string, limit: number, lease: Lease): Promise<Claim>;
  /**
   * Extends every claim `lease.owner` holds to `lease.until` (the heartbeat). Backends that lease
   * hosts answer the hosts renewed (a host left out was not renewed this time).
   */
  renew(lease: Lease): Promise<void | RenewedHost[]>;
  /**
   * Gives claimed, unfinished entries back to the queue (a stop, or a host whose lease may be lost).
   * `leaving`: the owner stops; backends that lease hosts let go of every host it holds.
   */
  release(owner: string, urlIds: number[], leaving?: boolean): Promise<void>;
  /** Puts entries whose lease ran out before `now` (ms) back in the queue; returns them per host. */
  requeueExpired(now: number): Promise<Map<string, number>>;
  /**
   * Optional, for backends shared by several processes (PostgreSQL): what the whole run still has,
   * entries queued and claims held by live owners at `now` (ms). A worker whose own scheduler runs
   * empty can wait while this is not zero instead of finishing (another worker may still queue work,
   * or die and leave its claims). Backends of one process leave it out.
   */
  pending?(now: number): Promise<{ queued: number; leased: number }>;
  /**
   * Shared runs: records the pacing of hosts this owner holds or last held (one round trip for the
   * batch), so the next owner continues it (Claim.pacing). The frontier calls it at once when a wait
   * gets longer (back-off, Retry-After, Crawl-delay, robots.txt retry), with every heartbeat, and
   * before it gives claims back. Backends of one process leave it out.
   */
  savePacing?(owner: string, items: HostPacing[]): Promise<void>;
}
