/**
 * The SQL of `crawl reparse`: which pages have an archived response, and writing re-parsed content
 * and links back (links as the difference only), one transaction per batch. Frontier and run
 * counters are never touched: a reparse fetches nothing and crawls nothing.
 */
import type Database from 'better-sqlite3';

export type { ArchivedPage, ReparsedContent, ReparsedPage } from '../reparse.js';
import type { ArchivedPage, ReparsedPage } from '../reparse.js';

const CONTENT_COLUMNS = ['title', 'description', 'canonical', 'lang', 'h1', 'meta_robots', 'text', 'word_count', 'content_hash', 'extract', 'encoding'] as const;

/** Reads and writes the pages of a reparse on one writable connection. */
export class ReparseStore {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    this.s = {
      content: db.prepare(`SELECT ${CONTENT_COLUMNS.join(', ')} FROM pages WHERE url_id = ?`),
      update: db.prepare(`UPDATE pages SET ${CONTENT_COLUMNS.map((c) => `${c} = @${c}`).join(', ')} WHERE url_id = @url_id`),
      urlId: db.prepare('SELECT id FROM urls WHERE url = ?'),
      insertUrl: db.prepare('INSERT INTO urls (url, host, first_seen_at, first_seen_run) VALUES (?, ?, ?, ?)'),
      linksOf: db.prepare('SELECT dst_id, anchor, rel FROM links WHERE src_id = ?'),
      deleteLink: db.prepare('DELETE FROM links WHERE src_id = ? AND dst_id = ?'),
      insertLink: db.prepare('INSERT OR IGNORE INTO links (src_id, dst_id, anchor, rel) VALUES (?, ?, ?, ?)'),
      archived: db.prepare(`SELECT url_id AS urlId, url, warc_file AS warcFile, warc_offset AS warcOffset FROM pages
        WHERE url_id > ? AND warc_file IS NOT NULL AND warc_offset IS NOT NULL ORDER BY url_id LIMIT ?`),
    };
  }

  /** The last run: its id and options JSON (null when the database has no run). */
  lastRun(): { id: number; options: Record<string, unknown> } | null {
    const row = this.db.prepare('SELECT id, options FROM runs ORDER BY id DESC LIMIT 1').get() as { id: number; options: string } | undefined;
    if (!row) return null;
    let options: Record<string, unknown> = {};
    try { options = JSON.parse(row.options) as Record<string, unknown>; } catch { /* an unreadable options column: defaults apply */ }
    return { id: row.id, options };
  }

  /** Names of the WARC files the pages point at. */
  warcFiles(): string[] {
    return (this.db.prepare('SELECT DISTINCT warc_file AS f FROM pages WHERE warc_file IS NOT NULL').all() as { f: string }[]).map((r) => r.f);
  }

  /**
   * The next `limit` pages with an archived response after url_id `after`: keyset paging on the
   * primary key keeps memory flat and each page of rows one index range, however large the crawl.
   */
  archivedPages(after: number, limit: number): ArchivedPage[] {
    return this.s.archived.all(after, limit) as ArchivedPage[];
  }

  /**
   * Writes one batch in a transaction; returns how many pages' content differed from what was
   * stored. Unchanged rows are not rewritten (that would only re-index their text in FTS).
   */
  writeBatch(pages: ReparsedPage[], runId: number): number {
    let changed = 0;
    this.db.transaction(() => {
      const now = new Date().toISOString();
      for (const p of pages) {
        const old = this.s.content.get(p.urlId) as Record<string, unknown> | undefined;
        if (!old) continue;
        if (CONTENT_COLUMNS.some((c) => old[c] !== p.content[c])) {
          this.s.update.run({ ...p.content, url_id: p.urlId });
          changed++;
        }
        this.writeLinks(p, now, runId);
      }
    })();
    return changed;
  }

  /** Brings a page's stored links to the re-parsed ones, touching only the rows that differ. */
  private writeLinks(p: ReparsedPage, now: string, runId: number): void {
    const want = new Map<number, ReparsedPage['links'][number]>();
    for (const l of p.links) {
      const row = this.s.urlId.get(l.url) as { id: number } | undefined;
      const dst = row ? row.id : Number(this.s.insertUrl.run(l.url, l.host, now, runId).lastInsertRowid);
      if (!want.has(dst)) want.set(dst, l); // (src, dst) is the key: the first link to a target is kept
    }
    for (const r of this.s.linksOf.all(p.urlId) as { dst_id: number; anchor: string; rel: string | null }[]) {
      const w = want.get(r.dst_id);
      if (w && w.anchor === r.anchor && w.rel === r.rel) want.delete(r.dst_id);
      else this.s.deleteLink.run(p.urlId, r.dst_id);
    }
    for (const [dst, l] of want) this.s.insertLink.run(p.urlId, dst, l.anchor, l.rel);
  }
}
