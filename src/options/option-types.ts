/**
 * The types of crawl options: what users give (CrawlOptions: CLI, config file or library) and what
 * resolveOptions() (options.ts) hands back (ResolvedOptions). Each option is defined once, in
 * OPTION_SPECS (option-specs.ts).
 */
import type { BasicAuth, RequestHeader } from './request-options.js';

/** Options as a user gives them (CLI, config file or library). Durations and sizes may be strings. */
export interface CrawlOptions {
  /** Seed file path, or '-' for stdin (CLI and config only; the library takes `seeds`). */
  urls?: string;
  /** Seed URLs (library API). */
  seeds?: string[];
  /** SQLite database file. @default 'data/crawl.db' */
  db: string;
  /** Which links to follow: the seed's host, its registrable domain, or any. @default 'host' */
  scope: 'host' | 'domain' | 'any';
  /** Only follow URLs matching one of these regular expressions. @default [] */
  include: string[];
  /** Never follow URLs matching one of these regular expressions. @default [] */
  exclude: string[];
  /** Stop after this many fetched pages in a run (0: no limit). @default 0 */
  maxPages: number;
  /** Maximum link depth from a seed (seeds are depth 0). @default 16 */
  maxDepth: number;
  /** Maximum fetched pages per host in a run (0: no limit). @default 0 */
  maxPagesPerHost: number;
  /** URLs longer than this are not followed. @default 2048 */
  maxUrlLength: number;
  /** A path in which one segment occurs more than this many times is a trap. @default 2 */
  maxRepeatedSegments: number;
  /** Query parameters removed during normalization ('*' suffix: prefix match). */
  stripParams: string[];
  /** Global limit of fetches in flight. @default 16 */
  concurrency: number;
  /** Fetches in flight per host. @default 2 */
  perHost: number;
  /** Minimum delay between request starts to one host. @default '100ms' */
  delay: number | string;
  /** Upper bound on a robots.txt Crawl-delay and on Retry-After waits. @default '30s' */
  maxCrawlDelay: number | string;
  /** Wait before fetching a robots.txt again after a 5xx, 429 or network failure. @default '60s' */
  robotsRetry: number | string;
  /** User-Agent header; its first token is the robots.txt product token. */
  userAgent: string;
  /** Do not fetch or obey robots.txt. @default false */
  ignoreRobots: boolean;
  /** Seed from sitemaps named in robots.txt and /sitemap.xml. @default false */
  sitemaps: boolean;
  /** Allow fetching loopback, private and link-local addresses (seed hosts always may). @default false */
  allowPrivate: boolean;
  connectTimeout: number | string;
  headersTimeout: number | string;
  bodyTimeout: number | string;
  totalTimeout: number | string;
  /** Cap on decompressed body bytes. @default '5MiB' */
  maxBytes: number | string;
  maxRedirects: number;
  retries: number;
  retryDelay: number | string;
  /** Parse worker threads. @default cores - 1 (at least 1) */
  workers: number;
  parseTimeout: number | string;
  workerMemory: number;
  /** Module run in the parse workers for custom extraction. */
  extract?: string;
  /** Render pages in headless Chromium: never, auto or always. @default 'never' */
  render: 'never' | 'auto' | 'always';
  /** Chromium executable for rendering. @default chromium, chromium-browser or google-chrome on PATH */
  browser?: string;
  /** Pages rendered at once. @default 4 */
  renderConcurrency: number;
  /** Cap on one page's render. @default '30s' */
  renderTimeout: number | string;
  /** Optional resource types the browser may fetch: image, media, font. @default [] */
  renderFetch: string[];
  /** Extra request headers, "Name: value" (config files may give an object, as "headers"). @default [] */
  header: string[] | Record<string, string>;
  /** Netscape cookies.txt file; enables the run's cookie jar. */
  cookies?: string;
  /** Basic auth per origin: {"https://host:port": {username, password}} (or its JSON text). */
  auth?: Record<string, { username: string; password: string }> | string;
  /** Basic auth from ~/.netrc or $NETRC. @default false */
  netrc: boolean;
  /** Proxy URL for every request (default: HTTP_PROXY / HTTPS_PROXY / NO_PROXY from the environment). */
  proxy?: string;
  /** Directory for WARC files (no archive when unset). */
  warc?: string;
  /** WARC file rotation size. @default '1GB' */
  warcMaxSize: number | string;
  /** WARC file name prefix. @default 'crawl' */
  warcPrefix: string;
  /** Keep credential header values in WARC request records. @default false */
  warcKeepAuth: boolean;
  recrawlAfter: number | string;
  adaptiveRecrawl: boolean;
  /** Start a new run instead of resuming an interrupted one. @default false */
  fresh: boolean;
  /** Lease of claimed URLs (and PostgreSQL host leases) without a heartbeat. @default '30s' */
  lease: number | string;
  /** How often leases are renewed. @default '5s' */
  heartbeat: number | string;
  maxTime: number | string;
  failOnErrorRate?: number;
  logFormat: 'plain' | 'json';
  progress: boolean;
  quiet: boolean;
  verbose: boolean;
}


/** Options after defaults and validation, with durations in ms and sizes in bytes. */
export interface ResolvedOptions {
  seeds: string[];
  urls?: string;
  db: string;
  scope: 'host' | 'domain' | 'any';
  include: RegExp[];
  exclude: RegExp[];
  maxPages: number;
  maxDepth: number;
  maxPagesPerHost: number;
  maxUrlLength: number;
  maxRepeatedSegments: number;
  stripParams: string[];
  concurrency: number;
  perHost: number;
  delayMs: number;
  maxCrawlDelayMs: number;
  robotsRetryMs: number;
  userAgent: string;
  ignoreRobots: boolean;
  sitemaps: boolean;
  allowPrivate: boolean;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  totalTimeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
  retries: number;
  retryDelayMs: number;
  workers: number;
  parseTimeoutMs: number;
  workerMemory: number;
  extract?: string;
  render: 'never' | 'auto' | 'always';
  browser?: string;
  renderConcurrency: number;
  renderTimeoutMs: number;
  renderFetch: ('image' | 'media' | 'font')[];
  /** Extra request headers in the order given. */
  headers: RequestHeader[];
  cookies?: string;
  /** Basic auth by origin (https://host:port, default ports omitted). */
  auth: Record<string, BasicAuth>;
  netrc: boolean;
  proxy?: string;
  warc?: string;
  warcMaxSize: number;
  warcPrefix: string;
  warcKeepAuth: boolean;
  recrawlAfterMs: number;
  adaptiveRecrawl: boolean;
  fresh: boolean;
  leaseMs: number;
  heartbeatMs: number;
  maxTimeMs: number;
  failOnErrorRate?: number;
  logFormat: 'plain' | 'json';
  progress: boolean;
  quiet: boolean;
  verbose: boolean;
}
