/**
 * A final fetch result becomes a page outcome: redirect, 304, error status, non-HTML (hashed), or
 * HTML parsed in the worker pool with its links and the in-scope ones to follow.
 */
import { createHash } from 'node:crypto';
import { ErrorCodes, type ErrorCode } from '../errors.js';
import type { FetchResult } from '../fetch/types.js';
import type { EnqueueItem, FrontierEntry } from '../frontier/types.js';
import { looksLikeHtml } from '../parse/sniff-html.js';
import { robotsDirectives } from '../polite/directives.js';
import type { LinkRecord, PageChange, PageOutcome } from '../store/types.js';
import { hostOf } from '../url/host.js';
import { normalizeUrl } from '../url/normalize.js';
import type { CrawlContext } from './context.js';
import { errorChange, nextInterval } from './recrawl.js';

/** Turns a final fetch result into an outcome (parsing HTML in the worker pool). */
export async function classify(ctx: CrawlContext, entry: FrontierEntry, res: FetchResult, attempts: number): Promise<PageOutcome> {
  const o = baseOutcome(entry, 'error', null, null);
  Object.assign(o, {
    status: res.status, contentType: res.contentType, bytes: res.bytes, durationMs: res.durationMs, ttfbMs: res.ttfbMs,
    attempts, etag: res.headers['etag'] ?? null, lastModified: res.headers['last-modified'] ?? null, finalUrl: entry.url,
  });
  if (res.errorCode) return fail(o, res.errorCode, res.errorMessage ?? res.errorCode);
  const status = res.status!;
  if (status >= 300 && status < 400 && status !== 304 && res.location !== null) return redirect(ctx, entry, o, res.location);
  if (status === 304) {
    o.status = entry.prior?.status ?? 200; // the stored content is still the page's content
    o.notModified = true;
    o.change = 'unchanged';
    o.recrawlIntervalS = nextInterval(ctx.opts, entry.prior, o.change);
    return o;
  }
  if (status < 200 || status >= 300) {
    o.change = errorChange(status, entry.prior);
    o.errorCode = ErrorCodes.HTTP_STATUS;
    o.errorMessage = `HTTP ${status}`;
    o.links = []; // an error page links nowhere, whatever it linked to before
    return o;
  }
  if (!res.body || !looksLikeHtml(res.contentType, res.body)) {
    // Non-HTML: recorded (type, size, body hash when read), not parsed.
    o.contentHash = res.body ? createHash('sha256').update(res.body).digest('hex') : res.bodyHash ?? null;
    o.change = changeOf(entry, o.contentHash);
    o.links = [];
    return o;
  }
  const r = await ctx.pool.parse({ url: entry.url, body: res.body, charset: res.charset });
  if (!r.ok) return fail(o, r.code, r.message);
  const robots = robotsDirectives(res.headers['x-robots-tag'], r.metaRobots, ctx.robotsToken);
  o.noindex = robots.noindex;
  o.nofollow = robots.nofollow;
  o.encoding = r.encoding;
  o.contentHash = r.contentHash;
  o.change = changeOf(entry, r.contentHash);
  o.content = {
    title: r.title, description: r.description, canonical: r.canonical, lang: r.lang, h1: r.h1, metaRobots: r.metaRobots,
    text: r.text, wordCount: r.wordCount, searchVector: r.searchVector, extract: r.extract === undefined ? null : JSON.stringify(r.extract),
  };
  if (r.extractError !== undefined) { o.errorCode = ErrorCodes.EXTRACT_FAILED; o.errorMessage = r.extractError; }
  o.recrawlIntervalS = nextInterval(ctx.opts, entry.prior, o.change);
  const links: LinkRecord[] = [];
  for (const l of r.links) {
    const link: LinkRecord = { url: l.url, host: hostOf(l.url), anchor: l.text, rel: l.rel };
    links.push(link);
    if (!o.nofollow) follow(ctx, entry, link, o.follow);
  }
  o.links = links;
  return o;
}

/** new, changed or unchanged, by the stored hash of the last successful fetch. */
function changeOf(entry: FrontierEntry, hash: string | null): PageChange {
  const prior = entry.prior;
  if (!prior?.lastOkAt) return 'new';
  if (hash === null) return 'unchanged'; // not read (too large to hash): nothing says it changed
  return prior.contentHash === hash ? 'unchanged' : 'changed';
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
  o.links = [{ url: target, host: hostOf(target), anchor: '', rel: 'redirect' }];
  if (target === entry.url || chain.includes(target)) return fail(o, ErrorCodes.REDIRECT_LOOP, `redirect loop: ${[...chain, entry.url, target].join(' -> ')}`);
  if (entry.hops + 1 > ctx.opts.maxRedirects) return fail(o, ErrorCodes.TOO_MANY_REDIRECTS, `more than ${ctx.opts.maxRedirects} redirects`);
  const vetoed = ctx.hooks.onLink?.({ from: entry.url, url: target, anchor: '', rel: 'redirect', depth: entry.depth }) === false;
  if (!vetoed && !ctx.scope.check(target, entry.depth)) {
    const added = await ctx.frontier.enqueue([{ url: target, host: hostOf(target), depth: entry.depth, source: 'redirect', redirectFrom: entry.urlId, hops: entry.hops + 1 }]);
    if (added) ctx.chains.set(target, [...chain, entry.url]);
  }
  return o;
}

/** An outcome with nothing learned yet. */
export function baseOutcome(entry: FrontierEntry, change: PageChange, code: ErrorCode | null, message: string | null): PageOutcome {
  return {
    entry, change, fetchedAt: new Date().toISOString(), finalUrl: null, redirectTo: null, status: null, contentType: null, encoding: null,
    bytes: 0, notModified: false, durationMs: 0, ttfbMs: 0, attempts: 0, errorCode: code, errorMessage: message, etag: null,
    lastModified: null, noindex: false, nofollow: false, contentHash: null, content: null, links: null, follow: [], recrawlIntervalS: null,
  };
}

function fail(o: PageOutcome, code: ErrorCode | 'PARSE_TIMEOUT' | 'PARSE_FAILED' | 'NOT_HTML', message: string): PageOutcome {
  o.change = 'error';
  o.errorCode = code as ErrorCode;
  o.errorMessage = message;
  return o;
}
