/**
 * The PostgreSQL result sink: one batch → one transaction of a fixed number of statements, each
 * carrying the whole batch as arrays (unnest), never a statement per link or per page. Outcomes are
 * accepted only for entries still claimed by `batch.owner` under the epoch they carry (fencing: ./claim.ts),
 * checked in the same transaction.
 */
import type pg from 'pg';
import type { EnqueueItem } from '../../frontier/types.js';
import { countOutcome, emptyCounters, type LinkRecord, type OutcomeBatch, type PageOutcome, type WriteResult } from '../types.js';
import { tsvectorBinary } from './search-terms.js';
import { binaryArray, type ElementType } from './binary-array.js';
import { giveBack, type RunBudgets } from './budget.js';
import { NOW_ISO } from './clock.js';
import { enqueueIds, releaseIdleHosts, urlIds } from './queue.js';

const FETCH_COLS = ['run_id', 'fetched_at', 'status', 'final_url', 'redirect_to', 'content_type', 'encoding', 'bytes', 'duration_ms', 'ttfb_ms',
  'attempts', 'error_code', 'error_message', 'etag', 'last_modified', 'noindex', 'nofollow', 'content_hash', 'last_ok_at', 'last_changed_at',
  'recrawl_interval_s', 'rendered', 'warc_file', 'warc_offset'] as const;
const CONTENT_COLS = ['title', 'description', 'canonical', 'lang', 'h1', 'meta_robots', 'text', 'word_count', 'search', 'extract'] as const;
const TYPES: Record<string, ElementType> = {
  url_id: 'bigint', run_id: 'bigint', status: 'int', bytes: 'bigint', duration_ms: 'int', ttfb_ms: 'int', attempts: 'int', noindex: 'int',
  nofollow: 'int', recrawl_interval_s: 'int', warc_offset: 'bigint', word_count: 'int', depth: 'int', not_modified: 'bool', content_mode: 'int', search: 'tsvector',
};
const typeOf = (col: string): ElementType => TYPES[col] ?? 'text';

type Row = Record<string, unknown>;

export async function writeBatch(c: pg.PoolClient, batch: OutcomeBatch, budgets: RunBudgets): Promise<WriteResult & { joined: number }> {
  const rejected: number[] = [];
  const inc = emptyCounters();
  inc.requests = batch.requests;
  // Fencing: an entry is completed only while it is still claimed by this owner under the epoch it
  // was claimed with (claim.ts); a worker that lost the host and got it again carries the old epoch
  // for what it fetched before, and that is refused. The batch's rows still claimed by this owner are
  // locked first, in url_id order as every statement that locks claimed rows does (no deadlocks),
  // their epochs compared here, and the matching ones completed. (One statement joining the rows with
  // the batch's (id, epoch) pairs was planned, while the statistics did not know the owner's claims,
  // as a nested loop comparing every row with every pair: 65,280 comparisons, 14-22 ms a batch.)
  const all = [...batch.skipped, ...batch.outcomes.map((o) => o.entry)];
  const done = new Map<number, number | null>();
  const hosts = new Set<string>();
  if (all.length) {
    const ids = binaryArray('bigint', all.map((e) => e.urlId));
    const held = await c.query('SELECT url_id, epoch FROM frontier WHERE url_id = ANY($1::bigint[]) AND owner = $2 AND state = 1 ORDER BY url_id FOR UPDATE',
      [ids, batch.owner]);
    const sent = new Set(all.map((e) => `${e.urlId}/${e.epoch ?? null}`));
    const current = new Map<number, number | null>(); // url_id -> epoch (int8 arrives as a number: db.ts)
    for (const x of held.rows) if (sent.has(`${x.url_id}/${x.epoch}`)) current.set(x.url_id, x.epoch);
    if (current.size) {
      const r = await c.query('UPDATE frontier SET state = 2, owner = NULL, epoch = NULL, lease_until = NULL WHERE url_id = ANY($1::bigint[]) RETURNING url_id, host',
        [binaryArray('bigint', [...current.keys()])]);
      for (const x of r.rows) { done.set(x.url_id, current.get(x.url_id) ?? null); hosts.add(x.host); }
    }
  }
  // Each completed entry is taken once: the same URL twice in a batch (claimed again after its lease
  // was lost) would make one statement update a row twice (SQLSTATE 21000).
  const take = (e: { urlId: number; epoch?: number }) => {
    if (!done.has(e.urlId) || done.get(e.urlId) !== (e.epoch ?? null)) return false;
    done.delete(e.urlId);
    return true;
  };
  const skipped = new Map<string, number>();
  for (const e of batch.skipped) {
    if (take(e)) { inc.skipped++; skipped.set(e.host, (skipped.get(e.host) ?? 0) + 1); } else rejected.push(e.urlId);
  }
  const accepted: PageOutcome[] = [];
  for (const o of batch.outcomes) {
    if (!take(o.entry)) { rejected.push(o.entry.urlId); continue; }
    accepted.push(o);
    countOutcome(inc, o);
  }
  let queuedByHost = new Map<string, number>();
  if (accepted.length) {
    const follow: EnqueueItem[] = accepted.flatMap((o) => o.follow);
    const linkUrls = accepted.flatMap((o) => o.links ?? []);
    const idOf = await urlIds(c, [...follow, ...linkUrls], batch.runId);
    await writePages(c, accepted, batch.runId);
    await writeLinks(c, accepted, idOf);
    queuedByHost = await enqueueIds(c, follow, idOf);
    for (const o of accepted) {
      if (o.redirectTo === null && o.entry.redirectFrom !== null && o.finalUrl) await propagateFinal(c, o.entry.urlId, o.finalUrl);
    }
    await c.query(`INSERT INTO page_runs (run_id, url_id, change, status, error_code, fetched_at)
      SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::int[], $5::text[], $6::text[])
      ON CONFLICT (run_id, url_id) DO UPDATE SET change = EXCLUDED.change, status = EXCLUDED.status, error_code = EXCLUDED.error_code,
      fetched_at = EXCLUDED.fetched_at`,
    [batch.runId, binaryArray('bigint', accepted.map((o) => o.entry.urlId)), binaryArray('text', accepted.map((o) => o.change)),
      binaryArray('int', accepted.map((o) => o.status)), binaryArray('text', accepted.map((o) => o.errorCode)), binaryArray('text', accepted.map((o) => o.fetchedAt))]);
  }
  // Counters of this worker, as increments (summed over workers by the runs view); and how many
  // workers ever joined the run (a primary-key range), so that a join is seen by the next write.
  const w = await c.query(`INSERT INTO run_workers AS w (run_id, owner, joined_at, last_seen_at, pages, requests, new_pages, changed, unchanged, gone,
      redirects, errors, disallowed, skipped, bytes) VALUES ($1, $2, ${NOW_ISO}, ${NOW_ISO}, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
    ON CONFLICT (run_id, owner) DO UPDATE SET last_seen_at = ${NOW_ISO}, pages = w.pages + $3, requests = w.requests + $4,
      new_pages = w.new_pages + $5, changed = w.changed + $6, unchanged = w.unchanged + $7, gone = w.gone + $8,
      redirects = w.redirects + $9, errors = w.errors + $10, disallowed = w.disallowed + $11, skipped = w.skipped + $12, bytes = w.bytes + $13
    RETURNING (SELECT count(*) FROM run_workers j WHERE j.run_id = $1)::int AS joined`,
  [batch.runId, batch.owner, inc.pages, inc.requests, inc.new, inc.changed, inc.unchanged, inc.gone, inc.redirects, inc.errors,
    inc.disallowed, inc.skipped, inc.bytes]);
  await releaseIdleHosts(c, [...hosts], batch.owner, true);
  await giveBack(c, budgets, skipped); // entries completed without a page leave the page budgets (last: the counter row is locked to the commit)
  return { rejected, queuedByHost, joined: w.rows[0].joined as number };
}

function pageRow(o: PageOutcome, runId: number): Row {
  const ok = o.change === 'new' || o.change === 'changed' || o.change === 'unchanged';
  const changed = o.change === 'new' || o.change === 'changed';
  const c = o.content;
  const text = c ? Buffer.from(c.text.buffer, c.text.byteOffset, c.text.byteLength).toString('utf8').replace(/\0/g, '') : null;
  return {
    url_id: o.entry.urlId, url: o.entry.url, host: o.entry.host, depth: o.entry.depth, source: o.entry.source, run_id: runId,
    fetched_at: o.fetchedAt, status: o.status, final_url: o.finalUrl, redirect_to: o.redirectTo, content_type: o.contentType,
    encoding: o.encoding, bytes: o.bytes, not_modified: o.notModified, duration_ms: Math.round(o.durationMs), ttfb_ms: Math.round(o.ttfbMs),
    attempts: o.attempts, error_code: o.errorCode, error_message: o.errorMessage, etag: o.etag, last_modified: o.lastModified,
    noindex: o.noindex ? 1 : 0, nofollow: o.nofollow ? 1 : 0, content_hash: o.contentHash, last_ok_at: ok ? o.fetchedAt : null,
    last_changed_at: changed ? o.fetchedAt : null, recrawl_interval_s: o.recrawlIntervalS, rendered: o.rendered ?? null,
    warc_file: o.warcFile ?? null, warc_offset: o.warcOffset ?? null,
    title: c?.title ?? null, description: c?.description ?? null, canonical: c?.canonical ?? null, lang: c?.lang ?? null, h1: c?.h1 ?? null,
    meta_robots: c?.metaRobots ?? null, text, word_count: c?.wordCount ?? null, extract: c?.extract ?? null,
    // Built by a parse thread; a page from elsewhere (a library caller's own outcome) gets it here.
    search: c ? c.searchVector ?? tsvectorBinary(c.title, text!) : null,
    // 2: the content columns are rewritten (changed content), 1: only extract (unchanged), 0: untouched.
    content_mode: c && changed ? 2 : c && o.change === 'unchanged' && c.extract !== null ? 1 : 0,
  };
}

/** unnest($1::t[], …) AS i(cols) over `rows`, with its parameters starting at $`from`. */
function unnestOf(rows: Row[], cols: readonly string[], from: number): { sql: string; params: unknown[] } {
  const args = cols.map((col, i) => `$${from + i}::${typeOf(col)}[]`).join(', ');
  // Every column goes in binary (./binary-array.ts): the tsvectors' input syntax alone was most of the
  // pages insert, and the text form of the page text's array the next largest part.
  return { sql: `unnest(${args}) AS i(${cols.join(', ')})`, params: cols.map((col) => binaryArray(typeOf(col), rows.map((r) => r[col]))) };
}

async function writePages(c: pg.PoolClient, outcomes: PageOutcome[], runId: number): Promise<void> {
  const rows = outcomes.map((o) => pageRow(o, runId));
  const fresh = rows.filter((_, i) => outcomes[i].entry.prior === null); // claim read the page row: prior is set exactly when it exists
  const known = rows.filter((_, i) => outcomes[i].entry.prior !== null);
  if (fresh.length) {
    const cols = ['url_id', 'url', 'host', 'depth', 'source', ...FETCH_COLS, ...CONTENT_COLS];
    const u = unnestOf(fresh, cols, 1);
    await c.query(`INSERT INTO pages (${cols.join(', ')}, first_fetched_at) SELECT i.*, i.fetched_at FROM ${u.sql} ON CONFLICT (url_id) DO NOTHING`, u.params);
  }
  if (known.length) {
    const cols = ['url_id', 'depth', 'not_modified', 'content_mode', ...FETCH_COLS, ...CONTENT_COLS];
    const u = unnestOf(known, cols, 1);
    const content = CONTENT_COLS.filter((k) => k !== 'extract').map((k) => `${k} = CASE WHEN i.content_mode = 2 THEN i.${k} ELSE p.${k} END`).join(', ');
    await c.query(`UPDATE pages p SET run_id = i.run_id, fetched_at = i.fetched_at, status = i.status, final_url = i.final_url,
      redirect_to = i.redirect_to, content_type = coalesce(i.content_type, p.content_type), encoding = coalesce(i.encoding, p.encoding),
      bytes = CASE WHEN i.not_modified THEN p.bytes ELSE i.bytes END, duration_ms = i.duration_ms, ttfb_ms = i.ttfb_ms, attempts = i.attempts,
      error_code = i.error_code, error_message = i.error_message, etag = coalesce(i.etag, p.etag), last_modified = coalesce(i.last_modified, p.last_modified),
      noindex = i.noindex, nofollow = i.nofollow, content_hash = coalesce(i.content_hash, p.content_hash), last_ok_at = coalesce(i.last_ok_at, p.last_ok_at),
      last_changed_at = coalesce(i.last_changed_at, p.last_changed_at), recrawl_interval_s = i.recrawl_interval_s, rendered = i.rendered, depth = least(p.depth, i.depth),
      warc_file = coalesce(i.warc_file, p.warc_file), warc_offset = coalesce(i.warc_offset, p.warc_offset),
      ${content}, extract = CASE WHEN i.content_mode > 0 THEN i.extract ELSE p.extract END
      FROM ${u.sql} WHERE p.url_id = i.url_id`, u.params);
  }
}

/** Brings each page's stored links to its new ones: deletes what went away, inserts or updates what differs. */
async function writeLinks(c: pg.PoolClient, outcomes: PageOutcome[], idOf: Map<string, number>): Promise<void> {
  const src: number[] = [], dst: number[] = [], anchor: string[] = [], rel: (string | null)[] = [];
  const pagesWithLinks: number[] = [];
  for (const o of outcomes) {
    if (o.links === null) continue;
    pagesWithLinks.push(o.entry.urlId);
    const seen = new Set<number>();
    for (const l of o.links as LinkRecord[]) {
      const d = idOf.get(l.url);
      if (d === undefined || seen.has(d)) continue; // (src, dst) is the key: the first link to a target is kept
      seen.add(d);
      src.push(o.entry.urlId); dst.push(d); anchor.push(l.anchor); rel.push(l.rel);
    }
  }
  if (!pagesWithLinks.length) return;
  await c.query(`DELETE FROM links l WHERE l.src_id = ANY($1::bigint[])
    AND NOT EXISTS (SELECT 1 FROM unnest($2::bigint[], $3::bigint[]) AS w(s, d) WHERE w.s = l.src_id AND w.d = l.dst_id)`,
  [pagesWithLinks, binaryArray('bigint', src), binaryArray('bigint', dst)]);
  if (src.length) {
    await c.query(`INSERT INTO links (src_id, dst_id, anchor, rel) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[])
      ON CONFLICT (src_id, dst_id) DO UPDATE SET anchor = EXCLUDED.anchor, rel = EXCLUDED.rel
      WHERE links.anchor IS DISTINCT FROM EXCLUDED.anchor OR links.rel IS DISTINCT FROM EXCLUDED.rel`,
    [binaryArray('bigint', src), binaryArray('bigint', dst), binaryArray('text', anchor), binaryArray('text', rel)]);
  }
}

/** Every page of a redirect chain ending at `id` gets the chain's final URL (rare: once per chain). */
async function propagateFinal(c: pg.PoolClient, id: number, final: string): Promise<void> {
  await c.query(`WITH RECURSIVE chain(id) AS (
      SELECT redirect_from FROM frontier WHERE url_id = $1 AND redirect_from IS NOT NULL
      UNION SELECT f.redirect_from FROM frontier f JOIN chain ON f.url_id = chain.id WHERE f.redirect_from IS NOT NULL)
    UPDATE pages SET final_url = $2 WHERE url_id IN (SELECT id FROM chain)`, [id, final]);
}
