/**
 * Loads a SQLite crawl database (the read contract's fixture) into a new PostgreSQL database with
 * the crawler's own schema: the same rows, run counters as one worker's, each page's tsvector
 * built as the crawler builds it. Test-only: the crawl never goes this way.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { PostgresBackend } from '../../src/store/postgres/backend.js';
import { tsvectorLiteral } from '../../src/store/postgres/search-terms.js';

const COUNTERS = ['pages', 'requests', 'new_pages', 'changed', 'unchanged', 'gone', 'redirects', 'errors', 'disallowed', 'skipped', 'bytes'];

export async function loadIntoPg(sqliteFile: string, url: string): Promise<void> {
  await (await PostgresBackend.open(url)).close();
  const src = new Database(sqliteFile, { readonly: true });
  const c = new pg.Client(url);
  await c.connect();
  try {
    await c.query('BEGIN');
    const insert = async (table: string, row: Record<string, unknown>) => {
      const cols = Object.keys(row);
      await c.query(`INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})`, Object.values(row));
    };
    const columnsOf = async (table: string) => new Set((await c.query(
      'SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1', [table])).rows.map((r) => r.column_name as string));
    for (const r of src.prepare('SELECT * FROM runs ORDER BY id').all() as Record<string, unknown>[]) {
      await insert('run_log', { id: r.id, started_at: r.started_at, ended_at: r.ended_at, status: r.status, stop_reason: r.stop_reason, options: r.options, resumes: r.resumes });
      await insert('run_workers', { run_id: r.id, owner: 'fixture', joined_at: r.started_at, last_seen_at: r.ended_at ?? r.started_at,
        ...Object.fromEntries(COUNTERS.map((k) => [k, r[k]])) });
    }
    for (const table of ['urls', 'pages', 'links', 'frontier', 'page_runs', 'robots']) {
      const have = await columnsOf(table);
      for (const r of src.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[]) {
        const row = Object.fromEntries(Object.entries(r).filter(([k]) => have.has(k)));
        if (table === 'pages') row.search = r.text === null && r.title === null ? null : tsvectorLiteral(r.title as string | null, (r.text as string | null) ?? '');
        await insert(table, row);
      }
    }
    await c.query('COMMIT');
  } finally {
    src.close();
    await c.end();
  }
}
