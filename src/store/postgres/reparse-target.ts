/**
 * The PostgreSQL side of `crawl reparse` (ReparseTarget, ../reparse.ts): one connection holding the
 * run lock for the session (no run starts or resumes meanwhile), refused while a run's workers hold
 * live leases. Each batch is one transaction: changed content rewritten with its search vector,
 * links brought to the re-parsed ones (only the rows that differ). Frontier and counters untouched.
 */
import pg from 'pg';
import { BadInputError, LockedError } from '../../errors.js';
import type { DbLocation } from '../location.js';
import type { ArchivedPage, ReparsedPage, ReparseTarget } from '../reparse.js';
import { NOW_MS } from './clock.js';
import { pgError, pgTypes, RUN_LOCK } from './db.js';
import { urlIds } from './queue.js';
import { tsvectorLiteral } from './search-terms.js';

/** The schema version that records pages.warc_file and warc_offset (./schema.ts v8). */
const WARC_COLUMNS_VERSION = 8;

const CONTENT = ['title', 'description', 'canonical', 'lang', 'h1', 'meta_robots', 'text', 'word_count', 'content_hash', 'extract', 'encoding'] as const;

export class PgReparseTarget implements ReparseTarget {
  private constructor(private readonly c: pg.Client, private readonly location: string) {}

  static async open(loc: Extract<DbLocation, { kind: 'postgres' }>): Promise<PgReparseTarget> {
    const c = new pg.Client({ connectionString: loc.connection, application_name: `crawl-reparse ${process.pid}`, types: pgTypes } as pg.ClientConfig);
    c.on('error', () => {});
    try {
      await c.connect();
      const v = (await c.query("SELECT CASE WHEN to_regclass('schema_version') IS NULL THEN 0 ELSE (SELECT max(version) FROM schema_version) END AS v")).rows[0].v as number;
      if (v < WARC_COLUMNS_VERSION) {
        throw new BadInputError(`${loc.display}: ${v ? 'crawled by an older crawl, which did not record where --warc archived each page' : 'not a crawl database'}; crawl it with --warc first`);
      }
      if (!(await c.query('SELECT pg_try_advisory_lock($1) AS ok', [RUN_LOCK])).rows[0].ok
        || (await c.query(`SELECT EXISTS (SELECT 1 FROM hosts WHERE owner IS NOT NULL AND lease_until >= ${NOW_MS}) AS live`)).rows[0].live) {
        throw new LockedError(`${loc.display}: a crawl is running on this database (workers hold leases); reparse once it has stopped`);
      }
      return new PgReparseTarget(c, loc.display);
    } catch (err) {
      await c.end().catch(() => {});
      throw err instanceof LockedError || err instanceof BadInputError ? err : pgError(loc.display, err);
    }
  }

  async lastRun(): Promise<{ id: number; options: Record<string, unknown> } | null> {
    const row = (await this.q('SELECT id, options FROM run_log ORDER BY id DESC LIMIT 1')).rows[0] as { id: number; options: string } | undefined;
    if (!row) return null;
    let options: Record<string, unknown> = {};
    try { options = JSON.parse(row.options) as Record<string, unknown>; } catch { /* unreadable: defaults apply */ }
    return { id: row.id, options };
  }

  async warcFiles(): Promise<string[]> {
    return (await this.q('SELECT DISTINCT warc_file AS f FROM pages WHERE warc_file IS NOT NULL')).rows.map((r) => r.f as string);
  }

  /** Keyset paging on the primary key: flat memory, one index range per batch. */
  async archivedPages(after: number, limit: number): Promise<ArchivedPage[]> {
    return (await this.q(`SELECT url_id AS "urlId", url, warc_file AS "warcFile", warc_offset AS "warcOffset" FROM pages
      WHERE url_id > $1 AND warc_file IS NOT NULL AND warc_offset IS NOT NULL ORDER BY url_id LIMIT $2`, [after, limit])).rows as ArchivedPage[];
  }

  async writeBatch(pages: ReparsedPage[], runId: number): Promise<number> {
    if (!pages.length) return 0;
    try {
      await this.c.query('BEGIN');
      const ids = pages.map((p) => p.urlId);
      const old = new Map((await this.c.query(`SELECT url_id, ${CONTENT.join(', ')} FROM pages WHERE url_id = ANY($1::bigint[])`, [ids])).rows
        .map((r) => [Number(r.url_id), r as Record<string, unknown>]));
      const changed = pages.filter((p) => old.has(p.urlId) && CONTENT.some((k) => (old.get(p.urlId)![k] ?? null) !== (p.content[k] ?? null)));
      for (const p of changed) {
        const v = p.content;
        await this.c.query(`UPDATE pages SET ${CONTENT.map((k, i) => `${k} = $${i + 2}`).join(', ')}, search = $${CONTENT.length + 2}::tsvector
          WHERE url_id = $1`, [p.urlId, ...CONTENT.map((k) => v[k]), v.text === null ? null : tsvectorLiteral(v.title, v.text)]);
      }
      await this.writeLinks(pages.filter((p) => old.has(p.urlId)), runId);
      await this.c.query('COMMIT');
      return changed.length;
    } catch (err) {
      await this.c.query('ROLLBACK').catch(() => {});
      throw pgError(this.location, err);
    }
  }

  async close(): Promise<void> {
    await this.c.query('SELECT pg_advisory_unlock_all()').catch(() => {});
    await this.c.end().catch(() => {});
  }

  /** Each page's stored links brought to its re-parsed ones: what went away deleted, what differs written. */
  private async writeLinks(pages: ReparsedPage[], runId: number): Promise<void> {
    const client = this.c as unknown as pg.PoolClient;
    const idOf = await urlIds(client, pages.flatMap((p) => p.links), runId);
    const src: number[] = [], dst: number[] = [], anchor: string[] = [], rel: (string | null)[] = [];
    for (const p of pages) {
      const seen = new Set<number>();
      for (const l of p.links) {
        const d = idOf.get(l.url);
        if (d === undefined || seen.has(d)) continue; // (src, dst) is the key: the first link to a target is kept
        seen.add(d);
        src.push(p.urlId); dst.push(d); anchor.push(l.anchor); rel.push(l.rel);
      }
    }
    await this.c.query(`DELETE FROM links l WHERE l.src_id = ANY($1::bigint[])
      AND NOT EXISTS (SELECT 1 FROM unnest($2::bigint[], $3::bigint[]) AS w(s, d) WHERE w.s = l.src_id AND w.d = l.dst_id)`, [pages.map((p) => p.urlId), src, dst]);
    if (src.length) {
      await this.c.query(`INSERT INTO links (src_id, dst_id, anchor, rel) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[])
        ON CONFLICT (src_id, dst_id) DO UPDATE SET anchor = EXCLUDED.anchor, rel = EXCLUDED.rel
        WHERE links.anchor IS DISTINCT FROM EXCLUDED.anchor OR links.rel IS DISTINCT FROM EXCLUDED.rel`, [src, dst, anchor, rel]);
    }
  }

  private async q(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
    try { return await this.c.query(sql, params); } catch (err) { throw pgError(this.location, err); }
  }
}
