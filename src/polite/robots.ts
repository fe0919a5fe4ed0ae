/**
 * robots.txt gate (RFC 9309), polite by default: one fetch per origin, shared by concurrent
 * checks, cached for the run and in the store across runs; unreachable robots.txt (5xx, 429,
 * network failure) disallows the origin until a retry time instead of for the whole run.
 */
import robotsParserCjs from 'robots-parser';
import type { Fetcher, OpenedResponse } from '../fetch/types.js';
import type { RobotsCache, RobotsRecord } from '../store/types.js';
import { BadInputError, CrawlError, ErrorCodes, type ErrorCode } from '../errors.js';
import { rfc9309Text } from './robots-text.js';

/** What the robots gate needs from a backend; an in-memory Map can stand in for tests. */
export type RobotsCacheStore = RobotsCache;

/** The answer for one URL. `retryAt` (ms since epoch) says when robots.txt will be fetched again. */
export type RobotsVerdict =
  | { allowed: true; crawlDelayMs: number | null }
  | { allowed: false; code: typeof ErrorCodes.ROBOTS_DISALLOWED }
  | {
    allowed: false; code: typeof ErrorCodes.ROBOTS_UNAVAILABLE; retryAt: number; /** HTTP status, 0 for a network failure. */ status: number;
    /** With status 0: why robots.txt could not be fetched (DNS_FAILED, CONNECTION_REFUSED, CONNECT_TIMEOUT, ...), and the error's message. */
    cause?: ErrorCode; causeMessage?: string;
  };

/** Options of RobotsPolicy. */
export interface RobotsPolicyOptions {
  fetcher: Fetcher;
  store: RobotsCacheStore;
  /** Full User-Agent header; its product token selects the robots.txt group. */
  userAgent: string;
  /** Cap on a Crawl-delay directive, ms. */
  maxCrawlDelayMs: number;
  /** How long a fetched robots.txt is trusted (RFC 9309 §2.4: SHOULD NOT exceed 24 h). @default 86_400_000 */
  ttlMs?: number;
  /** Back-off after a 5xx / 429 / network failure before robots.txt is fetched again. @default 60_000 */
  retryUnavailableMs?: number;
  /** Deadline for the whole robots.txt request (redirects and body included). @default 30_000 */
  timeoutMs?: number;
  /** Clock, ms since epoch (tests). @default Date.now */
  now?: () => number;
  /** Called after each robots.txt download (not for cache hits): for request counters and logs. */
  onFetched?: (rec: RobotsRecord) => void;
}

/** RFC 9309 §2.5: crawlers MUST parse at least 500 KiB; we parse exactly the first 500 KiB. */
export const ROBOTS_MAX_BYTES = 500 * 1024;
/** RFC 9309 §2.3.1.2: follow at least five consecutive redirects. */
export const ROBOTS_MAX_REDIRECTS = 5;

/**
 * robots-parser is CommonJS (`module.exports = fn`) but its .d.ts declares an ES default export;
 * under NodeNext the default import is the function itself, so re-type it.
 */
const robotsParser = robotsParserCjs as unknown as typeof robotsParserCjs.default;
type Parsed = ReturnType<typeof robotsParser>;

/** One origin's robots state, derived from a RobotsRecord. */
type Entry =
  | { kind: 'rules'; robots: Parsed; crawlDelayMs: number | null; sitemaps: string[]; expiresAt: number }
  | { kind: 'allow-all'; expiresAt: number }
  | { kind: 'unavailable'; expiresAt: number; status: number; cause?: NetworkCause };

/** Why a robots.txt download failed without an HTTP status. */
interface NetworkCause { code: ErrorCode; message: string }

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * The User-Agent's product token: the first token, up to '/' or whitespace, lower-cased.
 * `productToken('crawl/0.1 (+https://example.com)')` is `'crawl'`.
 */
export function productToken(userAgent: string): string {
  const first = userAgent.trim().split(/[\s/]/, 1)[0] ?? '';
  return first.toLowerCase() || '*';
}

/** How a stored status is read: RFC 9309 §2.3.1. Status 0 means a network failure. */
export function robotsStatusClass(status: number): 'parse' | 'allow-all' | 'unavailable' {
  if (status >= 200 && status < 300) return 'parse';
  // §2.3.1.4 "unreachable": server or network errors mean complete disallow. 429 is treated the
  // same (as Google does): the server asks us to slow down, so do not crawl on a guess.
  if (status === 0 || status === 429 || status >= 500) return 'unavailable';
  // §2.3.1.3 "unavailable" (4xx), and §2.3.1.2 redirect chains that were too long (stored with
  // their last 3xx status): crawlers MAY access any resource.
  return 'allow-all';
}

/** Decides, per URL, whether robots.txt lets us fetch it; see the file comment. */
export class RobotsPolicy {
  private readonly fetcher: Fetcher;
  private readonly store: RobotsCacheStore;
  private readonly token: string;
  private readonly maxCrawlDelayMs: number;
  private readonly ttlMs: number;
  private readonly retryUnavailableMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly onFetched: ((rec: RobotsRecord) => void) | undefined;
  /** Settled or in-flight state per origin; the promise is shared by concurrent checks. */
  private readonly entries = new Map<string, Promise<Entry>>();
  /** Why the last download of an origin's robots.txt failed, between download() and load(). */
  private readonly causes = new Map<string, NetworkCause>();
  /** Settled entries, for the synchronous sitemaps() accessor. */
  private readonly settled = new Map<string, Entry>();

  constructor(opts: RobotsPolicyOptions) {
    this.fetcher = opts.fetcher;
    this.store = opts.store;
    this.token = productToken(opts.userAgent);
    this.maxCrawlDelayMs = opts.maxCrawlDelayMs;
    this.ttlMs = opts.ttlMs ?? 24 * 60 * 60 * 1000;
    this.retryUnavailableMs = opts.retryUnavailableMs ?? 60_000;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.now = opts.now ?? Date.now;
    this.onFetched = opts.onFetched;
  }

  /** Whether `url` may be fetched. Loads its origin's robots.txt first if needed. */
  async check(url: string): Promise<RobotsVerdict> {
    const origin = originOf(url);
    const entry = await this.entryFor(origin);
    switch (entry.kind) {
      case 'unavailable':
        return entry.cause
          ? { allowed: false, code: ErrorCodes.ROBOTS_UNAVAILABLE, retryAt: entry.expiresAt, status: entry.status, cause: entry.cause.code, causeMessage: entry.cause.message }
          : { allowed: false, code: ErrorCodes.ROBOTS_UNAVAILABLE, retryAt: entry.expiresAt, status: entry.status };
      case 'allow-all':
        return { allowed: true, crawlDelayMs: null };
      case 'rules':
        // robots-parser returns undefined for a URL of another origin; cannot happen here.
        if (entry.robots.isAllowed(url, this.token) === false) return { allowed: false, code: ErrorCodes.ROBOTS_DISALLOWED };
        return { allowed: true, crawlDelayMs: entry.crawlDelayMs };
    }
  }

  /** Sitemap URLs listed in the robots.txt of `origin` (any URL of it works); [] until check() loaded it. */
  sitemaps(origin: string): string[] {
    const entry = this.settled.get(originOf(origin));
    return entry?.kind === 'rules' ? entry.sitemaps.slice() : [];
  }

  /** Memory, then store, then network; an expired entry is replaced by one new shared load. */
  private async entryFor(origin: string): Promise<Entry> {
    const cached = this.entries.get(origin);
    if (cached) {
      const entry = await cached;
      if (entry.expiresAt > this.now()) return entry;
      // Several checks may see the same expired entry: only the first replaces it.
      if (this.entries.get(origin) !== cached) return this.entryFor(origin);
    }
    const loading = this.load(origin);
    this.entries.set(origin, loading);
    try {
      const entry = await loading;
      this.settled.set(origin, entry);
      return entry;
    } catch (err) {
      // A store failure: forget the attempt so a later check tries again, and surface the error.
      if (this.entries.get(origin) === loading) this.entries.delete(origin);
      throw err;
    }
  }

  private async load(origin: string): Promise<Entry> {
    const stored = await this.store.getRobots(origin);
    if (stored) {
      const entry = this.interpret(stored);
      if (entry.expiresAt > this.now()) return entry;
    }
    const rec = await this.download(origin);
    // The private-network guard refused the host itself: not a robots.txt outcome, so nothing is
    // stored; the page fetch meets the same guard and is recorded as PRIVATE_ADDRESS.
    if (rec === null) return { kind: 'allow-all', expiresAt: this.now() + this.ttlMs };
    this.onFetched?.(rec);
    // A network failure is no answer from the site: it is kept for this run only (until the retry
    // time), so the next run asks again instead of skipping the host on a stale failure.
    if (rec.status !== 0) await this.store.putRobots(rec);
    const entry = this.interpret(rec);
    const cause = this.causes.get(origin);
    this.causes.delete(origin);
    return entry.kind === 'unavailable' && rec.status === 0 && cause ? { ...entry, cause } : entry;
  }

  /** Fetches robots.txt, following up to five redirects; never throws. null: the origin is a refused private address. */
  private async download(origin: string): Promise<RobotsRecord | (RobotsRecord & { cause: { code: string; message: string } }) | null> {
    const robotsUrl = origin + '/robots.txt';
    const signal = AbortSignal.timeout(this.timeoutMs);
    let url = robotsUrl;
    let res: OpenedResponse | undefined;
    try {
      for (let hop = 0; ; hop++) {
        res = await this.fetcher.open({ url, signal });
        const location = res.location ?? res.headers['location'];
        if (!REDIRECTS.has(res.status) || !location) break;
        res.body.destroy();
        // §2.3.1.2: more than five consecutive redirects MAY be taken as "unavailable" (allow all).
        if (hop >= ROBOTS_MAX_REDIRECTS) return { origin, fetchedAt: this.now(), status: res.status, body: '' };
        url = new URL(location, url).href;
      }
      const body = robotsStatusClass(res.status) === 'parse' ? await readCapped(res, ROBOTS_MAX_BYTES, signal) : '';
      if (robotsStatusClass(res.status) !== 'parse') res.body.destroy();
      return { origin, fetchedAt: this.now(), status: res.status, body };
    } catch (err) {
      // Network failure, timeout, bad Location: robots.txt is unreachable (§2.3.1.4).
      res?.body.destroy();
      if (url === robotsUrl && (err as { code?: unknown } | null)?.code === ErrorCodes.PRIVATE_ADDRESS) return null;
      // Kept for the verdict only: a network failure is never stored (see load()).
      this.causes.set(origin, networkCause(err, signal));
      return { origin, fetchedAt: this.now(), status: 0, body: '' };
    }
  }

  private interpret(rec: RobotsRecord): Entry {
    switch (robotsStatusClass(rec.status)) {
      case 'unavailable':
        return { kind: 'unavailable', expiresAt: rec.fetchedAt + this.retryUnavailableMs, status: rec.status };
      case 'allow-all':
        return { kind: 'allow-all', expiresAt: rec.fetchedAt + this.ttlMs };
      case 'parse': {
        const robots = robotsParser(rec.origin + '/robots.txt', rfc9309Text(rec.body));
        const delayS = robots.getCrawlDelay(this.token);
        const crawlDelayMs = typeof delayS === 'number' && Number.isFinite(delayS) && delayS >= 0
          ? Math.min(Math.round(delayS * 1000), this.maxCrawlDelayMs)
          : null;
        return { kind: 'rules', robots, crawlDelayMs, sitemaps: robots.getSitemaps(), expiresAt: rec.fetchedAt + this.ttlMs };
      }
    }
  }
}

/** The fetcher's error code for a failed download, or TOTAL_TIMEOUT when our deadline cut it. */
function networkCause(err: unknown, signal: AbortSignal): NetworkCause {
  const message = (err as Error)?.message ?? String(err);
  if (err instanceof CrawlError && err.code !== ErrorCodes.NETWORK_ERROR) return { code: err.code, message };
  if (signal.aborted) return { code: ErrorCodes.TOTAL_TIMEOUT, message: 'robots.txt took longer than the fetch deadline' };
  return { code: err instanceof CrawlError ? err.code : ErrorCodes.NETWORK_ERROR, message };
}

/** The origin (scheme://host[:port]) robots.txt is looked up for. */
function originOf(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch (cause) {
    throw new BadInputError(`robots: not a URL: ${JSON.stringify(url)}`, { cause });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new BadInputError(`robots: not an http(s) URL: ${url}`);
  return u.origin;
}

/**
 * Reads at most `cap` bytes of the body as UTF-8 and destroys the stream after that. When the cap
 * cuts the file, the last partial line is dropped: a cut "Disallow: /private" would read as
 * "Disallow: /" and block the whole site.
 */
async function readCapped(res: OpenedResponse, cap: number, signal: AbortSignal): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  let truncated = false;
  const onAbort = () => res.body.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of res.body) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      const room = cap - total;
      chunks.push(buf.length > room ? buf.subarray(0, room) : buf);
      total += Math.min(buf.length, room);
      if (total >= cap) {
        // Possibly a file of exactly `cap` bytes; treating it as cut only costs its last line.
        truncated = true;
        break;
      }
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    res.body.destroy();
  }
  // UTF-8 per RFC 9309 §2.3; invalid bytes become U+FFFD rather than failing the whole file.
  let text = new TextDecoder('utf-8').decode(Buffer.concat(chunks));
  if (truncated) {
    const lastBreak = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'));
    text = lastBreak >= 0 ? text.slice(0, lastBreak + 1) : '';
  }
  return text;
}
