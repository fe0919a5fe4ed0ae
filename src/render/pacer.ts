/**
 * Per-host politeness for the browser's sub-requests, on the crawler's own per-host records
 * (the frontier's HostState, looked up through PacingFrontier): a sub-request waits for the host's
 * next start time (--delay, Crawl-delay, back-off) and for a free in-flight slot (--per-host), and
 * holds that slot while it runs, so the crawl loop sees it too. Requests to the page's own host use
 * the page's slot (the page already holds one; taking a second could wait forever with --per-host 1),
 * one at a time.
 */
import type { HostState, PacingFrontier } from '../frontier/ports.js';

/** How often a waiting sub-request looks again; pacing is in hundreds of ms, so this is plenty. */
const POLL_MS = 20;

export class HostPacer {
  constructor(private readonly frontier: PacingFrontier, private readonly limits: { perHost: number; delayMs: number }) {}

  /**
   * Waits for a start on `host` and returns its release; `own` is the page's mutex for its own host.
   * Rejects when `signal` aborts (the render ended) before a slot came.
   */
  async acquire(host: string, pageHost: string, own: PageLane, signal: AbortSignal): Promise<() => void> {
    const h = this.frontier.host(host);
    if (host === pageHost) {
      const unlock = await own.lock(signal);
      await this.waitUntil(() => h.nextAt <= Date.now(), signal).catch((err) => { unlock(); throw err; });
      h.nextAt = Date.now() + this.delayOf(h);
      return unlock;
    }
    await this.waitUntil(() => h.nextAt <= Date.now() && h.inflight < (h.robotsReady ? this.limits.perHost : 1), signal);
    h.inflight++;
    h.nextAt = Date.now() + this.delayOf(h);
    let done = false;
    return () => { if (!done) { done = true; h.inflight--; } };
  }

  private delayOf(h: HostState): number {
    return Math.max(this.limits.delayMs, h.crawlDelayMs, h.backoffMs);
  }

  private async waitUntil(ready: () => boolean, signal: AbortSignal): Promise<void> {
    while (!ready()) {
      if (signal.aborted) throw new Error('render ended while waiting for the host');
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
}

/** One page's sub-requests to its own host go one at a time, on the slot the page holds. */
export class PageLane {
  private tail: Promise<void> = Promise.resolve();

  async lock(signal: AbortSignal): Promise<() => void> {
    let release!: () => void;
    const prev = this.tail;
    this.tail = new Promise<void>((r) => { release = r; });
    await prev;
    if (signal.aborted) { release(); throw new Error('render ended while waiting for the host'); }
    return release;
  }
}
