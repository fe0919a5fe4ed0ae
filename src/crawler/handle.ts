/**
 * The pipeline for one frontier entry, top to bottom:
 * freshness → host down? → robots gate → fetch (a transient failure retries that URL later; the
 * host's health is judged, ./host-health.ts) → classify (parse in a worker) → callbacks → outbox
 * (written in batches) → its links reach the frontier with the write.
 */
import type { FrontierEntry } from '../frontier/types.js';
import type { HostState, Settled } from '../frontier/ports.js';
import type { FetchResult } from '../fetch/types.js';
import type { PageOutcome } from '../store/types.js';
import { baseOutcome, classify } from './classify.js';
import type { CrawlContext } from './context.js';
import { conditionalHeaders, isFresh } from './recrawl.js';
import { ErrorCodes } from '../errors.js';

/** Handles one entry through the whole pipeline; says how it settled (for limits and back-off). */
export async function handleEntry(ctx: CrawlContext, h: HostState, entry: FrontierEntry): Promise<Settled> {
  const { opts, frontier } = ctx;
  if (entry.prior && entry.source !== 'recrawl' && isFresh(opts, entry.prior)) {
    ctx.outbox.skip(entry);
    return 'unfetched';
  }

  if (ctx.health.down(h.host)) return hostDown(ctx, h, entry);
  const gate = await ctx.gate.check(h.host, entry.url);
  if (gate.kind === 'unreachable') {
    ctx.health.robotsUnreachable(h.host, gate.code, gate.message);
    return hostDown(ctx, h, entry);
  }
  if (gate.kind === 'retry') {
    frontier.holdUntil(h, gate.at);
    frontier.requeue(h, entry);
    return 'requeued';
  }
  if (gate.kind === 'settle') {
    await record(ctx, baseOutcome(entry, gate.change, gate.code, gate.message));
    return 'unfetched';
  }
  frontier.robotsKnown(h, gate.crawlDelayMs, Date.now());

  const startedAt = Date.now();
  const res = await ctx.fetcher.fetch({ url: entry.url, headers: conditionalHeaders(entry.prior), signal: ctx.hardStop });
  ctx.outbox.request();
  if (ctx.hardStop.aborted) return 'abandoned'; // stays claimed: fetched again on resume
  const health = ctx.health.observe(h.host, res.errorCode ?? null, res.errorMessage ?? null, startedAt, Date.now());
  if (health.kind === 'hold') frontier.suspend(h, health.until);
  else if (health.kind === 'up' && h.probing) frontier.answered(h);
  else if (health.kind === 'down' && !h.down) frontier.giveUp(h);

  const attempts = (ctx.attempts.get(entry.urlId) ?? 0) + 1;
  const throttled = res.status === 429 || res.status === 503;
  const now = Date.now();
  if (throttled) frontier.backOff(h, now, res.retryAfterMs);
  if (res.retryable && attempts <= opts.retries && health.kind !== 'down') {
    ctx.attempts.set(entry.urlId, attempts);
    const wait = res.retryAfterMs ?? opts.retryDelayMs * 2 ** (attempts - 1) * (0.5 + Math.random());
    // This URL alone waits; the host goes on (a throttled host is already backed off as a whole).
    frontier.retryLater(h, entry, now + Math.min(wait, opts.maxCrawlDelayMs), now, !throttled);
    return 'requeued';
  }
  ctx.attempts.delete(entry.urlId);
  // --render: the DOM a browser built from this response is parsed instead (src/render/).
  const pass = ctx.render ? await ctx.render.before(entry.url, res, ctx.hardStop) : null;
  if (ctx.hardStop.aborted) return 'abandoned';
  const final = pass?.res ?? res;
  const outcome = await classify(ctx, entry, final, attempts);
  if (pass) ctx.render!.after(pass, outcome);
  // With --warc, awaited after parsing, so the archive thread writes while the page is parsed. A 304's
  // revisit record holds no payload: the row keeps pointing at the response it confirmed. A rendered
  // page's row points at its conversion record (the DOM that was parsed).
  const warc = res.status !== 304 ? await final.warc : null;
  if (warc) { outcome.warcFile = warc.file; outcome.warcOffset = warc.offset; }
  await record(ctx, outcome, res);
  return throttled ? 'throttled' : res.retryable ? 'failed' : 'fetched';
}

/**
 * An entry of a host that is down: recorded HOST_DOWN at once, unfetched, through the same outbox as
 * every outcome (so a shared run's claim owner completes it).
 */
async function hostDown(ctx: CrawlContext, h: HostState, entry: FrontierEntry): Promise<Settled> {
  const down = ctx.health.down(h.host)!;
  if (!h.down) ctx.frontier.giveUp(h);
  const o = baseOutcome(entry, 'error', ErrorCodes.HOST_DOWN, down.message);
  o.attempts = ctx.attempts.get(entry.urlId) ?? 0; // a URL waiting for its retry keeps the attempts it made
  ctx.attempts.delete(entry.urlId);
  ctx.health.counted(h.host);
  await record(ctx, o);
  return 'unfetched';
}

/** Hands an outcome to the outbox and tells the callbacks. */
async function record(ctx: CrawlContext, o: PageOutcome, res?: FetchResult): Promise<void> {
  const entry = o.entry;
  const written = ctx.outbox.record(o);
  ctx.hooks.onPage?.({
    url: entry.url, depth: entry.depth, status: o.status, contentType: o.contentType, change: o.change, title: o.content?.title ?? null,
    links: o.links?.length ?? 0, rendered: o.rendered ?? null, bytes: o.bytes, durationMs: o.durationMs, errorCode: o.errorCode,
    extract: o.content?.extract ? JSON.parse(o.content.extract) : undefined,
  });
  if (o.errorCode && o.errorCode !== ErrorCodes.EXTRACT_FAILED) {
    ctx.hooks.onError?.({ url: entry.url, status: res?.status ?? null, code: o.errorCode, message: o.errorMessage ?? o.errorCode });
  }
  if (written) await written;
}
