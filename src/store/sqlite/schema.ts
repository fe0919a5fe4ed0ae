/**
 * The database schema, one migration per version. PRAGMA user_version holds the version.
 * README "Database schema" documents every table and column; keep both in step.
 * Times are ISO 8601 UTC text (e.g. 2026-11-23T05:00:00.000Z), sizes in bytes, durations in ms.
 */

export const MIGRATIONS: readonly string[] = [
  // v1
  `
  CREATE TABLE runs (
    id              INTEGER PRIMARY KEY,
    started_at      TEXT NOT NULL,
    ended_at        TEXT,
    status          TEXT NOT NULL,            -- running | done | interrupted | failed
    stop_reason     TEXT,                     -- finished | max-pages | max-time | signal | aborted | error
    options         TEXT NOT NULL,            -- JSON of the resolved options
    resumes         INTEGER NOT NULL DEFAULT 0,
    pages           INTEGER NOT NULL DEFAULT 0,
    requests        INTEGER NOT NULL DEFAULT 0,
    new_pages       INTEGER NOT NULL DEFAULT 0,
    changed         INTEGER NOT NULL DEFAULT 0,
    unchanged       INTEGER NOT NULL DEFAULT 0,
    gone            INTEGER NOT NULL DEFAULT 0,
    redirects       INTEGER NOT NULL DEFAULT 0,
    errors          INTEGER NOT NULL DEFAULT 0,
    disallowed      INTEGER NOT NULL DEFAULT 0,
    skipped         INTEGER NOT NULL DEFAULT 0,
    bytes           INTEGER NOT NULL DEFAULT 0
  );

  CREATE TABLE urls (
    id              INTEGER PRIMARY KEY,
    url             TEXT NOT NULL UNIQUE,
    host            TEXT NOT NULL,
    first_seen_at   TEXT NOT NULL,
    first_seen_run  INTEGER,
    sitemap_lastmod TEXT
  );

  CREATE TABLE pages (
    url_id          INTEGER PRIMARY KEY REFERENCES urls(id),
    url             TEXT NOT NULL,
    host            TEXT NOT NULL,
    depth           INTEGER NOT NULL,
    source          TEXT NOT NULL,            -- seed | link | redirect | sitemap | recrawl
    run_id          INTEGER NOT NULL,         -- run of the last fetch
    fetched_at      TEXT NOT NULL,
    status          INTEGER,                  -- HTTP status of the last fetch (a 304 keeps the earlier 200)
    final_url       TEXT,                     -- end of the redirect chain starting here
    redirect_to     TEXT,                     -- Location of a 3xx, normalized
    content_type    TEXT,
    encoding        TEXT,
    bytes           INTEGER NOT NULL DEFAULT 0,
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
    extract         TEXT,                     -- JSON from --extract
    first_fetched_at TEXT NOT NULL,
    last_ok_at      TEXT,                     -- last 2xx or 304
    last_changed_at TEXT,
    recrawl_interval_s INTEGER                -- adaptive recrawl interval
  );
  CREATE INDEX pages_host ON pages(host);
  CREATE INDEX pages_hash ON pages(content_hash) WHERE content_hash IS NOT NULL;

  CREATE TABLE links (
    src_id          INTEGER NOT NULL,         -- urls.id of the page the link is on
    dst_id          INTEGER NOT NULL,         -- urls.id of the target
    anchor          TEXT NOT NULL,
    rel             TEXT,
    PRIMARY KEY (src_id, dst_id)
  ) WITHOUT ROWID;
  CREATE INDEX links_dst ON links(dst_id);

  CREATE TABLE frontier (
    url_id          INTEGER PRIMARY KEY,
    host            TEXT NOT NULL,
    depth           INTEGER NOT NULL,
    state           INTEGER NOT NULL DEFAULT 0,  -- 0 queued, 1 claimed (in memory / in flight), 2 done
    source          TEXT NOT NULL,
    redirect_from   INTEGER,
    hops            INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX frontier_queue ON frontier(host, depth, url_id) WHERE state = 0;

  CREATE TABLE page_runs (
    run_id          INTEGER NOT NULL,
    url_id          INTEGER NOT NULL,
    change          TEXT NOT NULL,            -- new | changed | unchanged | gone | redirect | error | disallowed
    status          INTEGER,
    error_code      TEXT,
    fetched_at      TEXT NOT NULL,
    PRIMARY KEY (run_id, url_id)
  ) WITHOUT ROWID;

  CREATE TABLE robots (
    origin          TEXT PRIMARY KEY,
    fetched_at      INTEGER NOT NULL,         -- ms since epoch
    status          INTEGER NOT NULL,         -- 0: network failure
    body            TEXT NOT NULL
  );

  CREATE VIRTUAL TABLE pages_fts USING fts5(title, text, content='pages', content_rowid='url_id', tokenize='unicode61 remove_diacritics 2');
  CREATE TRIGGER pages_fts_insert AFTER INSERT ON pages WHEN new.text IS NOT NULL BEGIN
    INSERT INTO pages_fts(rowid, title, text) VALUES (new.url_id, new.title, new.text);
  END;
  CREATE TRIGGER pages_fts_update AFTER UPDATE OF title, text ON pages BEGIN
    INSERT INTO pages_fts(pages_fts, rowid, title, text) SELECT 'delete', old.url_id, old.title, old.text WHERE old.text IS NOT NULL;
    INSERT INTO pages_fts(rowid, title, text) SELECT new.url_id, new.title, new.text WHERE new.text IS NOT NULL;
  END;
  CREATE TRIGGER pages_fts_delete AFTER DELETE ON pages WHEN old.text IS NOT NULL BEGIN
    INSERT INTO pages_fts(pages_fts, rowid, title, text) VALUES ('delete', old.url_id, old.title, old.text);
  END;

  -- Views for the common questions.
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
  // v2: claims carry an owner and a lease expiry (a completion is accepted only from the owner).
  `
  ALTER TABLE frontier ADD COLUMN owner TEXT;
  ALTER TABLE frontier ADD COLUMN lease_until INTEGER;
  CREATE INDEX frontier_claims ON frontier(owner) WHERE state = 1;
  `,
  // v3: where --warc archived each page's last response (file name in the WARC directory, byte offset of its gzip member).
  `
  ALTER TABLE pages ADD COLUMN warc_file TEXT;
  ALTER TABLE pages ADD COLUMN warc_offset INTEGER;
  `,
  // v4: --render. pages.rendered says the stored content is the DOM a browser built
  // ('always', or 'auto:' and the signal that fired; NULL: as fetched). render_verdicts keeps what
  // --render auto learned per host and path prefix, so the next run starts informed. Self-contained:
  // touches nothing another step creates but the pages table.
  `
  ALTER TABLE pages ADD COLUMN rendered TEXT;
  CREATE TABLE render_verdicts (
    prefix          TEXT PRIMARY KEY,
    fired_samples   INTEGER NOT NULL,
    fired_helped    INTEGER NOT NULL,
    quiet_samples   INTEGER NOT NULL,
    quiet_helped    INTEGER NOT NULL,
    updated_at      TEXT NOT NULL
  );
  `,
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;
