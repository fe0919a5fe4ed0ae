/**
 * The in-memory half of the frontier: which host goes next. The queue itself lives in the store
 * (SQL, bounded memory); the scheduler keeps per-host counts, a small claimed buffer per host,
 * and pacing state (delay, Crawl-delay, back-off, Retry-After). Hosts are served round-robin,
 * so one slow or backed-off host never blocks the others; each host's URLs come lowest depth first.
 */
import type { FrontierEntry } from '../store/types.js';

/** Pacing and limits the scheduler enforces. */
export interface SchedulerLimits {
  perHost: number;
  delayMs: number;
  maxCrawlDelayMs: number;
  maxPagesPerHost: number;
}

/** Per-host state. */
export interface HostState {
  host: string;
  /** Entries queued in the store (state 0), not yet claimed. */
  queued: number;
  /** Claimed entries waiting for a slot (lowest depth first). */
  buffer: FrontierEntry[];
  inflight: number;
  /** Earliest time (ms) the next request to this host may start. */
  nextAt: number;
  /** robots.txt Crawl-delay for this host, ms (0 if none). */
  crawlDelayMs: number;
  /** Adaptive back-off after 429/503, ms; decays on success. */
  backoffMs: number;
  /** Fetches started this run (for --max-pages-per-host). */
  started: number;
  /** A claim from the store is under way. */
  claiming: boolean;
  /** robots.txt verdicts arrived for this host; until then one fetch at a time (Crawl-delay unknown). */
  robotsReady: boolean;
  /** Consecutive robots.txt failures (5xx/network); URLs give up after a few. */
  robotsFailures: number;
}

/** What next() hands out. */
export type Pick =
  | { kind: 'entry'; host: HostState; entry: FrontierEntry }
  | { kind: 'claim'; host: HostState }
  | { kind: 'wait'; untilMs: number | null };

export class Scheduler {
  private readonly hosts = new Map<string, HostState>();
  /** Hosts that have queued or buffered work, in round-robin order. */
  private active: HostState[] = [];
  private cursor = 0;

  constructor(private readonly limits: SchedulerLimits) {}

  /** Adds store-side queue growth (from enqueue/flush results). */
  addQueued(counts: Map<string, number>): void {
    for (const [host, n] of counts) {
      if (n <= 0) continue;
      const h = this.host(host);
      const wasIdle = !this.hasWork(h);
      h.queued += n;
      if (wasIdle) this.active.push(h);
    }
  }

  /** State of one host (created on first use). */
  host(host: string): HostState {
    let h = this.hosts.get(host);
    if (!h) {
      h = { host, queued: 0, buffer: [], inflight: 0, nextAt: 0, crawlDelayMs: 0, backoffMs: 0, started: 0, claiming: false, robotsReady: false, robotsFailures: 0 };
      this.hosts.set(host, h);
    }
    return h;
  }

  /** Claimed entries arrive from the store. */
  claimed(h: HostState, entries: FrontierEntry[]): void {
    h.claiming = false;
    h.queued = Math.max(0, h.queued - entries.length);
    if (entries.length === 0) h.queued = 0; // the store had none: our count was stale
    h.buffer.push(...entries);
    if (!this.hasWork(h)) this.dropIdle();
  }

  /**
   * The next thing to do: an entry to fetch, a host whose buffer needs a claim from the store,
   * or a time to wait for (null: nothing to wait for — all idle or at their limits).
   */
  next(now: number): Pick {
    let soonest: number | null = null;
    const n = this.active.length;
    for (let i = 0; i < n; i++) {
      const idx = (this.cursor + i) % n;
      const h = this.active[idx];
      if (h.inflight >= (h.robotsReady ? this.limits.perHost : 1)) continue;
      if (this.limits.maxPagesPerHost && h.started >= this.limits.maxPagesPerHost) continue;
      if (h.buffer.length === 0) {
        if (h.queued > 0 && !h.claiming) {
          h.claiming = true;
          return { kind: 'claim', host: h };
        }
        continue;
      }
      if (h.nextAt > now) {
        soonest = soonest === null ? h.nextAt : Math.min(soonest, h.nextAt);
        continue;
      }
      this.cursor = (idx + 1) % n;
      const entry = h.buffer.shift()!;
      return { kind: 'entry', host: h, entry };
    }
    this.dropIdle();
    return { kind: 'wait', untilMs: soonest };
  }

  /** A fetch to `h` starts now: pacing applies from its start. */
  started(h: HostState, now: number): void {
    h.inflight++;
    h.started++;
    h.nextAt = now + this.delayOf(h);
  }

  /** A fetch to `h` ended; `ok` lets an adaptive back-off recover. */
  finished(h: HostState, ok: boolean): void {
    h.inflight--;
    if (ok && h.backoffMs) h.backoffMs = h.backoffMs < 100 ? 0 : Math.floor(h.backoffMs / 2);
  }

  /** 429/503 (or robots unavailable): back the host off, at least `waitMs` (Retry-After). */
  backOff(h: HostState, now: number, waitMs?: number): void {
    h.backoffMs = Math.min(this.limits.maxCrawlDelayMs, Math.max(waitMs ?? 0, h.backoffMs ? h.backoffMs * 2 : 1000));
    h.nextAt = Math.max(h.nextAt, now + Math.min(this.limits.maxCrawlDelayMs, Math.max(waitMs ?? 0, h.backoffMs)));
  }

  /** Blocks a host until `untilMs` without changing its back-off (e.g. robots.txt retry time). */
  holdUntil(h: HostState, untilMs: number): void {
    h.nextAt = Math.max(h.nextAt, untilMs);
  }

  /** Puts an entry back at the head of its host's buffer (retry, robots not ready). */
  requeue(h: HostState, entry: FrontierEntry): void {
    const wasIdle = !this.hasWork(h);
    h.buffer.unshift(entry);
    if (wasIdle) this.active.push(h);
  }

  /** Sets a host's robots.txt Crawl-delay (capped). */
  setCrawlDelay(h: HostState, ms: number | null): void {
    h.crawlDelayMs = Math.min(this.limits.maxCrawlDelayMs, ms ?? 0);
  }

  /** True when no host has queued or buffered work. */
  empty(): boolean {
    this.dropIdle();
    return this.active.length === 0;
  }

  /** Entries held in memory (claimed, not yet fetched): bounded by hosts x claim size. */
  buffered(): number {
    let n = 0;
    for (const h of this.active) n += h.buffer.length;
    return n;
  }

  /** Total queued in the store plus buffered, for progress display. */
  queued(): number {
    let n = 0;
    for (const h of this.active) n += h.queued + h.buffer.length;
    return n;
  }

  /** Drops every buffered entry (stop): they stay claimed in the store and return on resume. */
  drain(): FrontierEntry[] {
    const out: FrontierEntry[] = [];
    for (const h of this.active) { out.push(...h.buffer); h.buffer = []; }
    return out;
  }

  private delayOf(h: HostState): number {
    return Math.max(this.limits.delayMs, h.crawlDelayMs, h.backoffMs);
  }

  private hasWork(h: HostState): boolean {
    return h.queued > 0 || h.buffer.length > 0 || h.claiming;
  }

  private dropIdle(): void {
    if (this.active.some((h) => !this.hasWork(h))) {
      this.active = this.active.filter((h) => this.hasWork(h));
      this.cursor = 0;
    }
  }
}
