/**
 * The SQLite implementation of Store: one writer, WAL, statements prepared once,
 * outcomes written in batched transactions.
 */
import type Database from 'better-sqlite3';
import type {
  EnqueueItem, FlushResult, FrontierEntry, PageOutcome, RobotsRecord, RunCounters, RunRow, RunStatus, StopReason, Store, UrlSource,
} from '../types.js';
import { emptyCounters } from '../types.js';
import { dbError, openWritable } from './open.js';
import { prepareStatements, type Statements } from './statements.js';

/** Outcomes buffered before a flush is forced (see FLUSH_EVERY_MS in crawl.ts: larger commits are cheaper). */
export const BATCH = 256;
/** url -> id cache entries kept before the cache is dropped (bounds memory). */
const ID_CACHE_MAX = 50_000;

export class SqliteStore implements Store {
  readonly db: Database.Database;
  private readonly s: Statements;
  private buffer: PageOutcome[] = [];
  private idCache = new Map<string, number>();
  private runId = 0;
  private readonly writeBatch: (batch: PageOutcome[], out: Map<string, number>) => void;

  constructor(readonly file: string) {
    this.db = openWritable(file);
    this.s = prepareStatements(this.db);
    this.writeBatch = this.db.transaction((batch: PageOutcome[], out: Map<string, number>) => {
      const now = new Date().toISOString();
      for (const o of batch) this.writeOutcome(o, now, out);
    });
  }

  async lastRun(): Promise<RunRow | undefined> {
    const r = this.s.lastRun.get() as Record<string, unknown> | undefined;
    return r ? toRunRow(r) : undefined;
  }

  async startRun(optionsJson: string): Promise<number> {
    return this.tx(() => {
      // Entries finished in the previous run are dropped; unfetched ones carry over.
      this.s.dropDone.run();
      this.s.unclaimAll.run();
      const id = Number(this.s.insertRun.run(new Date().toISOString(), optionsJson).lastInsertRowid);
      this.runId = id;
      return id;
    });
  }

  async resumeRun(runId: number): Promise<void> {
    this.tx(() => {
      this.s.unclaimAll.run();
      this.s.markResumed.run(runId);
    });
    this.runId = runId;
  }

  async finishRun(runId: number, status: RunStatus, reason: StopReason, c: RunCounters): Promise<void> {
    this.tx(() => {
      this.s.saveCounters.run({ ...c, id: runId });
      this.s.finishRun.run(new Date().toISOString(), status, reason, runId);
    });
  }

  async saveCounters(runId: number, c: RunCounters): Promise<void> {
    this.tx(() => this.s.saveCounters.run({ ...c, id: runId }));
  }

  async enqueue(items: EnqueueItem[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    this.tx(() => {
      const now = new Date().toISOString();
      for (const it of items) this.enqueueOne(it, now, out);
    });
    return out;
  }

  async enqueueDue(olderThan: string, adaptive: boolean, now: string): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    this.tx(() => {
      const rows = (adaptive ? this.s.dueAdaptive.all(now, olderThan) : this.s.due.all(olderThan)) as { host: string; n: number }[];
      for (const r of rows) out.set(r.host, r.n);
      if (adaptive) this.s.enqueueDueAdaptive.run(now, olderThan); else this.s.enqueueDue.run(olderThan);
    });
    return out;
  }

  async queuedByHost(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const r of this.s.queuedByHost.all() as { host: string; n: number }[]) out.set(r.host, r.n);
    return out;
  }

  async claim(host: string, limit: number): Promise<FrontierEntry[]> {
    const rows = this.tx(() => this.s.claim.all(host, limit)) as Record<string, unknown>[];
    rows.sort((a, b) => (a.depth as number) - (b.depth as number) || (a.url_id as number) - (b.url_id as number));
    return rows.map((r) => {
      const p = this.s.prior.get(r.url_id) as Record<string, unknown> | undefined;
      return {
        urlId: r.url_id as number,
        url: p!.url as string,
        host,
        depth: r.depth as number,
        source: r.source as UrlSource,
        redirectFrom: (r.redirect_from as number | null) ?? null,
        hops: r.hops as number,
        prior: p && p.fetched_at !== null ? {
          status: p.status as number | null,
          etag: p.etag as string | null,
          lastModified: p.last_modified as string | null,
          contentHash: p.content_hash as string | null,
          lastOkAt: p.last_ok_at as string | null,
          recrawlIntervalS: p.recrawl_interval_s as number | null,
        } : null,
      };
    });
  }

  async skip(entry: FrontierEntry): Promise<void> {
    this.tx(() => this.s.markDone.run(entry.urlId));
  }

  record(outcome: PageOutcome): void {
    this.buffer.push(outcome);
  }

  pending(): number {
    return this.buffer.length;
  }

  /** True when the batch is full and the caller should flush now. */
  get full(): boolean {
    return this.buffer.length >= BATCH;
  }

  async flush(): Promise<FlushResult> {
    const queuedByHost = new Map<string, number>();
    if (!this.buffer.length) return { queuedByHost };
    const batch = this.buffer;
    this.buffer = [];
    try {
      this.writeBatch(batch, queuedByHost);
    } catch (err) {
      this.buffer = batch.concat(this.buffer); // keep them: a retry after freeing disk space can still write them
      this.idCache = new Map(); // ids of URLs inserted by the rolled-back transaction no longer exist
      throw dbError(this.file, err);
    }
    return { queuedByHost };
  }

  async summarize(runId: number): Promise<{ byStatusClass: Record<string, number>; errorsByCode: Record<string, number> }> {
    const byStatusClass: Record<string, number> = {};
    for (const r of this.s.statusClasses.all(runId) as { cls: string; n: number }[]) byStatusClass[r.cls] = r.n;
    const errorsByCode: Record<string, number> = {};
    for (const r of this.s.errorCodes.all(runId) as { code: string; n: number }[]) errorsByCode[r.code] = r.n;
    return { byStatusClass, errorsByCode };
  }

  async getRobots(origin: string): Promise<RobotsRecord | undefined> {
    const r = this.s.getRobots.get(origin) as { origin: string; fetched_at: number; status: number; body: string } | undefined;
    return r ? { origin: r.origin, fetchedAt: r.fetched_at, status: r.status, body: r.body } : undefined;
  }

  async putRobots(rec: RobotsRecord): Promise<void> {
    this.tx(() => this.s.putRobots.run(rec.origin, rec.fetchedAt, rec.status, rec.body));
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    try {
      await this.flush();
      this.db.pragma('wal_checkpoint(PASSIVE)');
    } finally {
      this.db.close();
    }
  }

  // --- internals ---

  private tx<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn)();
    } catch (err) {
      this.idCache = new Map(); // ids of URLs inserted by the rolled-back transaction no longer exist
      throw dbError(this.file, err);
    }
  }

  /** urls.id for a URL, inserting the row when new. */
  private idFor(url: string, host: string, now: string, lastmod?: string): number {
    let id = this.idCache.get(url);
    if (id !== undefined) return id;
    const row = this.s.urlId.get(url) as { id: number } | undefined;
    if (row) id = row.id;
    else id = Number(this.s.insertUrl.run(url, host, now, this.runId || null, lastmod ?? null).lastInsertRowid);
    if (lastmod && row) this.s.setLastmod.run(lastmod, id);
    if (this.idCache.size >= ID_CACHE_MAX) this.idCache = new Map();
    this.idCache.set(url, id);
    return id;
  }

  private enqueueOne(it: EnqueueItem, now: string, out: Map<string, number>): void {
    const id = this.idFor(it.url, it.host, now, it.lastmod);
    const r = this.s.enqueue.run(id, it.host, it.depth, it.source, it.redirectFrom ?? null, it.hops ?? 0);
    if (r.changes) out.set(it.host, (out.get(it.host) ?? 0) + 1);
  }

  private writeOutcome(o: PageOutcome, now: string, out: Map<string, number>): void {
    const e = o.entry;
    const ok = o.change === 'new' || o.change === 'changed' || o.change === 'unchanged';
    const changed = o.change === 'new' || o.change === 'changed';
    const row = {
      url_id: e.urlId, url: e.url, host: e.host, depth: e.depth, source: e.source, run_id: this.runId,
      fetched_at: o.fetchedAt, status: o.status, final_url: o.finalUrl, redirect_to: o.redirectTo,
      content_type: o.contentType, encoding: o.encoding, bytes: o.bytes, duration_ms: Math.round(o.durationMs),
      ttfb_ms: Math.round(o.ttfbMs), attempts: o.attempts, error_code: o.errorCode, error_message: o.errorMessage,
      etag: o.etag, last_modified: o.lastModified, noindex: o.noindex ? 1 : 0, nofollow: o.nofollow ? 1 : 0,
      last_ok_at: ok ? o.fetchedAt : null, last_changed_at: changed ? o.fetchedAt : null,
      recrawl_interval_s: o.recrawlIntervalS,
    };
    const c = o.content;
    const content = {
      url_id: e.urlId, title: c?.title ?? null, description: c?.description ?? null, canonical: c?.canonical ?? null,
      lang: c?.lang ?? null, h1: c?.h1 ?? null, meta_robots: c?.metaRobots ?? null, text: c ? utf8(c.text) : null,
      word_count: c?.wordCount ?? null, content_hash: c?.contentHash ?? null, extract: c?.extract ?? null,
    };
    const exists = e.prior !== null; // claim() read the page row: prior is set exactly when it exists
    if (!exists) {
      this.s.insertPage.run({ ...row, ...content });
    } else {
      const { url: _u, host: _h, source: _s, ...fetchCols } = row;
      this.s.updateFetch.run(fetchCols);
      // Content columns hold the last successfully parsed content; rewriting unchanged text would
      // only re-index it in FTS, so they are written when the content changed.
      if (c && changed) this.s.updateContent.run(content);
      else if (c && o.change === 'unchanged' && c.extract !== null) this.s.updateExtract.run(c.extract, e.urlId);
    }
    if (c && (changed || !exists)) {
      if (exists) this.s.deleteLinks.run(e.urlId);
      for (const l of o.links) {
        const dst = this.idFor(l.url, l.host, now);
        this.s.insertLink.run(e.urlId, dst, l.anchor, l.rel);
      }
    }
    for (const f of o.follow) this.enqueueOne(f, now, out);
    if (o.redirectTo === null && e.redirectFrom !== null && o.finalUrl) this.s.propagateFinal.run({ id: e.urlId, final: o.finalUrl });
    this.s.markDone.run(e.urlId);
    this.s.pageRun.run(this.runId, e.urlId, o.change, o.status, o.errorCode, o.fetchedAt);
  }
}

/** UTF-8 bytes as a string (decoded here, on the writer's thread). */
function utf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

function toRunRow(r: Record<string, unknown>): RunRow {
  const counters = emptyCounters();
  counters.pages = r.pages as number; counters.requests = r.requests as number; counters.new = r.new_pages as number;
  counters.changed = r.changed as number; counters.unchanged = r.unchanged as number; counters.gone = r.gone as number;
  counters.redirects = r.redirects as number; counters.errors = r.errors as number; counters.disallowed = r.disallowed as number;
  counters.skipped = r.skipped as number; counters.bytes = r.bytes as number;
  return {
    id: r.id as number, startedAt: r.started_at as string, endedAt: r.ended_at as string | null,
    status: r.status as RunStatus, stopReason: r.stop_reason as StopReason | null, options: r.options as string, counters,
  };
}
