/** Every SQL statement the writer uses, prepared once per connection. */
import type Database from 'better-sqlite3';

const PAGE_FETCH_COLS = `run_id = @run_id, fetched_at = @fetched_at, status = @status, final_url = @final_url,
  redirect_to = @redirect_to, content_type = coalesce(@content_type, content_type), encoding = coalesce(@encoding, encoding),
  bytes = CASE WHEN @not_modified THEN bytes ELSE @bytes END, duration_ms = @duration_ms, ttfb_ms = @ttfb_ms, attempts = @attempts, error_code = @error_code,
  error_message = @error_message, etag = coalesce(@etag, etag), last_modified = coalesce(@last_modified, last_modified),
  noindex = @noindex, nofollow = @nofollow, content_hash = coalesce(@content_hash, content_hash), last_ok_at = coalesce(@last_ok_at, last_ok_at),
  last_changed_at = coalesce(@last_changed_at, last_changed_at), recrawl_interval_s = @recrawl_interval_s,
  depth = min(depth, @depth), warc_file = coalesce(@warc_file, warc_file), warc_offset = coalesce(@warc_offset, warc_offset),
  rendered = @rendered`;

/** The latest fetch got no answer or an error status: never fresh (src/crawler/recrawl.ts lastFetchFailed). */
const FAILED_LAST = 'status IS NULL OR status >= 400';

const SQL = {
  lastRun: 'SELECT * FROM runs ORDER BY id DESC LIMIT 1',
  insertRun: "INSERT INTO runs (started_at, status, options) VALUES (?, 'running', ?)",
  getRun: 'SELECT * FROM runs WHERE id = ?',
  markResumed: "UPDATE runs SET resumes = resumes + 1, status = 'running', ended_at = NULL, stop_reason = NULL WHERE id = ?",
  finishRun: "UPDATE runs SET ended_at = ?, status = ?, stop_reason = ? WHERE id = ? AND status IN ('running', 'interrupted')",
  // Counters only ever grow, in the transaction that writes what they count.
  addCounters: `UPDATE runs SET pages = pages + @pages, requests = requests + @requests, new_pages = new_pages + @new,
      changed = changed + @changed, unchanged = unchanged + @unchanged, gone = gone + @gone, redirects = redirects + @redirects,
      errors = errors + @errors, disallowed = disallowed + @disallowed, skipped = skipped + @skipped, bytes = bytes + @bytes
      WHERE id = @id`,
  dropDone: 'DELETE FROM frontier WHERE state = 2',
  dropAll: 'DELETE FROM frontier',
  unclaimAll: 'UPDATE frontier SET state = 0, owner = NULL, lease_until = NULL WHERE state = 1',
  urlId: 'SELECT id FROM urls WHERE url = ?',
  insertUrl: 'INSERT INTO urls (url, host, first_seen_at, first_seen_run, sitemap_lastmod) VALUES (?, ?, ?, ?, ?)',
  setLastmod: 'UPDATE urls SET sitemap_lastmod = ? WHERE id = ?',
  enqueue: 'INSERT OR IGNORE INTO frontier (url_id, host, depth, state, source, redirect_from, hops) VALUES (?, ?, ?, 0, ?, ?, ?)',
  // A queued URL found again on a shorter link path takes that depth (and its --max-depth budget).
  shortenDepth: 'UPDATE frontier SET depth = ? WHERE url_id = ? AND state = 0 AND depth > ?',
  due: `SELECT host, count(*) AS n FROM pages WHERE (last_ok_at IS NULL OR last_ok_at <= ? OR ${FAILED_LAST})
      AND url_id NOT IN (SELECT url_id FROM frontier) GROUP BY host`,
  enqueueDue: `INSERT OR IGNORE INTO frontier (url_id, host, depth, state, source)
      SELECT url_id, host, depth, 0, 'recrawl' FROM pages WHERE last_ok_at IS NULL OR last_ok_at <= ? OR ${FAILED_LAST}`,
  dueAdaptive: `SELECT host, count(*) AS n FROM pages WHERE (last_ok_at IS NULL OR ${FAILED_LAST}
      OR strftime('%Y-%m-%dT%H:%M:%fZ', last_ok_at, '+' || recrawl_interval_s || ' seconds') <= ?
      OR (recrawl_interval_s IS NULL AND last_ok_at <= ?)) AND url_id NOT IN (SELECT url_id FROM frontier) GROUP BY host`,
  enqueueDueAdaptive: `INSERT OR IGNORE INTO frontier (url_id, host, depth, state, source)
      SELECT url_id, host, depth, 0, 'recrawl' FROM pages WHERE last_ok_at IS NULL OR ${FAILED_LAST}
      OR strftime('%Y-%m-%dT%H:%M:%fZ', last_ok_at, '+' || recrawl_interval_s || ' seconds') <= ?
      OR (recrawl_interval_s IS NULL AND last_ok_at <= ?)`,
  queuedByHost: 'SELECT host, count(*) AS n FROM frontier WHERE state = 0 GROUP BY host',
  queuedOfHost: 'SELECT count(*) AS n FROM (SELECT 1 FROM frontier WHERE host = ? AND state = 0 LIMIT ?)',
  claim: `UPDATE frontier SET state = 1, owner = ?, lease_until = ? WHERE url_id IN (
      SELECT url_id FROM frontier WHERE host = ? AND state = 0 ORDER BY depth, url_id LIMIT ?)
      RETURNING url_id, depth, source, redirect_from, hops`,
  renew: 'UPDATE frontier SET lease_until = ? WHERE owner = ? AND state = 1',
  release: 'UPDATE frontier SET state = 0, owner = NULL, lease_until = NULL WHERE url_id = ? AND owner = ? AND state = 1',
  requeueExpired: `UPDATE frontier SET state = 0, owner = NULL, lease_until = NULL WHERE state = 1 AND lease_until < ?
      RETURNING host`,
  prior: `SELECT u.url, p.fetched_at, p.status, p.etag, p.last_modified, p.content_hash, p.last_ok_at, p.recrawl_interval_s, p.bytes
      FROM urls u LEFT JOIN pages p ON p.url_id = u.id WHERE u.id = ?`,
  // Completes a claim only for its owner: the acceptance check of every outcome.
  complete: 'UPDATE frontier SET state = 2, owner = NULL, lease_until = NULL WHERE url_id = ? AND owner = ? AND state = 1',
  insertPage: `INSERT INTO pages (url_id, url, host, depth, source, run_id, fetched_at, status, final_url, redirect_to,
      content_type, encoding, bytes, duration_ms, ttfb_ms, attempts, error_code, error_message, etag, last_modified, noindex, nofollow,
      title, description, canonical, lang, h1, meta_robots, text, word_count, content_hash, extract,
      first_fetched_at, last_ok_at, last_changed_at, recrawl_interval_s, warc_file, warc_offset, rendered)
      VALUES (@url_id, @url, @host, @depth, @source, @run_id, @fetched_at, @status, @final_url, @redirect_to,
      @content_type, @encoding, @bytes, @duration_ms, @ttfb_ms, @attempts, @error_code, @error_message, @etag, @last_modified, @noindex, @nofollow,
      @title, @description, @canonical, @lang, @h1, @meta_robots, @text, @word_count, @content_hash, @extract,
      @fetched_at, @last_ok_at, @last_changed_at, @recrawl_interval_s, @warc_file, @warc_offset, @rendered)`,
  updateFetch: `UPDATE pages SET ${PAGE_FETCH_COLS} WHERE url_id = @url_id`,
  updateContent: `UPDATE pages SET title = @title, description = @description, canonical = @canonical, lang = @lang,
      h1 = @h1, meta_robots = @meta_robots, text = @text, word_count = @word_count, extract = @extract
      WHERE url_id = @url_id`,
  updateExtract: 'UPDATE pages SET extract = ? WHERE url_id = ?',
  linksOf: 'SELECT dst_id, anchor, rel FROM links WHERE src_id = ?',
  deleteLink: 'DELETE FROM links WHERE src_id = ? AND dst_id = ?',
  insertLink: 'INSERT OR IGNORE INTO links (src_id, dst_id, anchor, rel) VALUES (?, ?, ?, ?)',
    // Every page of a redirect chain ending at ?1 gets the chain's final URL.
  propagateFinal: `WITH RECURSIVE chain(id) AS (
        SELECT redirect_from FROM frontier WHERE url_id = @id AND redirect_from IS NOT NULL
        UNION SELECT f.redirect_from FROM frontier f JOIN chain ON f.url_id = chain.id WHERE f.redirect_from IS NOT NULL)
      UPDATE pages SET final_url = @final WHERE url_id IN (SELECT id FROM chain)`,
  pageRun: 'INSERT OR REPLACE INTO page_runs (run_id, url_id, change, status, error_code, fetched_at) VALUES (?, ?, ?, ?, ?, ?)',
  statusClasses: `SELECT CASE WHEN status IS NULL THEN 'none' ELSE (status / 100) || 'xx' END AS cls, count(*) AS n
      FROM page_runs WHERE run_id = ? GROUP BY cls ORDER BY cls`,
  // The failed outcomes (runs.errors), by code: gone pages, disallowed ones and extractor errors on
  // stored pages carry a code too but are counted under their own outcome.
  errorCodes: "SELECT error_code AS code, count(*) AS n FROM page_runs WHERE run_id = ? AND change = 'error' AND error_code IS NOT NULL GROUP BY error_code ORDER BY n DESC",
  getRobots: 'SELECT origin, fetched_at, status, body FROM robots WHERE origin = ?',
  putRobots: 'INSERT OR REPLACE INTO robots (origin, fetched_at, status, body) VALUES (?, ?, ?, ?)',
} as const;

export type Statements = { [K in keyof typeof SQL]: Database.Statement };

/** Prepares every statement of SQL on `db`. */
export function prepareStatements(db: Database.Database): Statements {
  const out: Record<string, Database.Statement> = {};
  for (const [key, sql] of Object.entries(SQL)) out[key] = db.prepare(sql);
  return out as Statements;
}
