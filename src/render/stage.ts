/**
 * The render stage as the crawl loop sees it: `before()` decides whether a fetched HTML response is
 * rendered (--render always, or auto's verdict) and renders it; the loop parses what it returns
 * (the rendered DOM, or the response as fetched) with the same parse stage and extractors; `after()`
 * marks the outcome (pages.rendered, or RENDER_TIMEOUT / RENDER_FAILED) and feeds auto's learning.
 */
import type { PacingFrontier } from '../frontier/ports.js';
import type { Fetcher, FetchResult } from '../fetch/types.js';
import type { RobotsGate } from '../polite/robots-gate.js';
import type { Scope } from '../url/scope.js';
import type { PageOutcome } from '../store/types.js';
import { ErrorCodes } from '../errors.js';
import { looksLikeHtml } from '../parse/sniff-html.js';
import { hostOf } from '../url/host.js';
import { ResourceCache } from './cache.js';
import { HostPacer } from './pacer.js';
import { BrowserPool, RenderAbort } from './pool.js';
import { renderPage } from './render-page.js';
import { scoreHtml, type Signals } from './signals.js';
import { AutoLearner, type VerdictStore } from './learn.js';
import { SubFetcher } from './subfetch.js';
import { LIMITS, type RenderReason, type RenderResult, type RenderSettings } from './types.js';

/** What the crawl loop needs to give the stage. */
export interface RenderDeps {
  fetcher: Fetcher;
  gate: RobotsGate;
  scope: Scope;
  /** The crawl's per-host records, so sub-requests are paced with the crawl's own fetches. */
  frontier: PacingFrontier;
  limits: { perHost: number; delayMs: number };
  /** Where auto's verdicts per host and path prefix are kept between runs (the database). */
  verdicts?: VerdictStore;
  /** Counts one request made (the run's request counter). */
  counted?: () => void;
}

/** One page's pass through the stage, from before() to after(). */
export interface RenderPass {
  /** The response to parse: the rendered DOM as UTF-8 HTML, or the response as fetched when rendering failed. */
  res: FetchResult;
  reason: RenderReason;
  result: RenderResult;
  signals: Signals | null;
  sampled: boolean;
  url: string;
}

export class RenderStage {
  readonly pool: BrowserPool;
  private readonly sub: SubFetcher;
  private readonly learner: AutoLearner;
  readonly cache = new ResourceCache(LIMITS.cacheBytes);
  /** Renders done and failed this run. */
  rendered = 0;
  failed = 0;

  private readonly fetcher: Fetcher;

  constructor(readonly settings: RenderSettings, deps: RenderDeps) {
    this.fetcher = deps.fetcher;
    this.pool = new BrowserPool(settings.executable, settings.concurrency);
    this.sub = new SubFetcher({
      fetcher: deps.fetcher, gate: deps.gate, scope: deps.scope, pacer: new HostPacer(deps.frontier, deps.limits),
      cache: this.cache, fetchTypes: settings.fetchTypes, counted: deps.counted,
    });
    this.learner = new AutoLearner(deps.verdicts);
  }

  /** Loads what earlier runs learned (auto). */
  async load(): Promise<void> {
    if (this.settings.mode === 'auto') await this.learner.load();
  }

  /** Renders `res` when the mode (or auto's verdict) says so; null: parse it as fetched. */
  async before(url: string, res: FetchResult, stop?: AbortSignal): Promise<RenderPass | null> {
    if (this.settings.mode === 'never' || res.errorCode || res.status === null || res.status < 200 || res.status >= 300 || res.status === 204) return null;
    if (!res.body || !looksLikeHtml(res.contentType, res.body)) return null;
    let reason: RenderReason = 'always';
    let signals: Signals | null = null;
    let sampled = false;
    if (this.settings.mode === 'auto') {
      signals = scoreHtml(res.body);
      const d = this.learner.decide(url, signals);
      if (!d.render) return null;
      reason = d.reason;
      sampled = d.sample;
    }
    const result = await this.render(url, res, stop);
    const pass: RenderPass = { res, reason, result, signals, sampled, url };
    if (result.ok) {
      pass.res = { ...res, body: result.html, charset: 'utf-8', contentType: 'text/html', headers: { ...res.headers, 'content-type': 'text/html; charset=utf-8' } };
      // With --warc the rendered DOM is archived as a conversion record referring to the response;
      // the page row points at it, so `crawl reparse` parses what was stored.
      if (res.warc && this.fetcher.archiveConversion) {
        pass.res.warc = this.fetcher.archiveConversion({ url, date: new Date(), refersTo: res.warcRecordId ?? null, contentType: 'text/html; charset=utf-8', body: result.html });
      }
    }
    return pass;
  }

  /** Marks the parsed outcome of a pass; auto learns from samples what rendering changed. */
  after(pass: RenderPass, o: PageOutcome): void {
    if (!pass.result.ok) {
      if (!o.errorCode) { o.errorCode = pass.result.code; o.errorMessage = pass.result.message; }
      return;
    }
    o.rendered = pass.reason;
    if (pass.sampled && pass.signals) this.learner.learn(pass.url, pass.signals, { textChars: o.content?.text?.length ?? 0, links: o.links?.length ?? 0 });
  }

  /** Renders one page; a crash is retried once on a fresh browser. */
  async render(url: string, res: FetchResult, stop?: AbortSignal): Promise<RenderResult> {
    const doc = { url, status: res.status ?? 200, headers: res.headers, body: res.body!, recordId: res.warcRecordId };
    for (let attempt = 1; ; attempt++) {
      try {
        const out = await this.pool.run(hostOf(url), this.settings.timeoutMs, stop, async (page, signal) =>
          renderPage(page, doc, this.sub, signal, hostOf(url)));
        this.rendered++;
        const b = out.budget;
        return { ok: true, html: Buffer.from(out.html, 'utf8'), subRequests: b.requests, subBytes: b.bytes, refused: b.refused };
      } catch (err) {
        if (err instanceof RenderAbort && err.kind === 'crash' && attempt === 1) continue;
        this.failed++;
        const timeout = err instanceof RenderAbort && err.kind === 'timeout';
        return { ok: false, code: timeout ? ErrorCodes.RENDER_TIMEOUT : ErrorCodes.RENDER_FAILED, message: (err as Error).message.slice(0, 500) };
      }
    }
  }

  /** Saves what auto learned and closes every browser. */
  async close(): Promise<void> {
    await this.pool.close();
    if (this.settings.mode === 'auto') await this.learner.save().catch(() => {});
  }
}
