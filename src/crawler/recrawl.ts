/** Recrawl decisions on a page fetched in an earlier run: freshness, conditional headers, adaptive interval. */
import type { ResolvedOptions } from '../options/options.js';
import type { PriorFetch } from '../frontier/types.js';
import type { PageChange } from '../store/types.js';

const HOUR_S = 3600, MAX_INTERVAL_S = 30 * 24 * 3600;

/** If-None-Match / If-Modified-Since from the stored validators, when there is stored content to fall back on. */
export function conditionalHeaders(prior: PriorFetch | null): Record<string, string> | undefined {
  if (!prior || !prior.lastOkAt || prior.contentHash === null) return undefined;
  if (prior.status !== null && prior.status >= 400) return undefined; // the stored answer is an error: ask afresh
  const h: Record<string, string> = {};
  if (prior.etag) h['if-none-match'] = prior.etag;
  if (prior.lastModified) h['if-modified-since'] = prior.lastModified;
  return Object.keys(h).length ? h : undefined;
}

/**
 * A page whose last success is inside its recrawl interval is not fetched again this run, unless its
 * latest fetch failed (no answer: network failure, host down; or an error status): a failure is
 * never fresh. Backends queue the same pages in enqueueDue (see FAILED_LAST in their SQL).
 */
export function isFresh(opts: ResolvedOptions, prior: PriorFetch): boolean {
  if (!prior.lastOkAt || lastFetchFailed(prior)) return false;
  const intervalMs = opts.adaptiveRecrawl && prior.recrawlIntervalS ? prior.recrawlIntervalS * 1000 : opts.recrawlAfterMs;
  return Date.parse(prior.lastOkAt) + intervalMs > Date.now();
}

/** The page's latest fetch got no answer or an error status (a 304 keeps the stored 200). */
export function lastFetchFailed(prior: Pick<PriorFetch, 'status'>): boolean {
  return prior.status === null || prior.status >= 400;
}

/** Adaptive recrawl (Nutch-style): halve the interval on change, x1.5 when unchanged, within [1h, 30d]. */
export function nextInterval(opts: ResolvedOptions, prior: PriorFetch | null, change: PageChange): number | null {
  if (!opts.adaptiveRecrawl) return null;
  const cur = prior?.recrawlIntervalS ?? Math.round(opts.recrawlAfterMs / 1000);
  const next = change === 'changed' ? cur / 2 : change === 'unchanged' ? cur * 1.5 : cur;
  return Math.round(Math.min(MAX_INTERVAL_S, Math.max(HOUR_S, next)));
}

/**
 * What an error status means for a page seen before: a 404/410 after a success is `gone` — once;
 * a page whose last answer was already an error stays an `error`.
 */
export function errorChange(status: number, prior: PriorFetch | null): PageChange {
  const wasOk = prior?.lastOkAt != null && (prior.status === null || prior.status < 400);
  return (status === 404 || status === 410) && wasOk ? 'gone' : 'error';
}
