/**
 * crawl(): the library entry. It opens the backend chosen by --db (or the one a caller passes),
 * opens the run, builds the pipeline's stages, runs the loop (./loop.ts) and ends the run.
 */
import { setMaxListeners } from 'node:events';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { resolveOptions, type CrawlOptions, type ResolvedOptions } from '../options/options.js';
import { BadInputError, runExitCode } from '../errors.js';
import type { UndiciFetcher } from '../fetch/fetcher.js';
import { createFetcher } from '../fetch/create.js';
import { Frontier } from '../frontier/frontier.js';
import { ParsePool } from '../parse/pool.js';
import { RobotsPolicy, productToken } from '../polite/robots.js';
import { RobotsGate } from '../polite/robots-gate.js';
import { openBackend } from '../store/factory.js';
import { Outbox } from '../store/outbox.js';
import type { Backend } from '../store/types.js';
import { Scope } from '../url/scope.js';
import { hostKey } from '../url/host.js';
import { tryNormalize } from '../url/normalize.js';
import type { CrawlContext } from './context.js';
import { StopController } from './controller.js';
import { runLoop } from './loop.js';
import { HostHealth } from './host-health.js';
import { openRun, type OpenedRun } from './run.js';
import { scanSeedFile, type SeedScan } from '../frontier/seeds.js';
import { seedFromSitemaps } from './sitemap-seeding.js';
import type { CrawlHooks, RunSummary } from './types.js';
import type { RenderStage } from '../render/stage.js';

export { STOP_GRACE_MS } from './controller.js';

const PROGRESS_EVERY_MS = 250;

/**
 * Crawls from `options.seeds` (or resumes/refreshes the database's run) and resolves to the run summary.
 * Options are validated here; bad ones throw BadInputError before anything is fetched. `hooks.backend`
 * replaces the backend --db names (any object implementing the Backend ports).
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

/**
 * Runs a crawl with already-resolved options (the CLI resolves them itself). Seeds come from
 * `opts.seeds` and/or the seed file `opts.urls`, streamed (`scan`: the file was validated already).
 */
export async function runCrawl(opts: ResolvedOptions, hooks: CrawlHooks = {}, scan?: SeedScan): Promise<RunSummary> {
  const rules = { stripParams: opts.stripParams };
  const seeds = normalizeSeeds(opts.seeds, rules);
  if (opts.urls && !scan) scan = await scanSeedFile(opts.urls, rules, opts.maxUrlLength);
  // --render without a browser is bad input, told before anything is opened or fetched. The render
  // stage (Playwright) loads only for a crawl that renders: with it, half of a worker's start-up.
  const rendering = opts.render !== 'never'
    ? await Promise.all([import('../render/find-browser.js'), import('../render/stage.js')]) : undefined;
  const browser = rendering?.[0].findBrowser(opts.browser);
  const owner = `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const backend = await openBackend(hooks.backend ?? opts.db);
  let fetcher: UndiciFetcher | undefined;
  let pool: ParsePool | undefined;
  let render: RenderStage | undefined;
  try {
    const run = await openRun(backend, opts, { list: seeds, scan }, owner);
    const scope = await Scope.create(opts, run.scopeOrigins.map((o) => new URL(o).host));
    const seedHosts = new Set(run.scopeOrigins.map((o) => hostKey(new URL(o).hostname)));
    fetcher = await createFetcher(opts, {
      seeds: run.scopeOrigins, allowPrivateHost: (hostname) => opts.allowPrivate || seedHosts.has(hostKey(hostname)),
    });
    pool = new ParsePool({ workers: opts.workers, parseTimeoutMs: opts.parseTimeoutMs, workerMemoryMb: opts.workerMemory, stripParams: opts.stripParams, extract: opts.extract ?? null,
      searchIndexer: backend.searchIndexer });
    return await drive(opts, hooks, backend, run, owner, { fetcher, pool, scope, rules }, (ctx) => {
      if (!browser || !rendering) return undefined;
      render = new rendering[1].RenderStage(
        { mode: opts.render, executable: browser, concurrency: opts.renderConcurrency, timeoutMs: opts.renderTimeoutMs, fetchTypes: opts.renderFetch },
        { fetcher: ctx.fetcher, gate: ctx.gate, scope: ctx.scope, frontier: ctx.frontier, limits: opts, verdicts: backend.verdicts, counted: () => ctx.outbox.request() });
      return render;
    });
  } finally {
    await render?.close().catch(() => {}); // every browser closes before the crawl returns
    await pool?.close().catch(() => {});
    await fetcher?.close().catch(() => {});
    // A backend the caller passed stays open: it is theirs.
    if (!hooks.backend) await backend.close();
  }
}

/** Builds the stages, runs the loop, ends the run and sums it up. */
async function drive(
  opts: ResolvedOptions, hooks: CrawlHooks, backend: Backend, run: OpenedRun, owner: string,
  p: Pick<CrawlContext, 'fetcher' | 'pool' | 'scope' | 'rules'>, makeRender: (ctx: CrawlContext) => CrawlContext['render'],
): Promise<RunSummary> {
  const t0 = performance.now();
  const elu0 = performance.eventLoopUtilization();
  const ctl = new StopController(opts.maxTimeMs, hooks.signal);
  // Every in-flight fetch listens on it: without this, Node warns of a listener leak above 10 fetches.
  setMaxListeners(opts.concurrency * 2 + 16, ctl.hard.signal);
  const frontier = new Frontier(backend, {
    limits: opts, claimSize: Math.max(8, opts.perHost * 4), owner, leaseMs: opts.leaseMs, renewEveryMs: opts.heartbeatMs,
  }, () => ctl.poke());
  const outbox = new Outbox(backend, run.runId, owner, (r) => frontier.added(r.queuedByHost, r.offered), () => ctl.poke());
  const robots = opts.ignoreRobots ? null : new RobotsPolicy({
    fetcher: p.fetcher, store: backend, userAgent: opts.userAgent, maxCrawlDelayMs: opts.maxCrawlDelayMs,
    retryUnavailableMs: opts.robotsRetryMs, timeoutMs: opts.totalTimeoutMs, onFetched: () => outbox.request(),
  });
  const ctx: CrawlContext = {
    ...p, opts, robots, gate: new RobotsGate(robots, (host) => frontier.robotsSpent(host)), robotsToken: productToken(opts.userAgent), frontier, outbox, hooks,
    hardStop: ctl.hard.signal, health: new HostHealth(hooks.onHostDown), attempts: new Map(), chains: new Map(),
  };
  ctx.render = makeRender(ctx);
  await Promise.all([frontier.load(), ctx.render?.load()]);
  hooks.onStart?.({ runId: run.runId, resumed: run.resumed, joined: run.mode === 'joined', seeds: run.seedCount, db: backend.location, notices: run.notices });
  if (!run.resumed && run.seedCount === 0 && frontier.empty()) {
    throw new BadInputError('no seeds: give --urls FILE (one URL per line) or seeds in the config');
  }
  // Work that may still queue URLs while the loop runs: the rest of a large seed file, sitemaps.
  const background = { running: 0, ended: false, tasks: [] as Promise<unknown>[] };
  const inBackground = (p: Promise<unknown>, onError: (err: unknown) => void) => {
    background.running++;
    background.tasks.push(p.catch(onError).finally(() => { background.running--; ctl.poke(); }));
  };
  if (run.moreSeeds) inBackground(run.moreSeeds(() => background.ended), (err) => { frontier.failure ??= err; });
  if (opts.sitemaps && !run.resumed) inBackground(seedFromSitemaps(ctx, run.scopeOrigins), () => {});
  const progress = hooks.onProgress ? setInterval(() => hooks.onProgress!({
    counters: outbox.counters, queued: frontier.queued(), inflight: frontier.inflight, elapsedMs: performance.now() - t0,
  }), PROGRESS_EVERY_MS) : undefined;

  let { reason, failure } = await runLoop(ctx, ctl, background).finally(() => { clearInterval(progress); ctl.dispose(); });
  background.ended = true;
  await Promise.all(background.tasks);
  if (!failure) { await outbox.drain(); failure = outbox.failure; }
  await frontier.releaseHeld().catch(() => {}); // otherwise they return when their lease runs out
  if (failure) {
    try { await backend.finishRun(run.runId, 'interrupted', 'error'); } catch { /* the backend itself failed */ }
    throw failure;
  }
  let status: 'done' | 'interrupted' = ctl.resumable ? 'interrupted' : 'done';
  await backend.finishRun(run.runId, status, reason);
  const [row, breakdown] = await Promise.all([backend.getRun(run.runId), backend.summarize(run.runId)]);
  // A shared run whose seeder died before queuing every seed ended resumable, whoever finished it.
  let resumable = ctl.resumable;
  if (row?.status === 'interrupted' && row.stopReason === 'seeds-incomplete') { status = 'interrupted'; reason = 'seeds-incomplete'; resumable = true; }
  const counters = row!.counters;
  const elapsedMs = performance.now() - t0;
  const failed = Object.values(breakdown.errorsByCode).reduce((a, b) => a + b, 0);
  const total = Object.values(breakdown.byStatusClass).reduce((a, b) => a + b, 0);
  const answered = total - (breakdown.byStatusClass.none ?? 0) + counters.disallowed;
  return {
    runId: run.runId, db: backend.location, status, stopReason: reason, resumed: run.resumed, joined: run.mode === 'joined', elapsedMs,
    pagesPerSecond: outbox.counters.pages / Math.max(elapsedMs / 1000, 0.001), counters, session: outbox.counters,
    byStatusClass: breakdown.byStatusClass, errorsByCode: breakdown.errorsByCode,
    eventLoopUtilization: performance.eventLoopUtilization(elu0).utilization, workerUtilization: p.pool.utilization,
    writerUtilization: backend.utilization(), rejected: outbox.rejected, hostsDown: ctx.health.list(),
    exitCode: runExitCode({ resumable, tried: total, answered, failed, total, failOnErrorRate: opts.failOnErrorRate }),
  };
}
