/**
 * The frontier stage: the scheduler (which host next, pacing) over the backend's queue (QueuePort).
 * Claims run in the background, so a slow backend never stalls the hosts that have work buffered;
 * claims carry a lease that a heartbeat renews, and leases others lost are taken back.
 */
import type { EnqueueItem, Lease, QueuePort } from './types.js';
import { Scheduler, type HostState, type SchedulerLimits, type Settled } from './scheduler.js';
import type { FrontierEntry } from './types.js';
import type { CrawlFrontier, Next } from './ports.js';

export type { Next } from './ports.js';

/** How long a claim is held without a heartbeat, and how often the heartbeat renews it. */
export const LEASE_MS = 30_000;
export const RENEW_EVERY_MS = 5_000;
/** How often an idle worker of a shared run asks whether the run still has work. */
const PENDING_EVERY_MS = 2_000;
/**
 * A worker that joined a run and has fetched nothing yet asks more often, for its first JOINING_MS:
 * the hosts the others give it wait for it to look (3 workers joining one: a second of 4 per host).
 */
const JOINING_PENDING_EVERY_MS = 500;
const JOINING_MS = 15_000;
/** Claims under way at once; more wait their turn. */
export const MAX_CLAIMS = 8;

/**
 * How long before a host lease's end, as this worker knows it, it stops starting fetches there: a
 * fifth of the lease, so a request started just before the deadline has begun well before the
 * server lets another worker take the host.
 */
export function margin(leaseMs: number): number {
  return leaseMs / 5;
}

export interface FrontierOptions {
  limits: SchedulerLimits;
  /** Entries claimed per host at a time. */
  claimSize: number;
  /** This process's lease owner id. */
  owner: string;
  leaseMs?: number;
  renewEveryMs?: number;
}

/** The frontier stage: the scheduler over the backend's queue, seen by the crawler through CrawlFrontier (./ports.ts). */
export class Frontier implements CrawlFrontier {
  /** Which host next, and its pacing: reached only through the methods below, never from outside. */
  private readonly scheduler: Scheduler;
  /** A failed backend call: the crawl stops with it. */
  failure: unknown = null;
  private claims = 0;
  /**
   * Hosts waiting for a claim slot (they keep `claiming` set, so the scheduler does not pick them
   * again): refills of hosts this worker fetches from first, then first claims of
   * hosts new to it (a seeding worker knows every seed host: their first claims, thousands, queued
   * ahead of its own hosts' refills and starved them; it fetched a fifth of the others' pages).
   */
  private readonly refills: HostState[] = [];
  private readonly firsts: HostState[] = [];
  private lastPending = 0;
  private readonly born = performance.now();
  private lastRenew = Date.now();
  private lastExpiry = Date.now();
  /** The savePacing call under way: one at a time, so an older state never lands after a newer one. */
  private saving: Promise<void> | null = null;
  private readonly leaseMs: number;
  private readonly renewEveryMs: number;

  /** `onChange` is called when a background call settles (the loop may have new work). */
  constructor(private readonly queue: QueuePort, private readonly o: FrontierOptions, private readonly onChange: () => void) {
    this.scheduler = new Scheduler(o.limits);
    this.leaseMs = o.leaseMs ?? LEASE_MS;
    this.renewEveryMs = o.renewEveryMs ?? RENEW_EVERY_MS;
  }

  /** This process's lease, from now. */
  lease(now = Date.now()): Lease {
    return { owner: this.o.owner, until: now + this.leaseMs };
  }

  /**
   * Learns which hosts have queued work (at the start, and while idle in a shared run), and claims
   * them now whatever an earlier answer said: the backend names only hosts this worker may claim now
   * (in a shared run: its own, and free ones reserved or given to it).
   */
  async load(): Promise<void> {
    const hosts = await this.queue.queuedByHost(this.o.owner);
    for (const host of hosts.keys()) this.scheduler.host(host).claimAfter = 0;
    this.scheduler.addQueued(hosts);
  }

  /**
   * The next entry whose host is ready; starts claims for hosts whose buffer ran dry. Shared runs: an
   * entry whose host lease may have run out (no renewal seen in time: a stall, a lost database) is not
   * started; the host's held entries are given back and the host is claimed again (fencing: the
   * backend refuses their results anyway, this keeps two workers off one host).
   */
  next(now: number): Next {
    for (;;) {
      const p = this.scheduler.next(now);
      if (p.kind === 'claim') { this.claim(p.host); continue; }
      if (p.kind === 'entry' && performance.now() > p.host.leaseDeadline) {
        const dropped = this.scheduler.forfeit(p.host, p.entry);
        this.background(this.queue.release(this.o.owner, dropped.map((e) => e.urlId)));
        continue;
      }
      return p;
    }
  }

  /** Claims are under way (their answers may bring work). */
  get claiming(): boolean {
    return this.claims > 0 || this.refills.length > 0 || this.firsts.length > 0;
  }

  /** A stop: claims waiting for a slot are not started (those under way finish). */
  dropQueuedClaims(): void {
    for (const h of [...this.refills.splice(0), ...this.firsts.splice(0)]) h.claiming = false;
  }

  // CrawlFrontier: the loop's counts and the pacing decisions, handed to the scheduler as they are
  // (documented on the interfaces in ./ports.ts).
  get inflight(): number { return this.scheduler.inflight; }
  get started(): number { return this.scheduler.started; }
  start(h: HostState, now: number): void { this.scheduler.start(h, now); }
  finish(h: HostState, how: Settled): void { this.scheduler.finish(h, how); }
  empty(): boolean { return this.scheduler.empty(); }
  queued(): number { return this.scheduler.queued(); }
  host(host: string): HostState { return this.scheduler.host(host); }
  holdUntil(h: HostState, untilMs: number): void { this.scheduler.holdUntil(h, untilMs); }
  requeue(h: HostState, entry: FrontierEntry): void { this.scheduler.requeue(h, entry); }
  robotsKnown(h: HostState, crawlDelayMs: number | null, now: number): void { this.scheduler.robotsKnown(h, crawlDelayMs, now); }
  robotsSpent(host: string): number { return this.scheduler.robotsSpent(host); }
  suspend(h: HostState, until: number): void { this.scheduler.suspend(h, until); }
  answered(h: HostState): void { this.scheduler.answered(h); }
  giveUp(h: HostState): void { this.scheduler.giveUp(h); }
  backOff(h: HostState, now: number, retryAfterMs?: number): void { this.scheduler.backOff(h, now, retryAfterMs); }
  retryLater(h: HostState, entry: FrontierEntry, at: number, now: number, countFailure?: boolean): void {
    this.scheduler.retryLater(h, entry, at, now, countFailure);
  }

  /** Adds URLs (one round trip) and counts them in. */
  async enqueue(items: EnqueueItem[]): Promise<number> {
    if (items.length === 0) return 0;
    const added = await this.queue.enqueue(items);
    this.scheduler.addQueued(added);
    let n = 0;
    for (const v of added.values()) n += v;
    return n;
  }

  /** Queue growth the backend reported elsewhere (a write's links), and hosts let go for this worker. */
  added(counts: Map<string, number>, offered: string[] = []): void {
    this.scheduler.addQueued(counts);
    for (const host of offered) this.offered(host);
  }

  /** A host another worker let go for this one (balancing): claimed at once, whatever wait a refusal set. */
  private offered(host: string): void {
    this.scheduler.host(host).claimAfter = 0;
    if (!this.scheduler.hasWork(host)) this.scheduler.addQueued(new Map([[host, 1]]));
  }

  /**
   * Heartbeat: renews this process's leases, takes back leases that other owners let expire, records
   * pacing. A wait that got longer (back-off, Retry-After, Crawl-delay, robots.txt retry) is recorded
   * at the first tick after it, batched with whatever else changed, not with the next heartbeat: a
   * worker dying in between would leave its next owner to hit the host at once.
   */
  tick(now: number): void {
    if (now - this.lastRenew >= this.renewEveryMs) {
      this.lastRenew = now;
      const sent = performance.now();
      this.background(this.queue.renew(this.lease(now)).then((hosts) => {
        for (const { host, queued, offered } of hosts ?? []) {
          if (offered) { this.offered(host); continue; }
          const h = this.scheduler.host(host);
          if (h.leaseMs) h.leaseDeadline = Math.max(h.leaseDeadline === Infinity ? 0 : h.leaseDeadline, sent + h.leaseMs - margin(h.leaseMs));
          // A host kept between claims that others queued work on: claim it (its owner is the only one who can).
          if (queued && !this.scheduler.hasWork(host)) this.scheduler.addQueued(new Map([[host, 1]]));
        }
      }));
      this.savePacing();
    } else if (this.scheduler.pacingDue) {
      this.savePacing();
    }
    if (now - this.lastExpiry >= this.leaseMs / 2) {
      this.lastExpiry = now;
      this.background(this.queue.requeueExpired(now).then((m) => this.scheduler.addQueued(m)));
    }
  }

  /**
   * Shared runs (several workers): whether this worker should wait rather than end — other workers
   * still hold live claims (their pages may link to more), or the run has queued entries this worker
   * may claim. Either way it learns what it may claim: its hosts with queued work, and free hosts
   * reserved or given to it.
   * Asks the backend at most every PENDING_EVERY_MS.
   */
  async othersBusy(now: number): Promise<boolean> {
    if (!this.queue.pending) return false;
    const joining = this.scheduler.started === 0 && performance.now() - this.born < JOINING_MS;
    if (now - this.lastPending < (joining ? JOINING_PENDING_EVERY_MS : PENDING_EVERY_MS)) return true;
    this.lastPending = now;
    const p = await this.queue.pending(now);
    if (p.queued > 0 || p.leased > 0) await this.load();
    return p.leased > 0 || !this.scheduler.empty();
  }

  /**
   * Gives every claimed entry not yet started back to the queue (a stop). The pacing is recorded
   * first (committed before the release lets the hosts go), so the next owner sees the latest.
   */
  async releaseHeld(): Promise<void> {
    await this.flushPacing();
    const held = this.scheduler.held();
    await this.queue.release(this.o.owner, held.map((e) => e.urlId), true);
  }

  /** Records every pacing change not yet recorded, after the call under way; resolves once committed. */
  async flushPacing(): Promise<void> {
    for (let p = this.underWay(); p; p = this.underWay()) await p.catch(() => {});
    this.savePacing();
    await this.underWay()?.catch(() => {});
  }

  /**
   * Shared runs: the pacing of the hosts held here goes to the backend for their next owner, one
   * call (one round trip) for every host that changed. While a call is under way, changes wait for
   * the tick after it settles (onChange pokes the loop).
   */
  private savePacing(): void {
    if (!this.queue.savePacing || this.saving) return;
    const items = this.scheduler.takePacing();
    if (!items.length) return;
    const saving = this.queue.savePacing(this.o.owner, items).finally(() => { this.saving = null; });
    this.saving = saving;
    this.background(saving);
  }

  private underWay(): Promise<void> | null {
    return this.saving;
  }

  /**
   * Starts a claim for `h`, or queues it while MAX_CLAIMS claims are under way: a crawl of thousands
   * of hosts would otherwise send a claim for each at once (a transaction each on PostgreSQL).
   */
  private claim(h: HostState): void {
    if (this.claims >= MAX_CLAIMS) { (h.started > 0 ? this.refills : this.firsts).push(h); return; }
    this.claims++;
    const sent = performance.now();
    const settle = this.queue.claim(h.host, this.o.claimSize, this.lease())
      .then((c) => {
        if (c.hostLeaseMs !== undefined && c.entries.length) {
          h.leaseMs = c.hostLeaseMs;
          h.leaseDeadline = sent + c.hostLeaseMs - margin(c.hostLeaseMs);
        }
        if (c.pacing) this.scheduler.applyPacing(h, c.pacing);
        this.scheduler.claimed(h, c.entries, c.theirs ? 0 : c.remaining); // another worker's: forgotten until the backend names it
        if (c.busyUntil !== undefined) h.claimAfter = c.busyUntil;
        if (c.yielded && h.buffer.length) {
          // The host is being given to another worker: what is held here and not started goes back now.
          const back = h.buffer.splice(0);
          h.queued += back.length;
          this.background(this.queue.release(this.o.owner, back.map((e) => e.urlId)));
        }
      }, (err) => { h.claiming = false; throw err; })
      .finally(() => {
        this.claims--;
        const next = this.refills.shift() ?? this.firsts.shift();
        if (next) this.claim(next);
      });
    this.background(settle);
  }

  private background(p: Promise<unknown>): void {
    p.catch((err) => { this.failure ??= err; }).finally(() => this.onChange());
  }
}
