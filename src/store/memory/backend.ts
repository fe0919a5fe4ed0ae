/**
 * MemoryBackend: every port in plain Maps, for fast unit tests of the scheduler and the per-URL
 * pipeline, and for throwaway crawls (`--db memory:`). It keeps the same contract as the SQLite
 * backend (test/backend-contract.ts), nothing more: no page text search, no query commands.
 */
import { QUEUE_COUNT_CAP, type Claim, type EnqueueItem, type FrontierEntry, type Lease, type PriorFetch, type UrlSource } from '../../frontier/types.js';
import {
  countOutcome, emptyCounters, type Backend, type OpenedRunRow, type OutcomeBatch, type PageOutcome, type RobotsRecord,
  type RunBreakdown, type RunRow, type RunStatus, type StopReason, type WriteResult,
} from '../types.js';

interface QueueRow {
  urlId: number; host: string; depth: number; state: 0 | 1 | 2; source: UrlSource; redirectFrom: number | null; hops: number;
  owner: string | null; leaseUntil: number;
}

export class MemoryBackend implements Backend {
  readonly kind = 'memory';
  private readonly urls = new Map<string, number>();
  private readonly urlOf = new Map<number, string>();
  private readonly frontier = new Map<number, QueueRow>();
  /** What a page row would hold: the prior fetch, the links and the last outcome. */
  readonly pages = new Map<number, { prior: PriorFetch; links: PageOutcome['links']; last: PageOutcome }>();
  readonly pageRuns = new Map<string, { change: string; status: number | null; errorCode: string | null }>();
  private readonly runs: RunRow[] = [];
  private readonly robots = new Map<string, RobotsRecord>();

  constructor(readonly location: string) {}

  async lastRun(): Promise<RunRow | undefined> { return copy(this.runs.at(-1)); }
  async getRun(runId: number): Promise<RunRow | undefined> { return copy(this.runs.find((r) => r.id === runId)); }

  async openRun(req: { optionsJson: string; owner: string; fresh?: boolean }): Promise<OpenedRunRow> {
    const last = this.runs.at(-1);
    const unfinished = last !== undefined && (last.status === 'running' || last.status === 'interrupted');
    if (unfinished && !req.fresh) {
      for (const f of this.frontier.values()) if (f.state === 1) release(f); // one process: earlier owners are gone
      last.status = 'running'; last.endedAt = null; last.stopReason = null;
      return { run: copy(last)!, mode: 'resumed', previous: copy(last) };
    }
    if (unfinished) { Object.assign(last, { status: 'interrupted', stopReason: 'superseded', endedAt: new Date().toISOString() }); this.frontier.clear(); }
    for (const [id, f] of this.frontier) if (f.state === 2) this.frontier.delete(id); else release(f);
    const run: RunRow = { id: this.runs.length + 1, startedAt: new Date().toISOString(), endedAt: null, status: 'running', stopReason: null, options: req.optionsJson, counters: emptyCounters() };
    this.runs.push(run);
    return { run: copy(run)!, mode: 'started', previous: copy(last) };
  }

  async finishRun(runId: number, status: RunStatus, reason: StopReason): Promise<boolean> {
    const r = this.runs.find((x) => x.id === runId);
    if (!r || (r.status !== 'running' && r.status !== 'interrupted')) return false;
    Object.assign(r, { status, stopReason: reason, endedAt: new Date().toISOString() });
    return true;
  }

  async summarize(runId: number): Promise<RunBreakdown> {
    const byStatusClass: Record<string, number> = {}, errorsByCode: Record<string, number> = {};
    for (const [key, r] of this.pageRuns) {
      if (!key.startsWith(`${runId}:`)) continue;
      const cls = r.status === null ? 'none' : `${Math.floor(r.status / 100)}xx`;
      byStatusClass[cls] = (byStatusClass[cls] ?? 0) + 1;
      if (r.errorCode && r.change === 'error') errorsByCode[r.errorCode] = (errorsByCode[r.errorCode] ?? 0) + 1;
    }
    return { byStatusClass, errorsByCode };
  }

  async enqueue(items: EnqueueItem[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const it of items) this.enqueueOne(it, out);
    return out;
  }

  async enqueueDue(olderThan: string, adaptive: boolean, now: string): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const [urlId, p] of this.pages) {
      if (this.frontier.has(urlId)) continue;
      const last = p.prior.lastOkAt;
      const failed = p.prior.status === null || p.prior.status >= 400; // a failed latest fetch is never fresh
      const due = last === null || failed || (adaptive && p.prior.recrawlIntervalS !== null
        ? Date.parse(last) + p.prior.recrawlIntervalS * 1000 <= Date.parse(now) : last <= olderThan);
      if (!due) continue;
      const host = p.last.entry.host;
      this.frontier.set(urlId, { urlId, host, depth: p.last.entry.depth, state: 0, source: 'recrawl', redirectFrom: null, hops: 0, owner: null, leaseUntil: 0 });
      out.set(host, (out.get(host) ?? 0) + 1);
    }
    return out;
  }

  async queuedByHost(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const f of this.frontier.values()) if (f.state === 0) out.set(f.host, (out.get(f.host) ?? 0) + 1);
    return out;
  }

  async claim(host: string, limit: number, lease: Lease): Promise<Claim> {
    const queued = [...this.frontier.values()].filter((f) => f.host === host && f.state === 0)
      .sort((a, b) => a.depth - b.depth || a.urlId - b.urlId);
    const entries: FrontierEntry[] = queued.slice(0, limit).map((f) => {
      Object.assign(f, { state: 1, owner: lease.owner, leaseUntil: lease.until });
      return { urlId: f.urlId, url: this.urlOf.get(f.urlId)!, host, depth: f.depth, source: f.source, redirectFrom: f.redirectFrom, hops: f.hops,
        prior: this.pages.get(f.urlId)?.prior ?? null };
    });
    return { entries, remaining: Math.min(QUEUE_COUNT_CAP, queued.length - entries.length) };
  }

  async renew(lease: Lease): Promise<void> {
    for (const f of this.frontier.values()) if (f.state === 1 && f.owner === lease.owner) f.leaseUntil = lease.until;
  }

  async release(owner: string, urlIds: number[]): Promise<void> {
    for (const id of urlIds) { const f = this.frontier.get(id); if (f && f.state === 1 && f.owner === owner) release(f); }
  }

  async requeueExpired(now: number): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const f of this.frontier.values()) {
      if (f.state === 1 && f.leaseUntil < now) { release(f); out.set(f.host, (out.get(f.host) ?? 0) + 1); }
    }
    return out;
  }

  async write(batch: OutcomeBatch): Promise<WriteResult> {
    const rejected: number[] = [], queuedByHost = new Map<string, number>();
    const inc = emptyCounters();
    inc.requests = batch.requests;
    const complete = (urlId: number) => {
      const f = this.frontier.get(urlId);
      if (!f || f.state !== 1 || f.owner !== batch.owner) return false;
      Object.assign(f, { state: 2, owner: null, leaseUntil: 0 });
      return true;
    };
    for (const e of batch.skipped) { if (complete(e.urlId)) inc.skipped++; else rejected.push(e.urlId); }
    for (const o of batch.outcomes) {
      if (!complete(o.entry.urlId)) { rejected.push(o.entry.urlId); continue; }
      this.writeOutcome(o, batch.runId, queuedByHost);
      countOutcome(inc, o);
    }
    const run = this.runs.find((r) => r.id === batch.runId);
    if (run) for (const k of Object.keys(inc) as (keyof typeof inc)[]) run.counters[k] += inc[k];
    return { rejected, queuedByHost };
  }

  async getRobots(origin: string): Promise<RobotsRecord | undefined> { return this.robots.get(origin); }
  async putRobots(rec: RobotsRecord): Promise<void> { this.robots.set(rec.origin, { ...rec }); }
  utilization(): number { return 0; }
  async close(): Promise<void> {}

  private enqueueOne(it: EnqueueItem, out: Map<string, number>): void {
    let id = this.urls.get(it.url);
    if (id === undefined) { id = this.urls.size + 1; this.urls.set(it.url, id); this.urlOf.set(id, it.url); }
    const known = this.frontier.get(id);
    if (known) {
      if (known.state === 0 && it.depth < known.depth) known.depth = it.depth; // the shortest link path wins while queued
      return;
    }
    this.frontier.set(id, { urlId: id, host: it.host, depth: it.depth, state: 0, source: it.source, redirectFrom: it.redirectFrom ?? null, hops: it.hops ?? 0, owner: null, leaseUntil: 0 });
    out.set(it.host, (out.get(it.host) ?? 0) + 1);
  }

  private writeOutcome(o: PageOutcome, runId: number, out: Map<string, number>): void {
    const id = o.entry.urlId;
    const old = this.pages.get(id);
    const ok = o.change === 'new' || o.change === 'changed' || o.change === 'unchanged';
    const prior: PriorFetch = {
      status: o.status, etag: o.etag ?? old?.prior.etag ?? null, lastModified: o.lastModified ?? old?.prior.lastModified ?? null,
      contentHash: o.contentHash ?? old?.prior.contentHash ?? null, lastOkAt: ok ? o.fetchedAt : old?.prior.lastOkAt ?? null,
      recrawlIntervalS: o.recrawlIntervalS, bytes: o.notModified ? old?.prior.bytes ?? 0 : o.bytes,
    };
    this.pages.set(id, { prior, links: o.links ?? old?.links ?? [], last: o });
    for (const f of o.follow) this.enqueueOne(f, out);
    this.pageRuns.set(`${runId}:${id}`, { change: o.change, status: o.status, errorCode: o.errorCode });
  }
}

function release(f: QueueRow): void {
  f.state = 0; f.owner = null; f.leaseUntil = 0;
}

function copy<T>(v: T | undefined): T | undefined {
  return v === undefined ? undefined : structuredClone(v);
}
