/**
 * What the HTML report shows, read from a crawl database in one pass of aggregate queries: the
 * summary figures, the numbers behind each chart, and the capped rows of each table. Everything
 * here is plain data (no HTML), so tests can check it and the page can embed it as JSON.
 */
import type { ReportSql } from '../store/reader.js';

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

/** `CASE` that maps `expr` to the index of its bucket in `edges` (edges.length for the open last one). */
function bucketCase(expr: string, edges: number[]): string {
  return `CASE ${edges.map((e, i) => `WHEN ${expr} < ${e} THEN ${i}`).join(' ')} ELSE ${edges.length} END`;
}

/** Fills every bucket of `edges` (empty ones too, so the histogram's x axis is continuous). */
async function histogram(q: ReportSql, expr: string, from: string, edges: number[], label: (i: number) => string): Promise<Count[]> {
  const rows = await q.all<{ b: number; n: number }>(`SELECT ${bucketCase(expr, edges)} AS b, COUNT(*) AS n FROM ${from} GROUP BY b`);
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
async function capped(q: ReportSql, sql: string, limit: number): Promise<TableData> {
  const { columns, rows } = await q.raw(`${sql} LIMIT ${limit}`);
  const total = rows.length < limit ? rows.length : (await q.all<{ n: number }>(`SELECT COUNT(*) AS n FROM (${sql}) t`))[0].n;
  return { columns, rows, total };
}

/** Counts grouped by the first column of `sql`. */
async function counts(q: ReportSql, sql: string, label = (v: unknown) => String(v)): Promise<Count[]> {
  return ((await q.raw(sql)).rows as [unknown, number][]).map(([v, value]) => ({ label: label(v), value }));
}

/**
 * Reads everything the report shows through a reader's SQL runner (SQLite or PostgreSQL: the
 * statements differ only where the dialect says, see src/store/read-sql.ts).
 */
export async function collectReport(q: ReportSql, dbName: string, now = new Date()): Promise<ReportData> {
  const L = REPORT_LIMITS;
  const d = q.dialect;
  const one = async <T>(sql: string): Promise<T> => (await q.all<T>(sql))[0];
  const runCount = (await one<{ n: number }>('SELECT COUNT(*) AS n FROM runs')).n;
  const last = await one<Record<string, unknown> | undefined>(
    `SELECT id, status, started_at, ended_at, stop_reason, ${d.durationS} AS d
     FROM runs ORDER BY id DESC LIMIT 1`,
  );
  const totals = await one<{ pages: number; hosts: number; errors: number | null; bytes: number | null }>(
    `SELECT COUNT(*) AS pages, COUNT(DISTINCT host) AS hosts, ${d.errorCount} AS errors, SUM(bytes) AS bytes FROM pages`,
  );
  const pct = await one<{ median: number | null; p95: number | null }>(
    `WITH d AS (SELECT duration_ms AS ms, ROW_NUMBER() OVER (ORDER BY duration_ms) AS rn, COUNT(*) OVER () AS n
                FROM pages WHERE duration_ms IS NOT NULL)
     SELECT MAX(CASE WHEN rn = (n + 1) / 2 THEN ms END) AS median, MAX(CASE WHEN rn = (n * 95 + 99) / 100 THEN ms END) AS p95 FROM d`,
  );
  const tables = {
    brokenLinks: await capped(q, q.reports['broken-links'], L.rows),
    redirects: await capped(q, q.reports.redirects, L.rows),
    slowest: await capped(q, `SELECT url, status, duration_ms, ttfb_ms, bytes, content_type FROM pages
                         WHERE duration_ms IS NOT NULL ORDER BY duration_ms DESC, url`, L.rows),
    largest: await capped(q, `SELECT url, status, bytes, content_type, title FROM pages WHERE bytes > 0 ORDER BY bytes DESC, url`, L.rows),
  };
  const summary: Summary | null = last === undefined ? null : {
    runs: runCount,
    lastRun: {
      id: last.id as number, status: last.status as string, startedAt: last.started_at as string,
      endedAt: (last.ended_at as string | null) ?? null, durationS: (last.d as number | null) ?? null, stopReason: (last.stop_reason as string | null) ?? null,
    },
    pages: totals.pages, hosts: totals.hosts, errors: totals.errors ?? 0, bytes: totals.bytes ?? 0,
    links: (await one<{ n: number }>('SELECT COUNT(*) AS n FROM links')).n,
    brokenLinks: tables.brokenLinks.total, redirects: tables.redirects.total, medianMs: pct.median, p95Ms: pct.p95,
  };

  const hostRows = await q.all<{ host: string; pages: number; errors: number }>(
    `SELECT host, COUNT(*) AS pages, ${d.errorCount} AS errors FROM pages GROUP BY host ORDER BY pages DESC, host LIMIT ${L.hosts}`);
  // Content types without parameters (text/html; charset=utf-8 counts as text/html); NULL for no body.
  const ctype = d.contentType;
  const runs = (await q.all<{ id: number; startedAt: string }>(`SELECT id, started_at AS "startedAt" FROM runs ORDER BY id DESC LIMIT ${L.runs}`)).reverse();
  const changes: Record<string, number[]> = Object.fromEntries(CHANGE_KINDS.map((k) => [k, runs.map(() => 0)]));
  if (runs.length > 0) {
    const index = new Map(runs.map((r, i) => [r.id, i]));
    const rows = await q.all<{ run_id: number; change: string; n: number }>('SELECT run_id, change, COUNT(*) AS n FROM page_runs WHERE run_id >= ? GROUP BY run_id, change', [runs[0].id]);
    for (const r of rows) {
      const i = index.get(r.run_id);
      if (i !== undefined) (changes[r.change] ??= runs.map(() => 0))[i] = r.n;
    }
  }

  return {
    db: dbName,
    generatedAt: now.toISOString(),
    summary,
    statusClasses: await counts(q, `SELECT CASE WHEN status IS NULL THEN 'none' ELSE ${d.statusClass} END AS c, COUNT(*) FROM pages GROUP BY c ORDER BY c`),
    statusCodes: await counts(q, `SELECT status, COUNT(*) FROM pages WHERE status IS NOT NULL GROUP BY status ORDER BY status LIMIT ${L.categories}`),
    errorCodes: await counts(q, `SELECT error_code, COUNT(*) AS n FROM pages WHERE error_code IS NOT NULL GROUP BY error_code ORDER BY n DESC, error_code LIMIT ${L.categories}`),
    durations: await histogram(q, 'duration_ms', 'pages WHERE duration_ms IS NOT NULL', DURATION_EDGES, edgeLabel(DURATION_EDGES, msLabel)),
    sizes: await histogram(q, 'bytes', 'pages WHERE bytes > 0', SIZE_EDGES, edgeLabel(SIZE_EDGES, bytesLabel)),
    hosts: {
      labels: hostRows.map((h) => h.host), ok: hostRows.map((h) => h.pages - h.errors), errors: hostRows.map((h) => h.errors),
      more: Math.max(0, totals.hosts - hostRows.length),
    },
    // Depths from L.depth on count together as "N+".
    depths: await counts(q, `SELECT ${d.least}(depth, ${L.depth}) AS d, COUNT(*) FROM pages GROUP BY 1 ORDER BY 1`,
      (v) => (typeof v === 'number' && v >= L.depth ? `${L.depth}+` : String(v))),
    contentTypes: await q.all<ReportData['contentTypes'][number]>(`SELECT ${ctype} AS label, COUNT(*) AS pages, COALESCE(SUM(bytes), 0) AS bytes FROM pages
                              WHERE content_type IS NOT NULL GROUP BY label ORDER BY pages DESC, label LIMIT ${L.categories}`),
    history: { runs, changes, more: Math.max(0, runCount - runs.length) },
    tables,
    limits: L,
  };
}
