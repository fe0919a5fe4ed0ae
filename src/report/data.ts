/**
 * What the HTML report shows, read from a crawl database in one pass of aggregate queries: the
 * summary figures, the numbers behind each chart, and the capped rows of each table. Everything
 * here is plain data (no HTML), so tests can check it and the page can embed it as JSON.
 */
import type Database from 'better-sqlite3';
import { REPORT_SQL } from './sql.js';

/** Caps that keep the page small on large databases; the page says when one applied. */
export const REPORT_LIMITS = {
  /** Rows of each table (broken links, redirects, slowest, largest). */
  rows: 500,
  /** Hosts in the per-host chart. */
  hosts: 15,
  /** Runs in the history chart (the latest ones). */
  runs: 60,
  /** Error codes, status codes and content types in their charts. */
  categories: 20,
  /** Depths shown one by one; deeper pages are counted together as "N+". */
  depth: 20,
} as const;

/** Upper bounds (exclusive) of the response-time buckets, in ms; the last bucket is open. */
export const DURATION_EDGES = [50, 100, 200, 500, 1000, 2000, 5000, 10000];

/** Upper bounds (exclusive) of the page-size buckets, in bytes; the last bucket is open. */
export const SIZE_EDGES = [1024, 10 * 1024, 50 * 1024, 100 * 1024, 500 * 1024, 1024 * 1024, 5 * 1024 * 1024];

/** A label and a count (or a sum). */
export interface Count { label: string; value: number }

/** One table of the report: column names, at most {@link REPORT_LIMITS.rows} rows, and the full count. */
export interface TableData {
  columns: string[];
  rows: unknown[][];
  total: number;
}

/** The summary figures at the top of the page. */
export interface Summary {
  runs: number;
  lastRun: { id: number; status: string; startedAt: string; endedAt: string | null; durationS: number | null; stopReason: string | null };
  pages: number;
  hosts: number;
  errors: number;
  bytes: number;
  links: number;
  brokenLinks: number;
  redirects: number;
  medianMs: number | null;
  p95Ms: number | null;
}

/** Everything the report shows. `summary` is null when the database has no runs yet. */
export interface ReportData {
  db: string;
  generatedAt: string;
  summary: Summary | null;
  statusClasses: Count[];
  statusCodes: Count[];
  errorCodes: Count[];
  durations: Count[];
  sizes: Count[];
  /** Top hosts by pages, with their failed pages; `more` counts the hosts left out. */
  hosts: { labels: string[]; ok: number[]; errors: number[]; more: number };
  depths: Count[];
  contentTypes: { label: string; pages: number; bytes: number }[];
  /** Per run (oldest first): pages per change kind from page_runs; `more` counts older runs left out. */
  history: { runs: { id: number; startedAt: string }[]; changes: Record<string, number[]>; more: number };
  tables: { brokenLinks: TableData; redirects: TableData; slowest: TableData; largest: TableData };
  limits: typeof REPORT_LIMITS;
}

/** The change kinds of page_runs, in the order the history chart stacks them. */
export const CHANGE_KINDS = ['new', 'changed', 'unchanged', 'gone', 'redirect', 'error', 'disallowed'];

/** A page that failed: an HTTP status >= 400 or an error code (same rule as `crawl stats`). */
const FAILED = '(error_code IS NOT NULL OR status >= 400)';

/** `CASE` that maps `expr` to the index of its bucket in `edges` (edges.length for the open last one). */
function bucketCase(expr: string, edges: number[]): string {
  return `CASE ${edges.map((e, i) => `WHEN ${expr} < ${e} THEN ${i}`).join(' ')} ELSE ${edges.length} END`;
}

/** Fills every bucket of `edges` (empty ones too, so the histogram's x axis is continuous). */
function histogram(db: Database.Database, expr: string, from: string, edges: number[], label: (i: number) => string): Count[] {
  const rows = db.prepare(`SELECT ${bucketCase(expr, edges)} AS b, COUNT(*) AS n FROM ${from} GROUP BY b`).all() as { b: number; n: number }[];
  const counts = new Map(rows.map((r) => [r.b, r.n]));
  return Array.from({ length: edges.length + 1 }, (_, i) => ({ label: label(i), value: counts.get(i) ?? 0 }));
}

/** `1500` → `1.5 s`, `200` → `200 ms`. */
function msLabel(ms: number): string {
  return ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;
}

/** `10240` → `10 KB` (binary units, as in the rest of crawl). */
export function bytesLabel(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${v >= 100 || Number.isInteger(v) ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}

/** Bucket labels: `< 50 ms`, `50–100 ms`, `500 ms–1 s`, …, `≥ 10 s` (the unit once when both ends share it). */
function edgeLabel(edges: number[], fmt: (n: number) => string): (i: number) => string {
  const range = (a: string, b: string): string => {
    const [av, au] = a.split(' ');
    const [bv, bu] = b.split(' ');
    return au === bu ? `${av}–${bv} ${bu}` : `${a}–${b}`;
  };
  return (i) => (i === 0 ? `< ${fmt(edges[0])}` : i === edges.length ? `≥ ${fmt(edges[i - 1])}` : range(fmt(edges[i - 1]), fmt(edges[i])));
}

/** Runs `sql` with a row cap and counts all its rows. */
function capped(db: Database.Database, sql: string, limit: number): TableData {
  const stmt = db.prepare(`${sql} LIMIT ${limit}`);
  const columns = stmt.columns().map((c) => c.name);
  const rows = stmt.raw(true).all() as unknown[][];
  const total = rows.length < limit ? rows.length : (db.prepare(`SELECT COUNT(*) FROM (${sql})`).pluck().get() as number);
  return { columns, rows, total };
}

/** Counts grouped by the first column of `sql`. */
function counts(db: Database.Database, sql: string): Count[] {
  return (db.prepare(sql).raw(true).all() as [unknown, number][]).map(([label, value]) => ({ label: String(label), value }));
}

/** Reads everything the report shows from an open (read-only) crawl database. */
export function collectReport(db: Database.Database, dbName: string, now = new Date()): ReportData {
  const L = REPORT_LIMITS;
  const one = <T>(sql: string): T => db.prepare(sql).get() as T;
  const runCount = one<{ n: number }>('SELECT COUNT(*) AS n FROM runs').n;
  const last = one<Record<string, unknown> | undefined>(
    `SELECT id, status, started_at, ended_at, stop_reason, ROUND((julianday(ended_at) - julianday(started_at)) * 86400, 1) AS d
     FROM runs ORDER BY id DESC LIMIT 1`,
  );
  const totals = one<{ pages: number; hosts: number; errors: number | null; bytes: number | null }>(
    `SELECT COUNT(*) AS pages, COUNT(DISTINCT host) AS hosts, SUM(${FAILED}) AS errors, SUM(bytes) AS bytes FROM pages`,
  );
  const pct = one<{ median: number | null; p95: number | null }>(
    `WITH d AS (SELECT duration_ms AS ms, ROW_NUMBER() OVER (ORDER BY duration_ms) AS rn, COUNT(*) OVER () AS n
                FROM pages WHERE duration_ms IS NOT NULL)
     SELECT MAX(CASE WHEN rn = (n + 1) / 2 THEN ms END) AS median, MAX(CASE WHEN rn = (n * 95 + 99) / 100 THEN ms END) AS p95 FROM d`,
  );
  const tables = {
    brokenLinks: capped(db, REPORT_SQL['broken-links'], L.rows),
    redirects: capped(db, REPORT_SQL.redirects, L.rows),
    slowest: capped(db, `SELECT url, status, duration_ms, ttfb_ms, bytes, content_type FROM pages
                         WHERE duration_ms IS NOT NULL ORDER BY duration_ms DESC, url`, L.rows),
    largest: capped(db, `SELECT url, status, bytes, content_type, title FROM pages WHERE bytes > 0 ORDER BY bytes DESC, url`, L.rows),
  };
  const summary: Summary | null = last === undefined ? null : {
    runs: runCount,
    lastRun: {
      id: last.id as number, status: last.status as string, startedAt: last.started_at as string,
      endedAt: (last.ended_at as string | null) ?? null, durationS: (last.d as number | null) ?? null, stopReason: (last.stop_reason as string | null) ?? null,
    },
    pages: totals.pages, hosts: totals.hosts, errors: totals.errors ?? 0, bytes: totals.bytes ?? 0,
    links: one<{ n: number }>('SELECT COUNT(*) AS n FROM links').n,
    brokenLinks: tables.brokenLinks.total, redirects: tables.redirects.total, medianMs: pct.median, p95Ms: pct.p95,
  };

  const hostRows = db.prepare(`SELECT host, COUNT(*) AS pages, SUM(${FAILED}) AS errors FROM pages GROUP BY host ORDER BY pages DESC, host LIMIT ${L.hosts}`)
    .all() as { host: string; pages: number; errors: number }[];
  // Content types without parameters (text/html; charset=utf-8 counts as text/html); NULL for no body.
  const ctype = `lower(trim(CASE WHEN instr(content_type, ';') > 0 THEN substr(content_type, 1, instr(content_type, ';') - 1) ELSE content_type END))`;
  const runs = (db.prepare(`SELECT id, started_at AS startedAt FROM runs ORDER BY id DESC LIMIT ${L.runs}`).all() as { id: number; startedAt: string }[]).reverse();
  const changes: Record<string, number[]> = Object.fromEntries(CHANGE_KINDS.map((k) => [k, runs.map(() => 0)]));
  if (runs.length > 0) {
    const index = new Map(runs.map((r, i) => [r.id, i]));
    const rows = db.prepare('SELECT run_id, change, COUNT(*) AS n FROM page_runs WHERE run_id >= ? GROUP BY run_id, change').all(runs[0].id) as { run_id: number; change: string; n: number }[];
    for (const r of rows) {
      const i = index.get(r.run_id);
      if (i !== undefined) (changes[r.change] ??= runs.map(() => 0))[i] = r.n;
    }
  }

  return {
    db: dbName,
    generatedAt: now.toISOString(),
    summary,
    statusClasses: counts(db, `SELECT CASE WHEN status IS NULL THEN 'none' ELSE (status / 100) || 'xx' END AS c, COUNT(*) FROM pages GROUP BY c ORDER BY c`),
    statusCodes: counts(db, `SELECT status, COUNT(*) FROM pages WHERE status IS NOT NULL GROUP BY status ORDER BY status LIMIT ${L.categories}`),
    errorCodes: counts(db, `SELECT error_code, COUNT(*) AS n FROM pages WHERE error_code IS NOT NULL GROUP BY error_code ORDER BY n DESC, error_code LIMIT ${L.categories}`),
    durations: histogram(db, 'duration_ms', 'pages WHERE duration_ms IS NOT NULL', DURATION_EDGES, edgeLabel(DURATION_EDGES, msLabel)),
    sizes: histogram(db, 'bytes', 'pages WHERE bytes > 0', SIZE_EDGES, edgeLabel(SIZE_EDGES, bytesLabel)),
    hosts: {
      labels: hostRows.map((h) => h.host), ok: hostRows.map((h) => h.pages - h.errors), errors: hostRows.map((h) => h.errors),
      more: Math.max(0, totals.hosts - hostRows.length),
    },
    depths: counts(db, `SELECT CASE WHEN depth >= ${L.depth} THEN '${L.depth}+' ELSE depth END AS d, COUNT(*) FROM pages
                        GROUP BY MIN(depth, ${L.depth}) ORDER BY MIN(depth, ${L.depth})`),
    contentTypes: db.prepare(`SELECT ${ctype} AS label, COUNT(*) AS pages, COALESCE(SUM(bytes), 0) AS bytes FROM pages
                              WHERE content_type IS NOT NULL GROUP BY label ORDER BY pages DESC, label LIMIT ${L.categories}`).all() as ReportData['contentTypes'],
    history: { runs, changes, more: Math.max(0, runCount - runs.length) },
    tables,
    limits: L,
  };
}
