/**
 * The pipeline for one frontier entry, top to bottom:
 * freshness → robots → fetch (retry via the scheduler) → classify → parse in a worker →
 * callbacks → record (store) → follow links (frontier).
 */
import { ErrorCodes, type ErrorCode } from '../errors.js';
import type { HostState } from '../frontier/scheduler.js';
import type { FetchResult } from '../fetch/types.js';
import type { EnqueueItem, FrontierEntry, LinkRecord, PageChange, PageOutcome, PriorFetch } from '../store/types.js';
import { normalizeUrl } from '../url/normalize.js';
import type { CrawlContext } from './context.js';
import { hostOf, looksLikeHtml, robotsDirectives } from './sniff.js';

const HOUR_S = 3600, MAX_INTERVAL_S = 30 * 24 * 3600;
/** Times a 5xx robots.txt is fetched again before the host's URLs are given up for this run. */
export const ROBOTS_RETRIES = 2;

/**
 * What became of an entry: fetched (counts toward --max-pages), settled without a fetch (fresh,
 * disallowed), requeued (retry, robots.txt not ready) or abandoned (hard stop: refetched on resume).
 * 'throttled' is fetched, but the final answer was a 429/503: the host's back-off must not decay.
 */
export type EntryResult = 'fetched' | 'throttled' | 'unfetched' | 'requeued' | 'abandoned';

/** Handles one entry through the whole pipeline. */
export async function handleEntry(ctx: CrawlContext, h: HostState, entry: FrontierEntry): Promise<EntryResult> {
  const { opts, scheduler } = ctx;
  if (entry.prior && entry.source !== 'recrawl' && isFresh(ctx, entry.prior)) {
    await ctx.store.skip(entry);
    ctx.counters.skipped++;
    return 'unfetched';
  }

  if (ctx.robots) {
    const v = await ctx.robots.check(entry.url);
    // RFC 9309 §2.3.1.4: unreachable robots.txt means complete disallow. A 5xx/429 is retried
    // (ROBOTS_RETRIES times, at the policy's retry time); a host that cannot be reached at all
    // (refused, DNS, timeout) is given up at once: its URLs are recorded and retried next run.
    if (!v.allowed && v.code === ErrorCodes.ROBOTS_UNAVAILABLE && v.status !== 0 && ++h.robotsFailures <= ROBOTS_RETRIES) {
      scheduler.holdUntil(h, v.retryAt);
      scheduler.requeue(h, entry);
      return 'requeued';
    }
    if (!h.robotsReady && v.allowed) {
      h.robotsReady = true;
      scheduler.setCrawlDelay(h, v.crawlDelayMs);
      scheduler.holdUntil(h, Date.now() + h.crawlDelayMs);
    }
    if (v.allowed) h.robotsFailures = 0;
    else {
      const disallowed = v.code === ErrorCodes.ROBOTS_DISALLOWED;
      const why = disallowed ? 'disallowed by robots.txt'
        : `robots.txt unavailable (${v.status ? `HTTP ${v.status}` : 'host unreachable'}), so the host is treated as disallowed; retried next run`;
      await record(ctx, entry, base(entry, disallowed ? 'disallowed' : 'error', v.code, why));
      return 'unfetched';
    }
  } else if (!h.robotsReady) {
    h.robotsReady = true;
  }

  const res = await ctx.fetcher.fetch({ url: entry.url, headers: conditionalHeaders(entry.prior), signal: ctx.hardStop });
  ctx.counters.requests++;
  if (ctx.hardStop.aborted) return 'abandoned'; // stays claimed: fetched again on resume

  const attempts = (ctx.attempts.get(entry.urlId) ?? 0) + 1;
  const throttled = res.status === 429 || res.status === 503;
  if (throttled) scheduler.backOff(h, Date.now(), res.retryAfterMs);
  if (res.retryable && attempts <= opts.retries) {
    ctx.attempts.set(entry.urlId, attempts);
    const wait = res.retryAfterMs ?? opts.retryDelayMs * 2 ** (attempts - 1) * (0.5 + Math.random());
    scheduler.holdUntil(h, Date.now() + Math.min(wait, opts.maxCrawlDelayMs));
    scheduler.requeue(h, entry);
    return 'requeued';
  }
  ctx.attempts.delete(entry.urlId);
  const outcome = await classify(ctx, entry, res, attempts);
  await record(ctx, entry, outcome, res);
  return throttled ? 'throttled' : 'fetched';
}

/** Turns a final fetch result into an outcome (parsing HTML in the worker pool). */
async function classify(ctx: CrawlContext, entry: FrontierEntry, res: FetchResult, attempts: number): Promise<PageOutcome> {
  const o = base(entry, 'error', null, null);
  Object.assign(o, {
    status: res.status, contentType: res.contentType, bytes: res.bytes, durationMs: res.durationMs, ttfbMs: res.ttfbMs,
    attempts, etag: res.headers['etag'] ?? null, lastModified: res.headers['last-modified'] ?? null, finalUrl: entry.url,
  });
  if (res.errorCode) return fail(o, res.errorCode, res.errorMessage ?? res.errorCode);
  const status = res.status!;
  if (status >= 300 && status < 400 && status !== 304 && res.location !== null) return redirect(ctx, entry, o, res.location);
  if (status === 304) {
    o.status = entry.prior?.status ?? 200; // the stored content is still the page's content
    o.change = 'unchanged';
    o.recrawlIntervalS = nextInterval(ctx, entry.prior, o.change);
    return o;
  }
  if (status >= 400 || status < 200 || status >= 300) {
    const gone = (status === 404 || status === 410) && entry.prior?.lastOkAt != null;
    o.change = gone ? 'gone' : 'error';
    o.errorCode = ErrorCodes.HTTP_STATUS;
    o.errorMessage = `HTTP ${status}`;
    return o;
  }
  if (!res.body || !looksLikeHtml(res.contentType, res.body)) {
    o.change = entry.prior?.lastOkAt ? 'unchanged' : 'new'; // non-HTML: recorded (type, size), not parsed
    return o;
  }
  const r = await ctx.pool.parse({ url: entry.url, body: res.body, charset: res.charset });
  if (!r.ok) return fail(o, r.code, r.message);
  const robots = robotsDirectives(res.headers['x-robots-tag'], r.metaRobots, ctx.robotsToken);
  o.noindex = robots.noindex;
  o.nofollow = robots.nofollow;
  o.encoding = r.encoding;
  o.change = !entry.prior?.lastOkAt ? 'new' : entry.prior.contentHash === r.contentHash ? 'unchanged' : 'changed';
  o.content = {
    title: r.title, description: r.description, canonical: r.canonical, lang: r.lang, h1: r.h1, metaRobots: r.metaRobots,
    text: r.text, wordCount: r.wordCount, contentHash: r.contentHash,
    extract: r.extract === undefined ? null : JSON.stringify(r.extract),
  };
  if (r.extractError !== undefined) { o.errorCode = ErrorCodes.EXTRACT_FAILED; o.errorMessage = r.extractError; }
  o.recrawlIntervalS = nextInterval(ctx, entry.prior, o.change);
  for (const l of r.links) {
    const link: LinkRecord = { url: l.url, host: hostOf(l.url), anchor: l.text, rel: l.rel };
    o.links.push(link);
    if (!o.nofollow) follow(ctx, entry, link, o.follow);
  }
  return o;
}

/** Queues an in-scope link unless a callback vetoes it. */
function follow(ctx: CrawlContext, entry: FrontierEntry, l: LinkRecord, out: EnqueueItem[]): void {
  let depth = entry.depth + 1;
  if (ctx.scope.check(l.url, depth)) return;
  if (ctx.hooks.onLink) {
    const v = ctx.hooks.onLink({ from: entry.url, url: l.url, anchor: l.anchor, rel: l.rel, depth });
    if (v === false) return;
    if (typeof v === 'number' && Number.isFinite(v)) depth = Math.max(0, Math.min(Math.floor(v), ctx.opts.maxDepth));
  }
  out.push({ url: l.url, host: l.host, depth, source: 'link' });
}

/** A 3xx: the target is queued like any URL (scope, robots, dedupe), the chain checked for loops. */
async function redirect(ctx: CrawlContext, entry: FrontierEntry, o: PageOutcome, location: string): Promise<PageOutcome> {
  const target = normalizeUrl(location, entry.url, ctx.rules);
  if (!target) return fail(o, ErrorCodes.BAD_REDIRECT, `redirect to an invalid or non-http(s) URL: ${location.slice(0, 200)}`);
  const chain = ctx.chains.get(entry.url) ?? [];
  ctx.chains.delete(entry.url);
  o.redirectTo = target;
  o.finalUrl = target;
  o.change = 'redirect';
  o.links.push({ url: target, host: hostOf(target), anchor: '', rel: 'redirect' });
  if (target === entry.url || chain.includes(target)) return fail(o, ErrorCodes.REDIRECT_LOOP, `redirect loop: ${[...chain, entry.url, target].join(' -> ')}`);
  if (entry.hops + 1 > ctx.opts.maxRedirects) return fail(o, ErrorCodes.TOO_MANY_REDIRECTS, `more than ${ctx.opts.maxRedirects} redirects`);
  const vetoed = ctx.hooks.onLink?.({ from: entry.url, url: target, anchor: '', rel: 'redirect', depth: entry.depth }) === false;
  if (!vetoed && !ctx.scope.check(target, entry.depth)) {
    const added = await ctx.store.enqueue([{ url: target, host: hostOf(target), depth: entry.depth, source: 'redirect', redirectFrom: entry.urlId, hops: entry.hops + 1 }]);
    if (added.size) ctx.chains.set(target, [...chain, entry.url]);
    ctx.scheduler.addQueued(added);
  }
  return o;
}

/** Stores an outcome, updates counters, and tells the callbacks. */
async function record(ctx: CrawlContext, entry: FrontierEntry, o: PageOutcome, res?: FetchResult): Promise<void> {
  const c = ctx.counters;
  c.pages++;
  c.bytes += o.bytes;
  switch (o.change) {
    case 'new': c.new++; break;
    case 'changed': c.changed++; break;
    case 'unchanged': c.unchanged++; break;
    case 'gone': c.gone++; break;
    case 'redirect': c.redirects++; break;
    case 'disallowed': c.disallowed++; break;
    case 'error': c.errors++; break;
  }
  ctx.store.record(o);
  ctx.hooks.onPage?.({
    url: entry.url, depth: entry.depth, status: o.status, contentType: o.contentType, change: o.change, title: o.content?.title ?? null,
    links: o.links.length, bytes: o.bytes, durationMs: o.durationMs, errorCode: o.errorCode,
    extract: o.content?.extract ? JSON.parse(o.content.extract) : undefined,
  });
  if (o.errorCode && o.errorCode !== ErrorCodes.EXTRACT_FAILED) {
    ctx.hooks.onError?.({ url: entry.url, status: res?.status ?? null, code: o.errorCode, message: o.errorMessage ?? o.errorCode });
  }
  if ((ctx.store as { full?: boolean }).full) await ctx.flush();
}

function base(entry: FrontierEntry, change: PageChange, code: ErrorCode | null, message: string | null): PageOutcome {
  return {
    entry, change, fetchedAt: new Date().toISOString(), finalUrl: null, redirectTo: null, status: null, contentType: null, encoding: null,
    bytes: 0, durationMs: 0, ttfbMs: 0, attempts: 0, errorCode: code, errorMessage: message, etag: null, lastModified: null,
    noindex: false, nofollow: false, content: null, links: [], follow: [], recrawlIntervalS: null,
  };
}

function fail(o: PageOutcome, code: ErrorCode | 'PARSE_TIMEOUT' | 'PARSE_FAILED' | 'NOT_HTML', message: string): PageOutcome {
  o.change = 'error';
  o.errorCode = code as ErrorCode;
  o.errorMessage = message;
  return o;
}

function conditionalHeaders(prior: PriorFetch | null): Record<string, string> | undefined {
  if (!prior || !prior.lastOkAt || prior.contentHash === null) return undefined; // nothing stored to fall back on
  const h: Record<string, string> = {};
  if (prior.etag) h['if-none-match'] = prior.etag;
  if (prior.lastModified) h['if-modified-since'] = prior.lastModified;
  return h;
}

/** A page whose last success is inside its recrawl interval is not fetched again this run. */
function isFresh(ctx: CrawlContext, prior: PriorFetch): boolean {
  if (!prior.lastOkAt) return false;
  const intervalMs = ctx.opts.adaptiveRecrawl && prior.recrawlIntervalS ? prior.recrawlIntervalS * 1000 : ctx.opts.recrawlAfterMs;
  return Date.parse(prior.lastOkAt) + intervalMs > Date.now();
}

/** Adaptive recrawl (Nutch-style): halve the interval on change, x1.5 when unchanged, within [1h, 30d]. */
function nextInterval(ctx: CrawlContext, prior: PriorFetch | null, change: PageChange): number | null {
  if (!ctx.opts.adaptiveRecrawl) return null;
  const cur = prior?.recrawlIntervalS ?? Math.round(ctx.opts.recrawlAfterMs / 1000);
  const next = change === 'changed' ? cur / 2 : change === 'unchanged' ? cur * 1.5 : cur;
  return Math.round(Math.min(MAX_INTERVAL_S, Math.max(HOUR_S, next)));
}
