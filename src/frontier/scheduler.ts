/**
 * Which host goes next. The scheduler keeps, per host, a small buffer of claimed entries, the
 * entries waiting for a retry time, and the pacing state (delay, Crawl-delay, back-off, Retry-After,
 * robots.txt retries).
 * Hosts are served round-robin, so one slow or backed-off host never blocks the others; each host's
 * URLs come lowest depth first. Queue sizes are the backend's: set by each claim's answer, grown by
 * each enqueue's answer (./frontier.ts).
 */
import type { HostState, Pick, SchedulerLimits, Settled } from './host-state.js';
import { QUEUE_COUNT_CAP, type Claim, type FrontierEntry, type HostPacing } from './types.js';

export type { HostState, Pick, SchedulerLimits, Settled } from './host-state.js';

/** Consecutive retryable failures (5xx, network) after which a whole host backs off. */
export const HOST_FAILURE_STREAK = 5;

export class Scheduler {
  private readonly hosts = new Map<string, HostState>();
  /** Hosts that have queued, buffered or waiting work, in round-robin order. */
  private active: HostState[] = [];
  private cursor = 0;
  /** Hosts whose pacing changed since takePacing() (shared runs record it for the next owner). */
  private readonly paced = new Set<HostState>();
  /**
   * `paced` is to be recorded at once rather than with the next heartbeat: a change made some host
   * wait longer (back-off, Retry-After, Crawl-delay, robots.txt retry or its count reset), and a next
   * owner that missed it would hit the host too soon; or a host with changes went idle, so the write
   * of its last claims is about to let it go. Otherwise (a back-off easing off) the heartbeat does.
   */
  private due = false;
  /** Fetches in flight, and started this run (every host together). */
  inflight = 0;
  started = 0;

  constructor(private readonly limits: SchedulerLimits) {}

  /** Adds backend-side queue growth (from enqueue and write answers). */
  addQueued(counts: Map<string, number>): void {
    for (const [host, n] of counts) {
      if (n <= 0) continue;
      const h = this.host(host);
      const wasIdle = !this.hasWorkOf(h);
      h.queued += n;
      if (wasIdle) this.active.push(h);
    }
  }

  /** State of one host (created on first use). */
  host(host: string): HostState {
    let h = this.hosts.get(host);
    if (!h) {
      h = {
        host, queued: 0, buffer: [], retries: [], inflight: 0, nextAt: 0, crawlDelayMs: 0, backoffMs: 0, failStreak: 0, started: 0,
        claiming: false, claimAfter: 0, robotsReady: false, robotsRetryAt: 0, robotsFailures: 0, probing: false, down: false,
        leaseDeadline: Infinity, leaseMs: 0,
      };
      this.hosts.set(host, h);
    }
    return h;
  }

  /**
   * Claimed entries arrive, with the backend's count of what stays queued for the host. A count at
   * QUEUE_COUNT_CAP means "at least that many": the larger of it and what we counted in is kept.
   */
  claimed(h: HostState, entries: FrontierEntry[], remaining: number): void {
    h.claiming = false;
    h.queued = remaining < QUEUE_COUNT_CAP ? remaining : Math.max(remaining, h.queued - entries.length);
    h.buffer.push(...entries);
    if (!this.hasWorkOf(h)) this.dropIdle();
  }

  /**
   * The next thing to do: an entry to fetch, a host whose buffer needs a claim from the backend,
   * or a time to wait for (null: nothing to wait for — all idle or at their limits).
   */
  next(now: number): Pick {
    let soonest: number | null = null;
    const later = (t: number) => { soonest = soonest === null ? t : Math.min(soonest, t); };
    const n = this.active.length;
    for (let i = 0; i < n; i++) {
      const idx = (this.cursor + i) % n;
      const h = this.active[idx];
      if (this.limits.maxPagesPerHost && h.started >= this.limits.maxPagesPerHost) continue;
      // The next claim starts while --per-host entries are still buffered, so the host's fetch slots
      // never wait for the backend's answer (they did once per claim when it started on empty).
      if (h.buffer.length <= this.limits.perHost && h.queued > 0 && !h.claiming && h.claimAfter <= now) {
        h.claiming = true;
        return { kind: 'claim', host: h };
      }
      // A host that is down has its entries recorded without a request: no limit, no pacing, no retry time.
      if (!h.down && h.inflight >= (h.robotsReady && !h.probing ? this.limits.perHost : 1)) continue;
      const retryDue = h.retries.length > 0 && (h.down || h.retries[0].at <= now);
      if (!retryDue && h.buffer.length === 0) {
        if (h.queued > 0 && !h.claiming) later(h.claimAfter);
        if (h.retries.length) later(h.retries[0].at);
        continue;
      }
      if (h.nextAt > now && !h.down) { later(h.nextAt); continue; }
      this.cursor = (idx + 1) % n;
      const entry = retryDue ? h.retries.shift()!.entry : h.buffer.shift()!;
      return { kind: 'entry', host: h, entry };
    }
    this.dropIdle();
    return { kind: 'wait', untilMs: soonest };
  }

  /** A fetch to `h` starts now: pacing applies from its start. */
  start(h: HostState, now: number): void {
    h.inflight++;
    h.started++;
    this.inflight++;
    this.started++;
    h.nextAt = now + this.delayOf(h);
  }

  /** A started entry settled: only fetches count toward the limits; successes let a back-off recover. */
  finish(h: HostState, how: Settled): void {
    h.inflight--;
    this.inflight--;
    if (how === 'requeued' || how === 'unfetched') { h.started--; this.started--; }
    if (how === 'fetched') {
      h.failStreak = 0;
      if (h.backoffMs) { h.backoffMs = h.backoffMs < 100 ? 0 : Math.floor(h.backoffMs / 2); this.paced.add(h); }
    }
    if (h.inflight === 0 && h.buffer.length === 0 && h.retries.length === 0 && this.paced.has(h)) this.due = true;
  }

  /**
   * 429/503: back the host off. A Retry-After the server gives is the wait (capped); without one the
   * back-off doubles from 1 s, up to --max-crawl-delay.
   */
  backOff(h: HostState, now: number, retryAfterMs?: number): void {
    const cap = this.limits.maxCrawlDelayMs;
    h.backoffMs = retryAfterMs !== undefined ? Math.min(cap, retryAfterMs) : Math.min(cap, h.backoffMs ? h.backoffMs * 2 : 1000);
    h.nextAt = Math.max(h.nextAt, now + h.backoffMs);
    this.lengthen(h);
  }

  /**
   * A transient failure of one URL (5xx, network): that URL alone waits until `at`; the host keeps
   * going unless failures come in a run (HOST_FAILURE_STREAK), which backs the whole host off.
   */
  retryLater(h: HostState, entry: FrontierEntry, at: number, now: number, countFailure = true): void {
    const wasIdle = !this.hasWorkOf(h);
    let i = h.retries.length;
    while (i > 0 && h.retries[i - 1].at > at) i--;
    h.retries.splice(i, 0, { at, entry });
    if (wasIdle) this.active.push(h);
    if (countFailure && ++h.failStreak >= HOST_FAILURE_STREAK) this.backOff(h, now);
  }

  /**
   * robots.txt is unavailable: blocks the host until its retry time `untilMs` without changing its
   * back-off, and counts the failure (a next owner neither fetches robots.txt before that time nor
   * gets the retries already spent again).
   */
  holdUntil(h: HostState, untilMs: number): void {
    h.nextAt = Math.max(h.nextAt, untilMs);
    h.robotsRetryAt = Math.max(h.robotsRetryAt, untilMs);
    h.robotsFailures++;
    this.lengthen(h);
  }

  /**
   * Connection failures made `h` suspect (../crawler/host-health.ts): no request before `until`,
   * then one at a time until it answers (`answered`) or is given up (`down`).
   */
  suspend(h: HostState, until: number): void {
    h.probing = true;
    h.nextAt = Math.max(h.nextAt, until);
  }

  /** A suspect host answered: its usual limits apply again. */
  answered(h: HostState): void {
    h.probing = false;
  }

  /** `h` is down for the rest of the run: what it holds and what it claims is handed out at once. */
  giveUp(h: HostState): void {
    h.down = true;
    h.probing = false;
  }

  /** robots.txt failures already spent for `host` (carried from earlier owners included), for the robots gate. */
  robotsSpent(host: string): number {
    return this.hosts.get(host)?.robotsFailures ?? 0;
  }

  /**
   * The host's lease may have run out (a stall, a lost database): its held entries are dropped and
   * returned to be given back; the host is claimed again, and the backend decides whose it is now.
   */
  forfeit(h: HostState, entry: FrontierEntry): FrontierEntry[] {
    const dropped = [entry, ...h.buffer.splice(0), ...h.retries.splice(0).map((r) => r.entry)];
    h.queued += dropped.length;
    h.claimAfter = 0;
    h.leaseDeadline = Infinity;
    return dropped;
  }

  /** Whether `host` has queued, buffered or waiting work here (or a claim under way). */
  hasWork(host: string): boolean {
    const h = this.hosts.get(host);
    return h !== undefined && this.hasWorkOf(h);
  }

  /** Puts an entry back at the head of its host's buffer (robots.txt not ready). */
  requeue(h: HostState, entry: FrontierEntry): void {
    const wasIdle = !this.hasWorkOf(h);
    h.buffer.unshift(entry);
    if (wasIdle) this.active.push(h);
  }

  /** robots.txt answered for `h`: its Crawl-delay (capped) applies from now on. */
  robotsKnown(h: HostState, crawlDelayMs: number | null, now: number): void {
    if (h.robotsReady) return;
    h.robotsReady = true;
    h.crawlDelayMs = Math.min(this.limits.maxCrawlDelayMs, crawlDelayMs ?? 0);
    h.nextAt = Math.max(h.nextAt, now + h.crawlDelayMs);
    // A Crawl-delay makes the host wait longer; a robots.txt retry count going back to 0 is recorded
    // at once too, or a next owner would start from failures that no longer hold.
    const hadFailures = h.robotsFailures > 0;
    h.robotsRetryAt = 0;
    h.robotsFailures = 0;
    if (h.crawlDelayMs > 0 || hadFailures) this.lengthen(h); else this.paced.add(h);
  }

  /** A host changed hands: continue the pacing its last owner recorded (never faster than ours). */
  applyPacing(h: HostState, p: NonNullable<Claim['pacing']>): void {
    if (p.crawlDelayMs !== null && !h.robotsReady) {
      h.robotsReady = true;
      h.crawlDelayMs = Math.min(this.limits.maxCrawlDelayMs, p.crawlDelayMs);
    }
    h.backoffMs = Math.max(h.backoffMs, Math.min(this.limits.maxCrawlDelayMs, p.backoffMs));
    h.nextAt = Math.max(h.nextAt, p.nextAt);
    if (!h.robotsReady && (p.robotsRetryAt !== null || p.robotsFailures > 0)) {
      // robots.txt was failing: no fetch (of it or of a page) before its retry time, and its retries count.
      h.robotsRetryAt = Math.max(h.robotsRetryAt, p.robotsRetryAt ?? 0);
      h.nextAt = Math.max(h.nextAt, h.robotsRetryAt);
      h.robotsFailures = Math.max(h.robotsFailures, p.robotsFailures);
    }
  }

  /** Pacing changes are to be recorded now, not with the next heartbeat (see `due`). */
  get pacingDue(): boolean {
    return this.due;
  }

  /** The pacing of hosts that changed since the last call. */
  takePacing(): HostPacing[] {
    const out = [...this.paced].map((h) => ({
      host: h.host, nextAt: h.nextAt, crawlDelayMs: h.robotsReady ? h.crawlDelayMs : null, backoffMs: h.backoffMs,
      robotsRetryAt: h.robotsRetryAt || null, robotsFailures: h.robotsFailures,
    }));
    this.paced.clear();
    this.due = false;
    return out;
  }

  /** True when no host has queued, buffered or waiting work. */
  empty(): boolean {
    this.dropIdle();
    return this.active.length === 0;
  }

  /** Entries queued in the backend plus those held here, for progress display. */
  queued(): number {
    let n = 0;
    for (const h of this.active) n += h.queued + h.buffer.length + h.retries.length;
    return n;
  }

  /** Every entry claimed and held here but not started (given back to the backend on a stop). */
  held(): FrontierEntry[] {
    const out: FrontierEntry[] = [];
    for (const h of this.active) out.push(...h.buffer, ...h.retries.map((r) => r.entry));
    return out;
  }

  private lengthen(h: HostState): void {
    this.paced.add(h);
    this.due = true;
  }

  private delayOf(h: HostState): number {
    return Math.max(this.limits.delayMs, h.crawlDelayMs, h.backoffMs);
  }

  private hasWorkOf(h: HostState): boolean {
    return h.queued > 0 || h.buffer.length > 0 || h.retries.length > 0 || h.claiming;
  }

  private dropIdle(): void {
    if (this.active.some((h) => !this.hasWorkOf(h))) {
      this.active = this.active.filter((h) => this.hasWorkOf(h));
      this.cursor = 0;
    }
  }
}
