/**
 * `crawl export --to-sqlite FILE --db postgres://…`: copies a PostgreSQL crawl into a new SQLite
 * file with the SQLite schema, for offline use with every query command. Rows are read through a
 * cursor in a read-only transaction and written in batches, so memory stays bounded; the FTS5 index
 * fills itself through the pages triggers.
 */
import fs from 'node:fs';
import type pg from 'pg';
import { BadInputError } from '../../errors.js';
import { openWritable } from '../sqlite/open.js';

/** Rows fetched from the cursor and inserted per SQLite transaction. */
const CHUNK = 2_000;

/** Each SQLite table and the PostgreSQL SELECT that fills it, columns in the same order. */
const COPIES: { table: string; columns: string[]; from: string }[] = [
  {
    table: 'runs',
    columns: ['id', 'started_at', 'ended_at', 'status', 'stop_reason', 'options', 'resumes', 'pages', 'requests', 'new_pages', 'changed',
      'unchanged', 'gone', 'redirects', 'errors', 'disallowed', 'skipped', 'bytes'],
    from: 'runs ORDER BY id',
  },
  { table: 'urls', columns: ['id', 'url', 'host', 'first_seen_at', 'first_seen_run', 'sitemap_lastmod'], from: 'urls ORDER BY id' },
  {
    table: 'pages',
    columns: ['url_id', 'url', 'host', 'depth', 'source', 'run_id', 'fetched_at', 'status', 'final_url', 'redirect_to', 'content_type',
      'encoding', 'bytes', 'duration_ms', 'ttfb_ms', 'attempts', 'error_code', 'error_message', 'etag', 'last_modified', 'noindex', 'nofollow',
      'title', 'description', 'canonical', 'lang', 'h1', 'meta_robots', 'text', 'word_count', 'content_hash', 'extract', 'first_fetched_at',
      'last_ok_at', 'last_changed_at', 'recrawl_interval_s'],
    from: 'pages ORDER BY url_id',
  },
  { table: 'links', columns: ['src_id', 'dst_id', 'anchor', 'rel'], from: 'links' },
  { table: 'frontier', columns: ['url_id', 'host', 'depth', 'state', 'source', 'redirect_from', 'hops', 'owner', 'lease_until'], from: 'frontier' },
  { table: 'page_runs', columns: ['run_id', 'url_id', 'change', 'status', 'error_code', 'fetched_at'], from: 'page_runs' },
  { table: 'robots', columns: ['origin', 'fetched_at', 'status', 'body'], from: 'robots' },
];

/** Copies the crawl `c` reads (in its read-only transaction) into the new SQLite file `file`; returns rows copied per table. */
export async function exportToSqlite(c: pg.ClientBase, file: string): Promise<Record<string, number>> {
  if (fs.existsSync(file)) throw new BadInputError(`--to-sqlite ${file}: the file exists; give a new file name (nothing is overwritten)`);
  const counts: Record<string, number> = {};
  try {
    const db = openWritable(file);
    try {
      for (const t of COPIES) counts[t.table] = await copyTable(c, db, t);
    } finally {
      db.close();
    }
  } catch (err) {
    for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
    throw err;
  }
  return counts;
}

async function copyTable(c: pg.ClientBase, db: ReturnType<typeof openWritable>, t: (typeof COPIES)[number]): Promise<number> {
  const cols = t.columns.join(', ');
  const insert = db.prepare(`INSERT INTO ${t.table} (${cols}) VALUES (${t.columns.map(() => '?').join(', ')})`);
  const many = db.transaction((rows: unknown[][]) => { for (const r of rows) insert.run(...r.map(toSqlite)); });
  const cursor = `copy_${t.table}`;
  await c.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR SELECT ${cols} FROM ${t.from}`);
  let n = 0;
  for (;;) {
    const r = await c.query({ text: `FETCH ${CHUNK} FROM ${cursor}`, rowMode: 'array' });
    if (!r.rows.length) break;
    many(r.rows as unknown[][]);
    n += r.rows.length;
  }
  await c.query(`CLOSE ${cursor}`);
  return n;
}

/** SQLite binds numbers, strings, null and buffers; booleans become 0/1. */
function toSqlite(v: unknown): unknown {
  return typeof v === 'boolean' ? (v ? 1 : 0) : v;
}
