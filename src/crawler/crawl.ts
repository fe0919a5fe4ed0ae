/**
 * crawl(): the library entry and the crawl loop. The loop is the pipeline's driver:
 * take from the frontier → handle (robots → fetch → parse → callbacks → store) → enqueue links,
 * until the frontier is empty and nothing is in flight, or a stop is asked for.
 */
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { resolveOptions, type CrawlOptions, type ResolvedOptions } from '../options.js';
import { BadInputError, EXIT } from '../errors.js';
import { UndiciFetcher } from '../fetch/fetcher.js';
import { ParsePool } from '../parse/pool.js';
import { RobotsPolicy, productToken } from '../polite/robots.js';
import { Scheduler, type HostState } from '../frontier/scheduler.js';
import { ThreadedStore } from '../store/sqlite/threaded.js';
import { acquireRunLock } from '../store/lock.js';
import type { FrontierEntry, RunStatus, StopReason } from '../store/types.js';
import { Scope } from '../url/scope.js';
import { tryNormalize } from '../url/normalize.js';
import type { CrawlContext } from './context.js';
import { handleEntry } from './handle.js';
import { openRun } from './run.js';
import { seedFromSitemaps } from './sitemap-seeding.js';
import type { CrawlHooks, RunSummary } from './types.js';

/** How long in-flight work may take to finish after a stop is asked for. */
export const STOP_GRACE_MS = 10_000;
/**
 * Outcomes are committed at least this often: a crash loses at most this much finished work (refetched on resume).
 * 100 ms saved ~9% of main-thread CPU on a 1M-URL frontier (neutral at 10k pages) but lets a kill -9
 * lose four times as many finished pages; exact resume matters more here.
 */
const FLUSH_EVERY_MS = 25;
/**
 * Batches on their way to the writer thread at once. The loop does not wait for a commit: it
 * keeps fetching while the writer writes, and stops adding batches at this many.
 */
const FLUSHES_IN_FLIGHT = 2;
const PROGRESS_EVERY_MS = 250;
/**
 * No new fetch starts while the bodies waiting for (or in) the parse pool exceed this: the bound on
 * memory when parsing falls behind. Small pages never reach it; --concurrency bounds them.
 */
const PARSE_BACKLOG_BYTES = 32 * 1024 * 1024;

/**
 * Crawls from `options.seeds` (or resumes/refreshes the database's run) and resolves to the run summary.
 * Options are validated here; bad ones throw BadInputError before anything is fetched.
 */
export async function crawl(options: Partial<CrawlOptions> & { seeds?: string[] }, hooks: CrawlHooks = {}): Promise<RunSummary> {
  const opts = resolveOptions(options as Partial<CrawlOptions> & Record<string, unknown>, 'options');
  return runCrawl(opts, hooks);
}

/** Normalizes seeds; throws BadInputError naming the first bad one. */
export function normalizeSeeds(seeds: string[], rules: { stripParams: string[] }): string[] {
  const out = new Set<string>();
  for (const s of seeds) {
    const n = tryNormalize(s.trim(), undefined, rules);
    if (n === 'invalid') throw new BadInputError(`seed ${JSON.stringify(s)} is not a valid absolute URL (write it as https://host/path)`);
    if (n === 'scheme') throw new BadInputError(`seed ${JSON.stringify(s)}: only http and https URLs can be crawled`);
    out.add(n);
  }
  return [...out];
}

/** Runs a crawl with already-resolved options (the CLI resolves them itself). */
export async function runCrawl(opts: ResolvedOptions, hooks: CrawlHooks = {}): Promise<RunSummary> {
  const rules = { stripParams: opts.stripParams };
  const seeds = normalizeSeeds(opts.seeds, rules);
  const lock = acquireRunLock(opts.db);
  let store: ThreadedStore | undefined;
  let fetcher: UndiciFetcher | undefined;
  let pool: ParsePool | undefined;
  try {
    store = await ThreadedStore.open(opts.db);
    const run = await openRun(store, opts, seeds);
    if (!run.resumed && seeds.length === 0 && run.queued.size === 0) {
      throw new BadInputError('no seeds: give --urls FILE (one URL per line) or seeds in the config');
    }
    const scope = await Scope.create(opts, seeds.length ? seeds : run.previousSeeds);
    const seedHostnames = new Set([...(seeds.length ? seeds : run.previousSeeds)].map((s) => new URL(s).hostname));
    fetcher = new UndiciFetcher({
      userAgent: opts.userAgent, perHost: opts.perHost, connectTimeoutMs: opts.connectTimeoutMs, headersTimeoutMs: opts.headersTimeoutMs,
      bodyTimeoutMs: opts.bodyTimeoutMs, totalTimeoutMs: opts.totalTimeoutMs, maxBytes: opts.maxBytes,
      allowPrivateHost: (hostname) => opts.allowPrivate || seedHostnames.has(hostname),
    });
    pool = new ParsePool({ workers: opts.workers, parseTimeoutMs: opts.parseTimeoutMs, workerMemoryMb: opts.workerMemory, stripParams: opts.stripParams, extract: opts.extract ?? null });
    const scheduler = new Scheduler(opts);
    scheduler.addQueued(await store.queuedByHost());
    hooks.onStart?.({ runId: run.runId, resumed: run.resumed, seeds: seeds.length, db: opts.db });
    return await loop(opts, hooks, run, { store, fetcher, pool, scheduler, scope, rules });
  } finally {
    await pool?.close().catch(() => {});
    await fetcher?.close().catch(() => {});
    await store?.close().catch(() => {});
    lock.release();
  }
}

interface Parts {
  store: ThreadedStore; fetcher: UndiciFetcher; pool: ParsePool; scheduler: Scheduler; scope: Scope; rules: { stripParams: string[] };
}

async function loop(opts: ResolvedOptions, hooks: CrawlHooks, run: Awaited<ReturnType<typeof openRun>>, p: Parts): Promise<RunSummary> {
  const t0 = performance.now();
  const elu0 = performance.eventLoopUtilization();
  const hard = new AbortController();
  // Every in-flight fetch listens on it: without this, Node warns of a listener leak above 10 fetches.
  setMaxListeners(opts.concurrency * 2 + 16, hard.signal);
  const robots = opts.ignoreRobots ? null : new RobotsPolicy({ fetcher: p.fetcher, store: p.store, userAgent: opts.userAgent, maxCrawlDelayMs: opts.maxCrawlDelayMs, retryUnavailableMs: opts.robotsRetryMs, timeoutMs: opts.totalTimeoutMs,
    onFetched: () => { run.counters.requests++; } }); // robots.txt downloads count as requests
  const ctx: CrawlContext = {
    opts, rules: p.rules, store: p.store, fetcher: p.fetcher, pool: p.pool, robots, robotsToken: productToken(opts.userAgent),
    scheduler: p.scheduler, scope: p.scope, counters: run.counters, hooks, hardStop: hard.signal,
    attempts: new Map(), chains: new Map(), flush: () => flush(),
  };
  let wake: (() => void) | null = null;
  const poke = () => { const w = wake; wake = null; w?.(); };
  let stop = null as StopReason | null;
  const requestStop = (reason: StopReason) => {
    if (stop) return;
    stop = reason;
    poke();
    setTimeout(() => { hard.abort(); poke(); }, STOP_GRACE_MS).unref();
  };
  // The CLI aborts with reason 'signal' (SIGINT/SIGTERM); any other abort is a library caller's.
  const onAbort = () => requestStop(hooks.signal?.reason === 'signal' ? 'signal' : 'aborted');
  hooks.signal?.addEventListener('abort', onAbort, { once: true });
  if (hooks.signal?.aborted) onAbort();
  const maxTimer = opts.maxTimeMs ? setTimeout(() => requestStop('max-time'), opts.maxTimeMs) : undefined;

  let inflight = 0;
  let failure: unknown = null;
  let started = run.counters.pages;
  let lastFlush = Date.now();
  let sitemapsRunning = false;

  let flushing = 0;
  /** Sends the recorded outcomes to the writer; resolves when they are committed (errors end the crawl). */
  function flush(): Promise<void> {
    lastFlush = Date.now();
    flushing++;
    const counters = { ...ctx.counters };
    return p.store.flush()
      .then((r) => {
        p.scheduler.addQueued(r.queuedByHost);
        return p.store.saveCounters(run.runId, counters);
      })
      .catch((err) => { failure ??= err; requestStop('error'); })
      .finally(() => { flushing--; poke(); });
  }

  const launch = (h: HostState, entry: FrontierEntry) => {
    inflight++;
    started++;
    p.scheduler.started(h, Date.now());
    handleEntry(ctx, h, entry)
      .then((r) => {
        if (r === 'requeued' || r === 'unfetched') { started--; h.started--; } // only fetches count toward the limits
        p.scheduler.finished(h, r === 'fetched');
      })
      .catch((err) => { failure ??= err; p.scheduler.finished(h, false); requestStop('error'); })
      .finally(() => { inflight--; poke(); });
  };

  if (opts.sitemaps && !run.resumed) {
    sitemapsRunning = true;
    seedFromSitemaps(ctx, run.seeds).catch(() => {}).finally(() => { sitemapsRunning = false; poke(); });
  }

  const progress = hooks.onProgress ? setInterval(() => hooks.onProgress!({
    counters: ctx.counters, queued: p.scheduler.queued(), inflight, elapsedMs: performance.now() - t0,
  }), PROGRESS_EVERY_MS) : undefined;

  let reason = 'finished' as StopReason;
  try {
    for (;;) {
      let waitUntil: number | null = null;
      // Take from the frontier while there is room in the I/O pool and the parse queue.
      while (!stop && inflight < opts.concurrency && p.pool.pendingBytes < PARSE_BACKLOG_BYTES && !(opts.maxPages && started >= opts.maxPages)) {
        const pick = p.scheduler.next(Date.now());
        if (pick.kind === 'entry') { launch(pick.host, pick.entry); continue; }
        if (pick.kind === 'claim') { p.scheduler.claimed(pick.host, await p.store.claim(pick.host.host, Math.max(8, opts.perHost * 4))); continue; }
        waitUntil = pick.untilMs;
        break;
      }
      if (failure) throw failure;
      // Idle: nothing fetching, parsing or being written (a commit may still queue new URLs).
      const idle = inflight === 0 && flushing === 0;
      if (p.store.pending() && flushing < FLUSHES_IN_FLIGHT && (p.store.full || inflight === 0 || Date.now() - lastFlush >= FLUSH_EVERY_MS)) {
        void flush();
        continue;
      }
      if (idle && stop) { reason = stop; break; }
      if (idle && !sitemapsRunning && (p.scheduler.empty() || (opts.maxPages && started >= opts.maxPages))) {
        reason = p.scheduler.empty() ? 'finished' : 'max-pages';
        break;
      }
      if (idle && stop === null && waitUntil === null && p.scheduler.empty() === false && !sitemapsRunning) {
        // Every host is at a limit (e.g. --max-pages-per-host): nothing more can be fetched.
        reason = 'finished';
        break;
      }
      const timeout = Math.max(1, Math.min(waitUntil === null ? FLUSH_EVERY_MS : waitUntil - Date.now(), FLUSH_EVERY_MS));
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => { wake = null; resolve(); }, timeout);
        wake = () => { clearTimeout(t); resolve(); };
      });
    }
    await flush();
    if (failure) throw failure;
  } catch (err) {
    failure ??= err;
  } finally {
    clearTimeout(maxTimer);
    clearInterval(progress);
    hooks.signal?.removeEventListener('abort', onAbort);
  }
  if (failure) {
    try { await p.store.finishRun(run.runId, 'interrupted', 'error', ctx.counters); } catch { /* the store itself failed */ }
    throw failure;
  }
  const resumable = reason === 'signal' || reason === 'max-time' || reason === 'aborted';
  const status: RunStatus = resumable ? 'interrupted' : 'done';
  await p.store.finishRun(run.runId, status, reason, ctx.counters);
  const breakdown = await p.store.summarize(run.runId);
  const elapsedMs = performance.now() - t0;
  const failed = Object.values(breakdown.errorsByCode).reduce((a, b) => a + b, 0);
  const total = Object.values(breakdown.byStatusClass).reduce((a, b) => a + b, 0);
  let exitCode: number = resumable ? EXIT.INTERRUPTED : EXIT.OK;
  if (!resumable && opts.failOnErrorRate !== undefined && total > 0 && failed / total > opts.failOnErrorRate) exitCode = EXIT.ERRORS_ABOVE_THRESHOLD;
  return {
    runId: run.runId, db: opts.db, status, stopReason: reason, resumed: run.resumed, elapsedMs,
    pagesPerSecond: ctx.counters.pages / Math.max(elapsedMs / 1000, 0.001), counters: ctx.counters,
    byStatusClass: breakdown.byStatusClass, errorsByCode: breakdown.errorsByCode,
    eventLoopUtilization: performance.eventLoopUtilization(elu0).utilization, workerUtilization: p.pool.utilization,
    writerUtilization: p.store.utilization, exitCode,
  };
}
