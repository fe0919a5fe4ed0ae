/**
 * The read-side SQL both backends run, written once: the runs listing, the ten stats sections, the
 * changes filter and the export statement. Where SQLite and PostgreSQL spell a thing differently,
 * the {@link ReadDialect} names the difference; everything else is the same text.
 */
import { BadInputError } from '../errors.js';
import type { PageChange } from './types.js';

/** Every value of page_runs.change. */
export const CHANGE_KINDS: readonly PageChange[] = ['new', 'changed', 'unchanged', 'gone', 'redirect', 'error', 'disallowed'];

/** `crawl changes` filters: a run id (>=) or a date (fetched_at >=), and the change kinds kept. */
export interface ChangesFilter {
  since?: string | number;
  change?: string[];
}

/** `crawl export`: a table or view, an SQL condition, columns (comma-separated, repeatable), a row cap (0: all). */
export interface ExportRequest {
  table: string;
  where?: string;
  columns?: string[];
  limit?: number;
}

/** What differs between SQLite's and PostgreSQL's SQL on the read side. */
export interface ReadDialect {
  /** A true condition: `1` (SQLite) or `true`. */
  all: string;
  /** The run parameter, which may repeat: `@run` (SQLite) or `$1`. */
  run: string;
  /** Seconds between started_at and ended_at, one decimal. */
  durationS: string;
  /** Columns only PostgreSQL's runs have (`workers, `), or ''. */
  runExtra: string;
  /** `2xx` from status. */
  statusClass: string;
  /** content_type without its parameters (`; charset=…`), lower case. */
  contentType: string;
  /** Failed pages (error code or status >= 400) in a group. */
  errorCount: string;
  /** The rounded mean of `ms`, as an integer. */
  avgMs: string;
  /** The table whose id range a "no such run" message names. */
  runIds: string;
  /** The smaller of two values: MIN(a, b) on SQLite, LEAST(a, b) on PostgreSQL. */
  least: string;
  /** The function giving the character of a code: char (SQLite) or chr. */
  chr: string;
  /** True when text `hay` contains `needle`. */
  contains(hay: string, needle: string): string;
  /** `expr` without `ch` at either end. */
  trimChar(expr: string, ch: string): string;
  /** A condition as 0 or 1 (SQLite's conditions are integers already). */
  asInt(cond: string): string;
  /** The page URLs of a group, space-separated, in order. */
  stringAgg: string;
  /**
   * The join that makes pages drive the broken-links query: SQLite's CROSS JOIN fixes the join
   * order; PostgreSQL's planner needs no hint (and takes no ON with CROSS JOIN).
   */
  drivingJoin: string;
}

/** SQLite's spelling. */
export const SQLITE_DIALECT: ReadDialect = {
  all: '1',
  run: '@run',
  durationS: 'ROUND((julianday(ended_at) - julianday(started_at)) * 86400, 1)',
  runExtra: '',
  statusClass: "(status / 100) || 'xx'",
  contentType: "lower(trim(CASE WHEN instr(content_type, ';') > 0 THEN substr(content_type, 1, instr(content_type, ';') - 1) ELSE content_type END))",
  errorCount: 'SUM(error_code IS NOT NULL OR status >= 400)',
  avgMs: 'CAST(ROUND(AVG(ms)) AS INTEGER)',
  runIds: 'runs',
  least: 'MIN',
  chr: 'char',
  contains: (hay, needle) => `instr(${hay}, ${needle}) > 0`,
  trimChar: (expr, ch) => `trim(${expr}, ${ch})`,
  asInt: (cond) => `(${cond})`,
  stringAgg: "group_concat(url, ' ' ORDER BY url)",
  drivingJoin: 'CROSS JOIN',
};

/** PostgreSQL's spelling. */
export const PG_DIALECT: ReadDialect = {
  all: 'true',
  run: '$1',
  durationS: 'round(extract(epoch FROM (ended_at::timestamptz - started_at::timestamptz))::numeric, 1)',
  runExtra: 'workers, ',
  statusClass: "(status / 100)::text || 'xx'",
  contentType: "lower(trim(split_part(content_type, ';', 1)))",
  errorCount: 'count(*) FILTER (WHERE error_code IS NOT NULL OR status >= 400)',
  avgMs: 'round(avg(ms))::int',
  runIds: 'run_log',
  least: 'LEAST',
  chr: 'chr',
  contains: (hay, needle) => `position(${needle} IN ${hay}) > 0`,
  trimChar: (expr, ch) => `trim(both ${ch} from ${expr})`,
  asInt: (cond) => `(${cond})::int`,
  stringAgg: "string_agg(url, ' ' ORDER BY url)",
  drivingJoin: 'JOIN',
};

/** The runs listing; its one parameter is the row cap (the backend binds "no limit" its own way). */
export function runsSql(d: ReadDialect): string {
  return `
  SELECT id, started_at, ended_at, status, stop_reason, ${d.runExtra}pages, new_pages AS new, changed, unchanged, gone,
         errors, bytes, ${d.durationS} AS duration_s
  FROM (SELECT * FROM runs ORDER BY id DESC LIMIT ${d.run === '$1' ? '$1' : '?'}) r
  ORDER BY id`;
}

/** The run row of `crawl stats` (the last run when the parameter is NULL). */
export function statsRunSql(d: ReadDialect): string {
  return `SELECT id, started_at, ended_at, status, stop_reason, resumes, ${d.runExtra}pages, requests, new_pages AS new, changed, unchanged,
              gone, redirects, errors, disallowed, skipped, bytes, ${d.durationS} AS duration_s
       FROM runs WHERE id = COALESCE(${d.run === '$1' ? '$1::bigint' : d.run}, (SELECT MAX(id) FROM runs))`;
}

/** The "no such run" message, given the id range. */
export function noSuchRun(runId: number, ids: { lo: number | null; hi: number | null }): BadInputError {
  return new BadInputError(`--run ${runId}: no such run (${ids.lo === null ? 'the database has no runs' : `runs ${ids.lo}..${ids.hi} exist`}; see crawl runs)`);
}

/** A stats section before it runs: the SQL whose rows fill it. */
export interface SectionSql { name: string; title: string; columns: string[]; sql: string; single?: boolean }

/**
 * The per-page stats sections. One filter for each: every page, or (with --run N) those last
 * fetched in run N; `top` is a checked whole number.
 */
export function statsSectionsSql(d: ReadDialect, runId: number | undefined, top: number): SectionSql[] {
  const where = runId === undefined ? d.all : `run_id = ${d.run}`;
  return [
    {
      name: 'totals', title: 'Totals', single: true, columns: ['pages', 'hosts', 'bytes', 'urls_known', 'links', 'queued'],
      sql: `SELECT (SELECT COUNT(*) FROM pages WHERE ${where}) AS pages,
                   (SELECT COUNT(DISTINCT host) FROM pages WHERE ${where}) AS hosts,
                   (SELECT COALESCE(SUM(bytes), 0) FROM pages WHERE ${where}) AS bytes,
                   (SELECT COUNT(*) FROM urls) AS urls_known,
                   (SELECT COUNT(*) FROM links) AS links,
                   (SELECT COUNT(*) FROM frontier WHERE state = 0) AS queued`,
    },
    {
      name: 'status_classes', title: 'Pages by status class', columns: ['class', 'pages'],
      sql: `SELECT CASE WHEN status IS NULL THEN 'none' ELSE ${d.statusClass} END AS class, COUNT(*) AS pages
            FROM pages WHERE ${where} GROUP BY 1 ORDER BY 1`,
    },
    {
      name: 'status_codes', title: 'Pages by status code', columns: ['status', 'pages'],
      // NULLS FIRST: SQLite's order for NULL, which PostgreSQL puts last unless told.
      sql: `SELECT status, COUNT(*) AS pages FROM pages WHERE ${where} GROUP BY status ORDER BY status NULLS FIRST`,
    },
    {
      // Parameters (; charset=...) stripped so text/html variants count together.
      name: 'content_types', title: 'Content types', columns: ['content_type', 'pages', 'bytes'],
      sql: `SELECT ${d.contentType} AS content_type, COUNT(*) AS pages, SUM(bytes) AS bytes
            FROM pages WHERE ${where} GROUP BY 1 ORDER BY pages DESC, 1 NULLS FIRST`,
    },
    {
      name: 'top_hosts', title: `Top ${top} hosts by pages`, columns: ['host', 'pages', 'errors', 'bytes'],
      sql: `SELECT host, COUNT(*) AS pages, ${d.errorCount} AS errors, SUM(bytes) AS bytes
            FROM pages WHERE ${where} GROUP BY host ORDER BY pages DESC, host LIMIT ${top}`,
    },
    {
      name: 'top_error_hosts', title: `Top ${top} hosts by errors`, columns: ['host', 'errors', 'pages'],
      sql: `SELECT host, ${d.errorCount} AS errors, COUNT(*) AS pages
            FROM pages WHERE ${where} GROUP BY host HAVING ${d.errorCount} > 0 ORDER BY errors DESC, host LIMIT ${top}`,
    },
    {
      name: 'error_codes', title: 'Errors by code', columns: ['error_code', 'pages'],
      sql: `SELECT error_code, COUNT(*) AS pages FROM pages WHERE error_code IS NOT NULL AND ${where}
            GROUP BY error_code ORDER BY pages DESC, error_code`,
    },
    {
      name: 'durations', title: 'Fetch durations (ms, nearest rank)', single: true,
      columns: ['fetches', 'min', 'median', 'p95', 'max', 'avg'],
      sql: `WITH d AS (SELECT duration_ms AS ms, ROW_NUMBER() OVER (ORDER BY duration_ms) AS rn, COUNT(*) OVER () AS n
                       FROM pages WHERE duration_ms IS NOT NULL AND ${where})
            SELECT COUNT(*) AS fetches, MIN(ms) AS min, MAX(CASE WHEN rn = (n + 1) / 2 THEN ms END) AS median,
                   MAX(CASE WHEN rn = (n * 95 + 99) / 100 THEN ms END) AS p95, MAX(ms) AS max, ${d.avgMs} AS avg
            FROM d`,
    },
    {
      name: 'depths', title: 'Pages by depth', columns: ['depth', 'pages'],
      sql: `SELECT depth, COUNT(*) AS pages FROM pages WHERE ${where} GROUP BY depth ORDER BY depth`,
    },
  ];
}

/** The WHERE clause (with `?` placeholders) and parameters for `crawl changes`. */
export function changesFilter(args: ChangesFilter): { where: string; params: unknown[] } {
  const conds: string[] = [];
  const params: unknown[] = [];
  const since = args.since === undefined ? '' : String(args.since).trim();
  if (since === '') {
    conds.push('run_id = (SELECT MAX(id) FROM runs)');
  } else if (/^\d+$/.test(since)) {
    conds.push('run_id >= ?');
    params.push(Number(since));
  } else {
    const t = Date.parse(since);
    if (Number.isNaN(t)) {
      throw new BadInputError(`--since ${since}: give a run id (e.g. 3, see crawl runs) or a date (e.g. 2026-11-01 or 2026-11-01T12:00:00Z)`);
    }
    // fetched_at is ISO 8601 UTC text, so string order is time order.
    conds.push('fetched_at >= ?');
    params.push(new Date(t).toISOString());
  }
  const kinds = (args.change ?? []).flatMap((c) => c.split(',')).map((c) => c.trim()).filter((c) => c !== '');
  const bad = kinds.filter((k) => !(CHANGE_KINDS as readonly string[]).includes(k));
  if (bad.length > 0) throw new BadInputError(`--change ${bad.join(',')}: unknown change; choose from ${CHANGE_KINDS.join(', ')}`);
  if (kinds.length > 0) {
    conds.push(`change IN (${kinds.map(() => '?').join(', ')})`);
    params.push(...kinds);
  }
  return { where: conds.join(' AND '), params };
}

/** The changes statement, `?` placeholders. */
export function changesSql(where: string): string {
  return `SELECT run_id, url, change, status, error_code, fetched_at FROM v_changes WHERE ${where} ORDER BY run_id, url`;
}

/** SQLite `?` placeholders as PostgreSQL's $1, $2 … (for filters built for both). */
export function numberedParams(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Quotes an SQL identifier (table or column name) so any name is safe inside SQL text. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The export SELECT, checked against the tables and the table's columns the backend lists. */
export function exportSql(req: ExportRequest, tables: string[], have: string[]): { sql: string; columns: string[] } {
  if (!tables.includes(req.table)) {
    throw new BadInputError(`--table ${req.table}: no such table or view; choose one of ${tables.join(', ')}`);
  }
  const wanted = (req.columns ?? []).flatMap((c) => c.split(',')).map((c) => c.trim()).filter((c) => c !== '');
  const unknown = wanted.filter((c) => !have.includes(c));
  if (unknown.length > 0) {
    throw new BadInputError(`--columns: ${req.table} has no column ${unknown.join(', ')}; its columns are ${have.join(', ')}`);
  }
  const columns = wanted.length > 0 ? wanted : have;
  let sql = `SELECT ${columns.map(quoteIdent).join(', ')} FROM ${quoteIdent(req.table)}`;
  if (req.where !== undefined && req.where.trim() !== '') sql += ` WHERE (${req.where})`;
  const limit = req.limit ?? 0;
  if (!Number.isInteger(limit) || limit < 0) throw new BadInputError(`--limit ${limit}: give a whole number (0: all rows)`);
  if (limit > 0) sql += ` LIMIT ${limit}`;
  return { sql, columns };
}

/**
 * A page whose latest fetch succeeded, as an SQL condition on `pages` aliased `p` (the same text on
 * both engines): a 2xx, or a 304 on a page whose content is stored; not a 4xx/5xx, not a network
 * error or a skipped fetch (no status), not a page that now redirects. `crawl search` returns only
 * these unless --all. `status IS NOT NULL` first keeps the condition false, never NULL.
 */
export const LIVE_PAGE_SQL =
  `(p.status IS NOT NULL AND p.redirect_to IS NULL AND (p.status BETWEEN 200 AND 299 OR (p.status = 304 AND p.content_hash IS NOT NULL)))`;
