/**
 * SqliteStore: the SQLite backend's ports, answered synchronously on the connection's own thread
 * (./writer-thread.ts; ./backend.ts is the async face the crawl uses). One writer, WAL, statements
 * prepared once, every batch one transaction. A run lock (../lock.ts) guarantees this is the only
 * writing process, so starting or resuming a run may release every claim: their owners are dead.
 */
import { loadVerdicts, saveVerdicts } from './verdicts.js';
import type Database from 'better-sqlite3';
import { QUEUE_COUNT_CAP, type Claim, type FrontierEntry, type Lease, type UrlSource } from '../../frontier/types.js';
import type { EnqueueItem, OpenedRunRow, OutcomeBatch, RobotsRecord, RunBreakdown, RunRow, RunStatus, StopReason, Verdict, WriteResult } from '../types.js';
import { dbError, openWritable } from './open.js';
import { prepareStatements, type Statements } from './statements.js';
import { toRunRow } from '../rows.js';
import { BatchWriter } from './write-batch.js';

export class SqliteStore {
  readonly db: Database.Database;
  private readonly s: Statements;
  private readonly batches: BatchWriter;

  constructor(readonly file: string) {
    this.db = openWritable(file);
    this.s = prepareStatements(this.db);
    this.batches = new BatchWriter(this.s);
  }

  // --- RunLog ---

  lastRun(): RunRow | undefined {
    const r = this.s.lastRun.get() as Record<string, unknown> | undefined;
    return r ? toRunRow(r) : undefined;
  }

  getRun(runId: number): RunRow | undefined {
    const r = this.s.getRun.get(runId) as Record<string, unknown> | undefined;
    return r ? toRunRow(r) : undefined;
  }

  openRun(req: { optionsJson: string; owner: string; fresh?: boolean }): OpenedRunRow {
    return this.tx(() => {
      const last = this.lastRun();
      const unfinished = last !== undefined && (last.status === 'running' || last.status === 'interrupted');
      if (unfinished && !req.fresh) {
        this.s.unclaimAll.run(); // the run lock proves the owners of these claims are gone
        this.s.markResumed.run(last.id);
        return { run: this.getRun(last.id)!, mode: 'resumed' as const, previous: last };
      }
      if (unfinished) {
        // --fresh: the unfinished run ends and its queue with it; pages and links stay.
        this.s.finishRun.run(new Date().toISOString(), 'interrupted', 'superseded', last.id);
        this.s.dropAll.run();
      }
      // Entries finished in the previous run are dropped; unfetched ones carry over.
      this.s.dropDone.run();
      this.s.unclaimAll.run();
      const id = Number(this.s.insertRun.run(new Date().toISOString(), req.optionsJson).lastInsertRowid);
      return { run: this.getRun(id)!, mode: 'started' as const, previous: last };
    }, (r) => { this.batches.runId = r.run.id; });
  }

  finishRun(runId: number, status: RunStatus, reason: StopReason): boolean {
    return this.tx(() => this.s.finishRun.run(new Date().toISOString(), status, reason, runId).changes > 0);
  }

  summarize(runId: number): RunBreakdown {
    const byStatusClass: Record<string, number> = {};
    for (const r of this.s.statusClasses.all(runId) as { cls: string; n: number }[]) byStatusClass[r.cls] = r.n;
    const errorsByCode: Record<string, number> = {};
    for (const r of this.s.errorCodes.all(runId) as { code: string; n: number }[]) errorsByCode[r.code] = r.n;
    return { byStatusClass, errorsByCode };
  }

  // --- QueuePort ---

  enqueue(items: EnqueueItem[]): Map<string, number> {
    const out = new Map<string, number>();
    this.tx(() => {
      const now = new Date().toISOString();
      for (const it of items) this.batches.enqueueOne(it, now, out);
    });
    return out;
  }

  enqueueDue(olderThan: string, adaptive: boolean, now: string): Map<string, number> {
    const out = new Map<string, number>();
    this.tx(() => {
      const rows = (adaptive ? this.s.dueAdaptive.all(now, olderThan) : this.s.due.all(olderThan)) as { host: string; n: number }[];
      for (const r of rows) out.set(r.host, r.n);
      if (adaptive) this.s.enqueueDueAdaptive.run(now, olderThan); else this.s.enqueueDue.run(olderThan);
    });
    return out;
  }

  queuedByHost(): Map<string, number> {
    const out = new Map<string, number>();
    for (const r of this.s.queuedByHost.all() as { host: string; n: number }[]) out.set(r.host, r.n);
    return out;
  }

  claim(host: string, limit: number, lease: Lease): Claim {
    return this.tx(() => {
      const rows = this.s.claim.all(lease.owner, lease.until, host, limit) as Record<string, unknown>[];
      rows.sort((a, b) => (a.depth as number) - (b.depth as number) || (a.url_id as number) - (b.url_id as number));
      const entries = rows.map((r) => this.entry(r, host));
      const remaining = (this.s.queuedOfHost.get(host, QUEUE_COUNT_CAP) as { n: number }).n;
      return { entries, remaining };
    });
  }

  renew(lease: Lease): void {
    this.tx(() => this.s.renew.run(lease.until, lease.owner));
  }

  release(owner: string, urlIds: number[]): void {
    this.tx(() => { for (const id of urlIds) this.s.release.run(id, owner); });
  }

  requeueExpired(now: number): Map<string, number> {
    const out = new Map<string, number>();
    this.tx(() => {
      for (const r of this.s.requeueExpired.all(now) as { host: string }[]) out.set(r.host, (out.get(r.host) ?? 0) + 1);
    });
    return out;
  }

  // --- ResultSink ---

  write(batch: OutcomeBatch): WriteResult {
    return this.tx(() => this.batches.write(batch));
  }

  // --- RobotsCache ---

  getRobots(origin: string): RobotsRecord | undefined {
    const r = this.s.getRobots.get(origin) as { origin: string; fetched_at: number; status: number; body: string } | undefined;
    return r ? { origin: r.origin, fetchedAt: r.fetched_at, status: r.status, body: r.body } : undefined;
  }

  putRobots(rec: RobotsRecord): void {
    this.tx(() => this.s.putRobots.run(rec.origin, rec.fetchedAt, rec.status, rec.body));
  }

  // --- render_verdicts (--render auto) ---

  loadVerdicts(): Verdict[] { return loadVerdicts(this.db); }
  saveVerdicts(rows: Verdict[]): void { saveVerdicts(this.db, rows); }

  /** WAL pages after which this connection checkpoints (raised when another connection checkpoints: backend.ts). */
  walAutocheckpoint(pages: number): void {
    this.db.pragma(`wal_autocheckpoint = ${Number(pages)}`, { simple: true });
  }

  close(): void {
    if (!this.db.open) return;
    try {
      this.db.pragma('wal_checkpoint(PASSIVE)');
    } finally {
      this.db.close();
    }
  }

  // --- internals ---

  /** Runs `fn` in a transaction; on failure the id cache is dropped (rolled-back ids no longer exist). */
  private tx<T>(fn: () => T, after?: (v: T) => void): T {
    try {
      const v = this.db.transaction(fn)();
      after?.(v);
      return v;
    } catch (err) {
      this.batches.forgetIds();
      throw dbError(this.file, err);
    }
  }

  private entry(r: Record<string, unknown>, host: string): FrontierEntry {
    const p = this.s.prior.get(r.url_id) as Record<string, unknown>;
    return {
      urlId: r.url_id as number,
      url: p.url as string,
      host,
      depth: r.depth as number,
      source: r.source as UrlSource,
      redirectFrom: (r.redirect_from as number | null) ?? null,
      hops: r.hops as number,
      prior: p.fetched_at !== null ? {
        status: p.status as number | null,
        etag: p.etag as string | null,
        lastModified: p.last_modified as string | null,
        contentHash: p.content_hash as string | null,
        lastOkAt: p.last_ok_at as string | null,
        recrawlIntervalS: p.recrawl_interval_s as number | null,
        bytes: (p.bytes as number | null) ?? 0,
      } : null,
    };
  }
}
