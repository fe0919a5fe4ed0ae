/**
 * OPTION_SPECS: every crawl option once — type, default, limits, help text. The CLI (yargs), the
 * config file, the library API and the README reference are all derived from it; validation is in
 * resolveOptions() (options.ts).
 */
import os from 'node:os';
import type { CrawlOptions } from './option-types.js';

export type OptionType = 'string' | 'number' | 'boolean' | 'duration' | 'size' | 'list' | 'choice' | 'json';

/** Describes one option once; everything else (yargs, config, README) is derived from it. */
export interface OptionSpec {
  key: keyof CrawlOptions;
  type: OptionType;
  /** Default in user units (e.g. '1d' for durations). `undefined`: unset. */
  default: unknown;
  describe: string;
  group: 'Input and output' | 'Scope and limits' | 'Politeness' | 'Fetching' | 'Requests' | 'Archive' | 'Parsing' | 'Rendering' | 'Scheduling' | 'Display';
  choices?: readonly string[];
  min?: number;
  max?: number;
  alias?: string;
  /** Text shown instead of the default value (e.g. "cores - 1"). */
  defaultText?: string;
  /** For lists: values are taken whole, not split on commas (header values contain commas). */
  noSplit?: boolean;
}

const CORES = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);

/** Default User-Agent: names the crawler and asks the user to add a contact. */
export const DEFAULT_USER_AGENT = 'crawl/0.1 (+https://example.invalid/set-your-contact-with--user-agent)';

export const OPTION_SPECS: readonly OptionSpec[] = [
  { key: 'urls', type: 'string', default: undefined, group: 'Input and output', alias: 'u', describe: 'Seed file: one URL per line, # comments; "-" reads stdin' },
  { key: 'db', type: 'string', default: 'data/crawl.db', group: 'Input and output', describe: 'SQLite database to write (created if missing; a second run resumes or refreshes it)' },
  { key: 'scope', type: 'choice', choices: ['host', 'domain', 'any'], default: 'host', group: 'Scope and limits', describe: "Follow links on the seed's host, its registrable domain, or anywhere" },
  { key: 'include', type: 'list', default: [], group: 'Scope and limits', describe: 'Only follow URLs matching one of these regular expressions (repeatable)' },
  { key: 'exclude', type: 'list', default: [], group: 'Scope and limits', describe: 'Never follow URLs matching one of these regular expressions (repeatable)' },
  { key: 'maxPages', type: 'number', default: 0, min: 0, group: 'Scope and limits', describe: 'Stop after fetching this many pages in a run (0: no limit)' },
  { key: 'maxDepth', type: 'number', default: 16, min: 0, group: 'Scope and limits', describe: 'Maximum link depth from a seed (seeds are depth 0)' },
  { key: 'maxPagesPerHost', type: 'number', default: 0, min: 0, group: 'Scope and limits', describe: 'Maximum pages fetched per host in a run (0: no limit)' },
  { key: 'maxUrlLength', type: 'number', default: 2048, min: 16, group: 'Scope and limits', describe: 'Longer URLs are not followed (trap defence)' },
  { key: 'maxRepeatedSegments', type: 'number', default: 2, min: 1, group: 'Scope and limits', describe: 'Paths where one segment occurs more often are not followed, e.g. /a/b/a/b/a/b (trap defence)' },
  { key: 'stripParams', type: 'list', default: ['jsessionid', 'phpsessid', 'sid', 'sessionid', 'utm_*', 'fbclid', 'gclid'], group: 'Scope and limits', describe: 'Query parameters removed from URLs; a trailing * matches a prefix (pass "" to strip none)' },
  { key: 'concurrency', type: 'number', default: 16, min: 1, max: 1024, alias: 'c', group: 'Politeness', describe: 'Fetches in flight at once, all hosts together' },
  { key: 'perHost', type: 'number', default: 2, min: 1, max: 256, group: 'Politeness', describe: 'Fetches in flight at once to one host' },
  { key: 'delay', type: 'duration', default: '100ms', group: 'Politeness', describe: 'Minimum time between request starts to one host (robots.txt Crawl-delay raises it)' },
  { key: 'maxCrawlDelay', type: 'duration', default: '30s', group: 'Politeness', describe: 'Cap on a robots.txt Crawl-delay and on a Retry-After wait' },
  { key: 'robotsRetry', type: 'duration', default: '60s', group: 'Politeness', describe: 'After a robots.txt answers 5xx/429, wait this long before fetching it again (its host waits too; after 2 retries its URLs are recorded ROBOTS_UNAVAILABLE)' },
  { key: 'userAgent', type: 'string', default: DEFAULT_USER_AGENT, group: 'Politeness', describe: 'User-Agent header; put your contact URL or e-mail in it. Its first token is the robots.txt product token' },
  { key: 'ignoreRobots', type: 'boolean', default: false, group: 'Politeness', describe: 'Do not fetch or obey robots.txt (off by default: robots.txt is obeyed)' },
  { key: 'sitemaps', type: 'boolean', default: false, group: 'Politeness', describe: 'Also seed from Sitemap: lines in robots.txt and /sitemap.xml' },
  { key: 'allowPrivate', type: 'boolean', default: false, group: 'Fetching', describe: 'Let discovered links reach loopback, private and link-local addresses (seed hosts always may)' },
  { key: 'connectTimeout', type: 'duration', default: '10s', group: 'Fetching', describe: 'Time to establish a connection' },
  { key: 'headersTimeout', type: 'duration', default: '15s', group: 'Fetching', describe: 'Time from request to response headers' },
  { key: 'bodyTimeout', type: 'duration', default: '15s', group: 'Fetching', describe: 'Longest silence while reading the body' },
  { key: 'totalTimeout', type: 'duration', default: '60s', group: 'Fetching', describe: 'Total time for one fetch attempt, body included (stops trickling servers)' },
  { key: 'maxBytes', type: 'size', default: '5MiB', group: 'Fetching', describe: 'Cap on the decompressed body; larger bodies are recorded as BODY_TOO_LARGE' },
  { key: 'maxRedirects', type: 'number', default: 5, min: 0, max: 50, group: 'Fetching', describe: 'Redirect hops followed from one URL' },
  { key: 'retries', type: 'number', default: 2, min: 0, max: 20, group: 'Fetching', describe: 'Retries after network errors, 408, 429 and 5xx (attempts = retries + 1)' },
  { key: 'retryDelay', type: 'duration', default: '1s', group: 'Fetching', describe: 'Base of the exponential retry backoff (doubled each attempt, with jitter)' },
  { key: 'header', type: 'list', noSplit: true, default: [], alias: 'H', group: 'Requests', describe: 'Extra request header "Name: value" (repeatable; "headers" in a config file). Authorization and Cookie given here go to the seeds\' origins only' },
  { key: 'cookies', type: 'string', default: undefined, group: 'Requests', describe: 'Netscape cookies.txt file (as curl and wget read it); cookies servers set are kept for the run' },
  { key: 'auth', type: 'json', default: undefined, group: 'Requests', describe: 'HTTP basic auth per origin, as JSON: {"https://host:port": {"username": "u", "password": "p"}} (best kept in the config file)' },
  { key: 'netrc', type: 'boolean', default: false, group: 'Requests', describe: 'Basic auth from ~/.netrc (or the file $NETRC names) for the machines it lists' },
  { key: 'proxy', type: 'string', default: undefined, group: 'Requests', describe: 'Proxy URL for every request, e.g. http://user:pass@proxy:3128 (default: $HTTP_PROXY / $HTTPS_PROXY, minus $NO_PROXY)' },
  { key: 'warc', type: 'string', default: undefined, group: 'Archive', describe: 'Directory to write every request and response to, as gzipped WARC/1.1 files' },
  { key: 'warcMaxSize', type: 'size', default: '1GB', group: 'Archive', describe: 'Start a new WARC file when one would grow past this size' },
  { key: 'warcPrefix', type: 'string', default: 'crawl', group: 'Archive', describe: 'WARC file names: PREFIX-TIMESTAMP-SERIAL.warc.gz' },
  { key: 'warcKeepAuth', type: 'boolean', default: false, group: 'Archive', describe: 'Keep Authorization, Cookie and Proxy-Authorization values in WARC request records (redacted by default)' },
  { key: 'workers', type: 'number', default: Math.max(1, CORES - 1), defaultText: 'cores - 1, at least 1', min: 1, max: 64, group: 'Parsing', describe: 'Parse worker threads' },
  { key: 'parseTimeout', type: 'duration', default: '10s', group: 'Parsing', describe: 'A page that takes longer to parse is recorded as PARSE_TIMEOUT' },
  { key: 'workerMemory', type: 'number', default: 256, min: 32, group: 'Parsing', describe: 'Heap limit of each parse worker in MB (a page that blows it is PARSE_FAILED)' },
  { key: 'extract', type: 'string', default: undefined, group: 'Parsing', describe: 'Module whose default export (cheerio root, url) => JSON runs in the parse workers; result stored in pages.extract' },
  { key: 'render', type: 'choice', choices: ['never', 'auto', 'always'], default: 'never', group: 'Rendering', describe: 'Render pages in headless Chromium: never, auto (pages whose HTML looks built by scripts, learned per path prefix) or always' },
  { key: 'browser', type: 'string', default: undefined, defaultText: 'chromium, chromium-browser or google-chrome on PATH', group: 'Rendering', describe: 'Chromium executable for --render' },
  { key: 'renderConcurrency', type: 'number', default: 4, min: 1, max: 64, group: 'Rendering', describe: 'Pages rendered at once (4 per browser process)' },
  { key: 'renderTimeout', type: 'duration', default: '30s', group: 'Rendering', describe: 'A page that takes longer to render is recorded as RENDER_TIMEOUT (its browser page is closed)' },
  { key: 'renderFetch', type: 'list', default: [], group: 'Rendering', describe: 'Resource types the browser may also fetch: image, media, font (none by default; scripts, styles and data always)' },
  { key: 'recrawlAfter', type: 'duration', default: '1d', group: 'Scheduling', describe: 'On a new run, refetch pages whose last successful fetch is older than this' },
  { key: 'adaptiveRecrawl', type: 'boolean', default: false, group: 'Scheduling', describe: 'Adapt each page\'s refetch interval to how often it changes (halve on change, x1.5 when unchanged, between 1h and 30d)' },
  { key: 'fresh', type: 'boolean', default: false, group: 'Scheduling', describe: 'Start a new run even if the last one was interrupted: that run is ended and its queue dropped (pages, links and history are kept)' },
  { key: 'lease', type: 'duration', default: '30s', min: 2000, group: 'Scheduling', describe: 'How long a claimed URL (and, with PostgreSQL, its host) stays this worker\'s without a heartbeat; a dead worker\'s work is taken over after it' },
  { key: 'heartbeat', type: 'duration', default: '5s', min: 100, group: 'Scheduling', describe: 'How often a worker renews its leases (at most a third of --lease)' },
  { key: 'maxTime', type: 'duration', default: '0', group: 'Scheduling', describe: 'Stop gracefully after this long, leaving a resumable run (0: no limit)' },
  { key: 'failOnErrorRate', type: 'number', default: undefined, min: 0, max: 1, group: 'Scheduling', describe: 'Exit 3 when more than this share (0..1) of fetched URLs failed' },
  { key: 'logFormat', type: 'choice', choices: ['plain', 'json'], default: 'plain', group: 'Display', describe: 'Log lines on stderr: plain text or one JSON object per line' },
  { key: 'progress', type: 'boolean', default: true, group: 'Display', describe: 'Live progress bar on a terminal (never when stderr is not a TTY)' },
  { key: 'quiet', type: 'boolean', default: false, alias: 'q', group: 'Display', describe: 'Print errors only' },
  { key: 'verbose', type: 'boolean', default: false, alias: 'v', group: 'Display', describe: 'Print one line per URL' },
];
