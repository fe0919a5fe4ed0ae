/**
 * A small crawl database with known contents for the query-command tests, built by running the
 * schema migration directly (no crawler needed), plus an output sink and a CSV parser.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../src/store/sqlite/schema.js';

/** Creates an empty v1 crawl database in WAL mode (like the real store) and returns it open. */
export function createDb(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(MIGRATIONS[0]);
  db.pragma('user_version = 1');
  return db;
}

/** A fresh temp dir; removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crawl-query-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

interface PageSpec {
  id: number;
  url: string;
  source?: string;
  depth?: number;
  run?: number;
  status?: number | null;
  redirectTo?: string | null;
  contentType?: string | null;
  bytes?: number;
  durationMs?: number | null;
  errorCode?: string | null;
  title?: string | null;
  text?: string | null;
  hash?: string | null;
}

/** Pages of the fixture; ids are urls.id. */
export const PAGES: PageSpec[] = [
  { id: 1, url: 'http://a.test/', source: 'seed', depth: 0, status: 200, title: 'Home', text: 'Welcome to the polite crawler home page. It fetches pages slowly.', hash: 'h1', durationMs: 10, bytes: 1000 },
  { id: 2, url: 'http://a.test/about', depth: 1, status: 200, title: 'About robots', text: 'We obey robots.txt files and the crawl delay they ask for.', hash: 'h2', durationMs: 20, bytes: 2000 },
  { id: 3, url: 'http://a.test/missing', depth: 1, status: 404, errorCode: 'HTTP_STATUS', durationMs: 5, bytes: 100 },
  { id: 4, url: 'http://a.test/old', depth: 1, status: 301, redirectTo: 'http://a.test/new', durationMs: 3 },
  { id: 5, url: 'http://a.test/new', source: 'redirect', depth: 1, status: 200, title: 'New', text: 'The new page lists every sitemap and mentions robots once.', hash: 'h1', durationMs: 30, bytes: 1000 },
  { id: 6, url: 'http://b.test/', depth: 2, status: null, errorCode: 'CONNECTION_REFUSED', durationMs: null, contentType: null },
  { id: 7, url: 'http://a.test/orphan', source: 'sitemap', depth: 0, status: 200, title: 'Orphan', text: 'Nobody links here, "quoted", with commas, and\nnew lines.', hash: 'h3', durationMs: 40, bytes: 500 },
  { id: 8, url: 'http://a.test/loop1', depth: 1, status: 302, redirectTo: 'http://a.test/loop2', errorCode: 'REDIRECT_LOOP', durationMs: 2 },
  { id: 9, url: 'http://a.test/loop2', source: 'redirect', depth: 1, status: 302, redirectTo: 'http://a.test/loop1', durationMs: 2 },
  { id: 10, url: 'http://a.test/private', depth: 1, status: null, errorCode: 'ROBOTS_DISALLOWED', durationMs: null },
  { id: 11, url: 'http://a.test/copy', depth: 2, status: 200, title: 'Copy', text: 'Welcome to the polite crawler home page. It fetches pages slowly.', hash: 'h1', durationMs: 50, bytes: 1000 },
  { id: 12, url: 'http://a.test/selfonly', depth: 2, status: 200, title: 'Self', text: 'Only links to itself.', hash: 'h4', durationMs: 60, bytes: 300, contentType: 'text/html' },
];

/** Links as [src, dst, anchor]. */
export const LINKS: [number, number, string][] = [
  [1, 1, 'Home'], [1, 2, 'About'], [1, 3, 'Missing page'], [1, 4, 'Old'], [1, 8, 'Loop'], [1, 10, 'Private'],
  [2, 3, 'Gone, "really"'], [2, 6, 'B site'], [2, 11, 'Copy'], [2, 1, 'Home'], [12, 12, 'Me'],
];

/** Builds the fixture database at `file` (two runs) and closes it. */
export function buildFixture(file: string): void {
  const db = createDb(file);
  const t = (m: number): string => new Date(Date.UTC(2026, 10, 1, 0, m)).toISOString();
  db.prepare(`INSERT INTO runs (id, started_at, ended_at, status, stop_reason, options, pages, requests, new_pages, changed, unchanged, gone, errors, bytes)
              VALUES (1, ?, ?, 'done', 'finished', '{}', 3, 4, 3, 0, 0, 0, 1, 3100), (2, ?, ?, 'done', 'finished', '{}', 12, 14, 9, 1, 1, 0, 4, 5900)`)
    .run('2026-11-01T00:00:00.000Z', '2026-11-01T00:01:30.000Z', '2026-11-02T00:00:00.000Z', '2026-11-02T00:02:00.000Z');
  const url = db.prepare('INSERT INTO urls (id, url, host, first_seen_at, first_seen_run) VALUES (?, ?, ?, ?, 1)');
  const page = db.prepare(`INSERT INTO pages (url_id, url, host, depth, source, run_id, fetched_at, status, redirect_to, content_type, bytes,
                             duration_ms, error_code, title, text, content_hash, first_fetched_at)
                           VALUES (@id, @url, @host, @depth, @source, @run, @at, @status, @redirectTo, @contentType, @bytes, @durationMs,
                             @errorCode, @title, @text, @hash, @at)`);
  db.transaction(() => {
    for (const p of PAGES) {
      const host = new URL(p.url).host;
      url.run(p.id, p.url, host, t(0));
      page.run({
        id: p.id, url: p.url, host, depth: p.depth ?? 1, source: p.source ?? 'link', run: p.run ?? 2, at: t(p.id),
        status: p.status ?? null, redirectTo: p.redirectTo ?? null,
        contentType: p.contentType === undefined ? (p.status === 200 ? 'text/html; charset=utf-8' : null) : p.contentType,
        bytes: p.bytes ?? 0, durationMs: p.durationMs ?? null, errorCode: p.errorCode ?? null, title: p.title ?? null,
        text: p.text ?? null, hash: p.hash ?? null,
      });
    }
    const link = db.prepare('INSERT INTO links (src_id, dst_id, anchor) VALUES (?, ?, ?)');
    for (const [s, d, a] of LINKS) link.run(s, d, a);
    const pr = db.prepare('INSERT INTO page_runs (run_id, url_id, change, status, error_code, fetched_at) VALUES (?, ?, ?, ?, ?, ?)');
    pr.run(1, 1, 'new', 200, null, '2026-11-01T00:00:10.000Z');
    pr.run(1, 2, 'new', 200, null, '2026-11-01T00:00:20.000Z');
    pr.run(1, 3, 'new', 200, null, '2026-11-01T00:00:30.000Z');
    pr.run(2, 1, 'unchanged', 200, null, '2026-11-02T00:00:10.000Z');
    pr.run(2, 2, 'changed', 200, null, '2026-11-02T00:00:20.000Z');
    pr.run(2, 3, 'error', 404, 'HTTP_STATUS', '2026-11-02T00:00:30.000Z');
    pr.run(2, 5, 'new', 200, null, '2026-11-02T00:00:40.000Z');
    pr.run(2, 7, 'new', 200, null, '2026-11-02T00:00:50.000Z');
    pr.run(2, 12, 'gone', 410, 'HTTP_STATUS', '2026-11-02T00:01:00.000Z');
    db.prepare("INSERT INTO frontier (url_id, host, depth, state, source) VALUES (1, 'a.test', 0, 2, 'seed'), (3, 'a.test', 1, 0, 'link')").run();
  })();
  db.close();
}

/** A writable that keeps everything written to it. */
export class Sink extends Writable {
  private chunks: string[] = [];
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.chunks.push(chunk.toString());
    cb();
  }
  text(): string {
    return this.chunks.join('');
  }
}

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF) into rows of strings. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; }
    else field += c;
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  return rows;
}
