/**
 * The SQLite result sink: one batch of outcomes → pages, links (the difference only), frontier
 * growth, page_runs and the run's counter increments, inside the caller's transaction.
 */
import type { EnqueueItem } from '../../frontier/types.js';
import { countOutcome, emptyCounters, type LinkRecord, type OutcomeBatch, type PageOutcome, type WriteResult } from '../types.js';
import type { Statements } from './statements.js';

/** url -> id cache entries kept before the cache is dropped (bounds memory). */
const ID_CACHE_MAX = 50_000;

export class BatchWriter {
  /** The open run: new URLs record it as the run that first saw them. */
  runId = 0;
  private idCache = new Map<string, number>();

  constructor(private readonly s: Statements) {}

  /** Writes one batch; the caller holds the transaction. */
  write(batch: OutcomeBatch): WriteResult {
    const now = new Date().toISOString();
    const queuedByHost = new Map<string, number>();
    const rejected: number[] = [];
    const inc = emptyCounters();
    inc.requests = batch.requests;
    for (const e of batch.skipped) {
      if (this.s.complete.run(e.urlId, batch.owner).changes) inc.skipped++;
      else rejected.push(e.urlId);
    }
    for (const o of batch.outcomes) {
      // The claim must still be this owner's: a lease taken back (and maybe re-claimed) is not ours to complete.
      if (!this.s.complete.run(o.entry.urlId, batch.owner).changes) { rejected.push(o.entry.urlId); continue; }
      this.writeOutcome(o, batch.runId, now, queuedByHost);
      countOutcome(inc, o);
    }
    this.s.addCounters.run({ ...inc, id: batch.runId });
    return { rejected, queuedByHost };
  }

  /** Adds one URL to the frontier; counts it in `out` when it is new there. */
  enqueueOne(it: EnqueueItem, now: string, out: Map<string, number>): void {
    const id = this.idFor(it.url, it.host, now, it.lastmod);
    const r = this.s.enqueue.run(id, it.host, it.depth, it.source, it.redirectFrom ?? null, it.hops ?? 0);
    if (r.changes) out.set(it.host, (out.get(it.host) ?? 0) + 1);
    else this.s.shortenDepth.run(it.depth, id, it.depth);
  }

  /** After a rollback: ids of URLs the transaction inserted no longer exist. */
  forgetIds(): void {
    this.idCache = new Map();
  }

  /**
   * urls.id for a URL, inserting the row when new. SELECT-then-INSERT is safe here: the connection
   * is the database's only writer and both run in one transaction. Ids never change once given, so
   * the cache stays valid.
   */
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

  private writeOutcome(o: PageOutcome, runId: number, now: string, out: Map<string, number>): void {
    const e = o.entry;
    const ok = o.change === 'new' || o.change === 'changed' || o.change === 'unchanged';
    const changed = o.change === 'new' || o.change === 'changed';
    const row = {
      url_id: e.urlId, url: e.url, host: e.host, depth: e.depth, source: e.source, run_id: runId,
      fetched_at: o.fetchedAt, status: o.status, final_url: o.finalUrl, redirect_to: o.redirectTo,
      content_type: o.contentType, encoding: o.encoding, bytes: o.bytes, not_modified: o.notModified ? 1 : 0,
      duration_ms: Math.round(o.durationMs), ttfb_ms: Math.round(o.ttfbMs), attempts: o.attempts, error_code: o.errorCode,
      error_message: o.errorMessage, etag: o.etag, last_modified: o.lastModified, noindex: o.noindex ? 1 : 0,
      nofollow: o.nofollow ? 1 : 0, content_hash: o.contentHash, last_ok_at: ok ? o.fetchedAt : null,
      last_changed_at: changed ? o.fetchedAt : null, recrawl_interval_s: o.recrawlIntervalS,
      warc_file: o.warcFile ?? null, warc_offset: o.warcOffset ?? null, rendered: o.rendered ?? null,
    };
    const c = o.content;
    const content = {
      url_id: e.urlId, title: c?.title ?? null, description: c?.description ?? null, canonical: c?.canonical ?? null,
      lang: c?.lang ?? null, h1: c?.h1 ?? null, meta_robots: c?.metaRobots ?? null, text: c ? utf8(c.text) : null,
      word_count: c?.wordCount ?? null, extract: c?.extract ?? null,
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
    if (o.links !== null) this.writeLinks(e.urlId, exists, o.links, now);
    for (const f of o.follow) this.enqueueOne(f, now, out);
    if (o.redirectTo === null && e.redirectFrom !== null && o.finalUrl) this.s.propagateFinal.run({ id: e.urlId, final: o.finalUrl });
    this.s.pageRun.run(runId, e.urlId, o.change, o.status, o.errorCode, o.fetchedAt);
  }

  /** Brings a page's stored links to `links`, touching only the rows that differ. */
  private writeLinks(src: number, exists: boolean, links: LinkRecord[], now: string): void {
    const want = new Map<number, LinkRecord>();
    for (const l of links) {
      const dst = this.idFor(l.url, l.host, now);
      if (!want.has(dst)) want.set(dst, l); // (src, dst) is the key: the first link to a target is kept
    }
    if (exists) {
      for (const r of this.s.linksOf.all(src) as { dst_id: number; anchor: string; rel: string | null }[]) {
        const w = want.get(r.dst_id);
        if (w && w.anchor === r.anchor && w.rel === r.rel) want.delete(r.dst_id); // already stored as is
        else this.s.deleteLink.run(src, r.dst_id);
      }
    }
    for (const [dst, l] of want) this.s.insertLink.run(src, dst, l.anchor, l.rel);
  }
}

/** UTF-8 bytes as a string (decoded here, on the writer's thread). */
function utf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}
