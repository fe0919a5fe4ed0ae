/**
 * The PostgreSQL schema, one migration per version; schema_version holds the version (SQLite uses
 * PRAGMA user_version). Tables, columns and views mirror src/store/sqlite/schema.ts so the same
 * questions work on both; what differs: `runs` is a view summing the per-worker counters of
 * `run_workers` over `run_log`, `pages.search` is a tsvector (title weighted A, text B) with a GIN
 * index instead of FTS5, and `hosts` holds the host leases and pacing state shared by the workers.
 * Times are ISO 8601 UTC text as in SQLite; leases are ms since epoch by the server's clock (./clock.ts).
 */
import type pg from 'pg';
import { tsvectorLiteral } from './search-terms.js';
import { BALANCE_MIGRATION, WANTS_INDEX } from './balance.js';
import { budgetMigration } from './budget.js';

/** One schema step: SQL, or a function when rows must be rewritten by this program. */
export type Migration = string | ((c: pg.PoolClient) => Promise<void>);

export const PG_MIGRATIONS: readonly Migration[] = [
  // v1
  `
  CREATE TABLE run_log (
    id              BIGSERIAL PRIMARY KEY,
    started_at      TEXT NOT NULL,
    ended_at        TEXT,
    status          TEXT NOT NULL,            -- running | done | interrupted | failed
    stop_reason     TEXT,
    options         TEXT NOT NULL,            -- JSON of the resolved options (every worker crawls with them)
    resumes         INTEGER NOT NULL DEFAULT 0
  );
  -- Counters per worker process, only ever incremented in the transaction that writes what they count.
  CREATE TABLE run_workers (
    run_id          BIGINT NOT NULL,
    owner           TEXT NOT NULL,            -- lease owner id: host:pid:random
    joined_at       TEXT NOT NULL,
    last_seen_at    TEXT NOT NULL,
    pages BIGINT NOT NULL DEFAULT 0, requests BIGINT NOT NULL DEFAULT 0, new_pages BIGINT NOT NULL DEFAULT 0,
    changed BIGINT NOT NULL DEFAULT 0, unchanged BIGINT NOT NULL DEFAULT 0, gone BIGINT NOT NULL DEFAULT 0,
    redirects BIGINT NOT NULL DEFAULT 0, errors BIGINT NOT NULL DEFAULT 0, disallowed BIGINT NOT NULL DEFAULT 0,
    skipped BIGINT NOT NULL DEFAULT 0, bytes BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, owner)
  );
  CREATE VIEW runs AS
    SELECT r.id, r.started_at, r.ended_at, r.status, r.stop_reason, r.options, r.resumes,
      coalesce(w.pages, 0)::bigint AS pages, coalesce(w.requests, 0)::bigint AS requests, coalesce(w.new_pages, 0)::bigint AS new_pages,
      coalesce(w.changed, 0)::bigint AS changed, coalesce(w.unchanged, 0)::bigint AS unchanged, coalesce(w.gone, 0)::bigint AS gone,
      coalesce(w.redirects, 0)::bigint AS redirects, coalesce(w.errors, 0)::bigint AS errors, coalesce(w.disallowed, 0)::bigint AS disallowed,
      coalesce(w.skipped, 0)::bigint AS skipped, coalesce(w.bytes, 0)::bigint AS bytes, coalesce(w.workers, 0)::bigint AS workers
    FROM run_log r LEFT JOIN (
      SELECT run_id, count(*) AS workers, sum(pages) AS pages, sum(requests) AS requests, sum(new_pages) AS new_pages,
        sum(changed) AS changed, sum(unchanged) AS unchanged, sum(gone) AS gone, sum(redirects) AS redirects, sum(errors) AS errors,
        sum(disallowed) AS disallowed, sum(skipped) AS skipped, sum(bytes) AS bytes
      FROM run_workers GROUP BY run_id) w ON w.run_id = r.id;

  CREATE TABLE urls (
    id              BIGSERIAL PRIMARY KEY,
    url             TEXT NOT NULL UNIQUE,
    host            TEXT NOT NULL,
    first_seen_at   TEXT NOT NULL,
    first_seen_run  BIGINT,
    sitemap_lastmod TEXT
  );

  CREATE TABLE pages (
    url_id          BIGINT PRIMARY KEY REFERENCES urls(id),
    url             TEXT NOT NULL,
    host            TEXT NOT NULL,
    depth           INTEGER NOT NULL,
    source          TEXT NOT NULL,
    run_id          BIGINT NOT NULL,
    fetched_at      TEXT NOT NULL,
    status          INTEGER,
    final_url       TEXT,
    redirect_to     TEXT,
    content_type    TEXT,
    encoding        TEXT,
    bytes           BIGINT NOT NULL DEFAULT 0,
    duration_ms     INTEGER,
    ttfb_ms         INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 1,
    error_code      TEXT,
    error_message   TEXT,
    etag            TEXT,
    last_modified   TEXT,
    noindex         INTEGER NOT NULL DEFAULT 0,
    nofollow        INTEGER NOT NULL DEFAULT 0,
    title           TEXT,
    description     TEXT,
    canonical       TEXT,
    lang            TEXT,
    h1              TEXT,
    meta_robots     TEXT,
    text            TEXT,
    word_count      INTEGER,
    content_hash    TEXT,
    extract         TEXT,
    first_fetched_at TEXT NOT NULL,
    last_ok_at      TEXT,
    last_changed_at TEXT,
    recrawl_interval_s INTEGER,
    -- Full-text search (v2 makes it a plain column the crawler fills).
    search          TSVECTOR GENERATED ALWAYS AS (
      setweight(to_tsvector('simple', coalesce(title, '')), 'A') || setweight(to_tsvector('simple', coalesce(text, '')), 'B')) STORED
  );
  CREATE INDEX pages_host ON pages(host);
  CREATE INDEX pages_hash ON pages(content_hash) WHERE content_hash IS NOT NULL;
  CREATE INDEX pages_search ON pages USING GIN (search);

  CREATE TABLE links (
    src_id          BIGINT NOT NULL,
    dst_id          BIGINT NOT NULL,
    anchor          TEXT NOT NULL,
    rel             TEXT,
    PRIMARY KEY (src_id, dst_id)
  );
  CREATE INDEX links_dst ON links(dst_id);

  CREATE TABLE frontier (
    url_id          BIGINT PRIMARY KEY,
    host            TEXT NOT NULL,
    depth           INTEGER NOT NULL,
    state           SMALLINT NOT NULL DEFAULT 0,  -- 0 queued, 1 claimed, 2 done
    source          TEXT NOT NULL,
    redirect_from   BIGINT,
    hops            INTEGER NOT NULL DEFAULT 0,
    owner           TEXT,                         -- the claim's lease owner
    lease_until     BIGINT                        -- ms since epoch
  );
  CREATE INDEX frontier_queue ON frontier(host, depth, url_id) WHERE state = 0;
  CREATE INDEX frontier_claims ON frontier(owner, host) WHERE state = 1;

  -- One owner per host at a time (global politeness); the pacing state stays on the row for the next owner.
  CREATE TABLE hosts (
    host            TEXT PRIMARY KEY,
    owner           TEXT,
    lease_until     BIGINT,                       -- ms since epoch
    released_at     BIGINT,                       -- when the last owner let go: the next one waits the delay from here
    next_at         BIGINT,                       -- earliest next request start (ms), when an owner records it
    crawl_delay_ms  INTEGER,
    backoff_ms      INTEGER,
    robots_retry_at BIGINT
  );

  CREATE TABLE page_runs (
    run_id          BIGINT NOT NULL,
    url_id          BIGINT NOT NULL,
    change          TEXT NOT NULL,
    status          INTEGER,
    error_code      TEXT,
    fetched_at      TEXT NOT NULL,
    PRIMARY KEY (run_id, url_id)
  );

  CREATE TABLE robots (
    origin          TEXT PRIMARY KEY,
    fetched_at      BIGINT NOT NULL,
    status          INTEGER NOT NULL,
    body            TEXT NOT NULL
  );

  CREATE VIEW v_links AS
    SELECT s.url AS from_url, d.url AS to_url, l.anchor, l.rel, p.status AS to_status, p.error_code AS to_error
    FROM links l JOIN urls s ON s.id = l.src_id JOIN urls d ON d.id = l.dst_id LEFT JOIN pages p ON p.url_id = l.dst_id;
  CREATE VIEW v_broken_links AS
    SELECT * FROM v_links WHERE to_status >= 400 OR (to_error IS NOT NULL AND to_error NOT IN ('ROBOTS_DISALLOWED', 'EXTRACT_FAILED'));
  CREATE VIEW v_errors AS
    SELECT url, status, error_code, error_message, fetched_at, attempts FROM pages WHERE error_code IS NOT NULL OR status >= 400;
  CREATE VIEW v_redirects AS
    SELECT url, status, redirect_to, final_url, error_code FROM pages WHERE redirect_to IS NOT NULL OR error_code IN ('REDIRECT_LOOP', 'TOO_MANY_REDIRECTS');
  CREATE VIEW v_changes AS
    SELECT r.run_id, u.url, r.change, r.status, r.error_code, r.fetched_at
    FROM page_runs r JOIN urls u ON u.id = r.url_id;
  `,
  // v2: pages.search is written by the crawler (tsvectorLiteral, built in the parse threads) instead of
  // generated by the server with to_tsvector(): the same tokens as queries get, and no server CPU.
  searchFromCrawler,
  // v3: host balancing between workers (balance.ts)
  BALANCE_MIGRATION,
  // v4: robots.txt retries spent on a host go with it to the next owner of the same run (robots_run): its
  // retry time is robots_retry_at.
  `
  ALTER TABLE hosts ADD COLUMN IF NOT EXISTS robots_failures INTEGER;
  ALTER TABLE hosts ADD COLUMN IF NOT EXISTS robots_run BIGINT;
  `,
  // v5: fencing and cheap leases (./claim.ts, ./queue.ts). A host lease carries an epoch that grows with every
  // change of owner; claims carry the epoch they were granted under, and a write or a takeover checks
  // it. Claims expire with their host's lease (the heartbeat renews host rows only), so the claim
  // index is by host; has_queue marks hosts with queued entries (no GROUP BY over the queue); the
  // --max-pages-per-host budget is a counter (budget_run: the run it counts for). The run records
  // who is streaming its seed file and whether every seed is queued.
  `
  ALTER TABLE hosts ADD COLUMN epoch BIGINT NOT NULL DEFAULT 0, ADD COLUMN has_queue BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN budget_run BIGINT, ADD COLUMN budget_used INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE frontier ADD COLUMN epoch BIGINT;
  DROP INDEX IF EXISTS frontier_claims;
  CREATE INDEX frontier_claims ON frontier(host, owner) WHERE state = 1;
  CREATE INDEX hosts_lease ON hosts(lease_until) WHERE owner IS NOT NULL;
  CREATE INDEX hosts_queue ON hosts(host) WHERE has_queue;
  INSERT INTO hosts (host, has_queue) SELECT DISTINCT host, true FROM frontier WHERE state < 2
    ON CONFLICT (host) DO UPDATE SET has_queue = true;
  ALTER TABLE run_log ADD COLUMN seeder TEXT, ADD COLUMN seeds_done BOOLEAN NOT NULL DEFAULT true;
  `,
  // v6: --render. pages.rendered says the stored content is the DOM a browser built
  // ('always', or 'auto:' and the signal that fired; NULL: as fetched). render_verdicts keeps what
  // --render auto learned per host and path prefix, shared by the run's workers and the next run.
  // Self-contained: touches nothing another step creates but the pages table.
  `
  ALTER TABLE pages ADD COLUMN IF NOT EXISTS rendered TEXT;
  CREATE TABLE IF NOT EXISTS render_verdicts (
    prefix          TEXT PRIMARY KEY,
    fired_samples   INTEGER NOT NULL,
    fired_helped    INTEGER NOT NULL,
    quiet_samples   INTEGER NOT NULL,
    quiet_helped    INTEGER NOT NULL,
    updated_at      TEXT NOT NULL
  );
  `,
  // v7: the search index's pending list grows to 64 MB and is merged off the write path (./search-merge.ts).
  'ALTER INDEX pages_search SET (gin_pending_list_limit = 65536)',
  // v8: where --warc archived each page's last response (as SQLite's v3): `crawl reparse` reads it (./reparse-target.ts).
  'ALTER TABLE pages ADD COLUMN warc_file TEXT, ADD COLUMN warc_offset BIGINT',
  // v9: positions past 16,383 wrap instead of clamping (search-terms.ts), so phrases are found to the end
  // of a long page: the pages that may have that many words get their vectors again.
  (c: pg.PoolClient) => rebuildSearch(c, 'length(coalesce(title, \'\')) + length(text) >= 32766', 50),
  // v10: how often a host changed hands (a grant to another worker than the last): stable assignment, seen.
  'ALTER TABLE hosts ADD COLUMN IF NOT EXISTS last_owner TEXT, ADD COLUMN IF NOT EXISTS handovers INTEGER NOT NULL DEFAULT 0',
  // v11: page text compressed with lz4 rather than pglz (256 pages of 5 KB: 15 ms to store against 43).
  lz4Text,
  // v12: an index on hosts.wanted_by: a worker's standing wants are counted (balance.ts).
  WANTS_INDEX,
  // v13: the --max-pages budget is a counter of the run (./budget.ts), not a count of claims under a lock.
  budgetMigration,
];

/**
 * v11: pages.text and pages.extract are compressed with lz4 from now on (stored values stay as they
 * are: nothing is rewritten). A server built without lz4 keeps pglz.
 */
async function lz4Text(c: pg.PoolClient): Promise<void> {
  await c.query('SAVEPOINT lz4');
  try {
    await c.query('ALTER TABLE pages ALTER COLUMN text SET COMPRESSION lz4, ALTER COLUMN extract SET COMPRESSION lz4');
    await c.query('RELEASE SAVEPOINT lz4');
  } catch (err) {
    if ((err as { code?: string }).code !== '0A000') throw err; // feature_not_supported: "compression method lz4 not supported"
    await c.query('ROLLBACK TO SAVEPOINT lz4');
  }
}

/** v2: the generated search column becomes a plain one; stored pages get their vectors. */
async function searchFromCrawler(c: pg.PoolClient): Promise<void> {
  await c.query(`ALTER TABLE pages DROP COLUMN search;
    ALTER TABLE pages ADD COLUMN search TSVECTOR;
    CREATE INDEX pages_search ON pages USING GIN (search);`);
  await rebuildSearch(c, 'true', 500);
}

/**
 * Builds again the search vector of the stored pages matching `where`, `batch` at a time (long pages:
 * fewer). 32,766 characters of title and text is the least that holds 16,384 words (a letter and a
 * separator each).
 */
async function rebuildSearch(c: pg.PoolClient, where: string, batch: number): Promise<void> {
  for (let after = -1; ;) {
    const r = await c.query(`SELECT url_id, title, text FROM pages WHERE url_id > $1 AND text IS NOT NULL AND ${where} ORDER BY url_id LIMIT ${batch}`, [after]);
    if (!r.rows.length) return;
    await c.query('UPDATE pages SET search = v.s FROM unnest($1::bigint[], $2::tsvector[]) AS v(id, s) WHERE pages.url_id = v.id',
      [r.rows.map((x) => x.url_id), r.rows.map((x) => tsvectorLiteral(x.title, x.text))]);
    after = r.rows[r.rows.length - 1].url_id;
  }
}

export const PG_SCHEMA_VERSION = PG_MIGRATIONS.length;
