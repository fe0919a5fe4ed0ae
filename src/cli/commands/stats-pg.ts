/** `crawl stats` on PostgreSQL: the sections of ./stats.ts, in PostgreSQL's SQL. */
import type pg from 'pg';
import { BadInputError } from '../../errors.js';
import type { Section } from '../output.js';

/** Collects the stats sections from a PostgreSQL crawl (same names and columns as collectStats). */
export async function collectStatsPg(c: pg.Client, runId?: number, top = 10): Promise<Section[]> {
  const run = (await c.query(
    `SELECT id, started_at, ended_at, status, stop_reason, resumes, workers, pages, requests, new_pages AS new, changed, unchanged,
            gone, redirects, errors, disallowed, skipped, bytes,
            round(extract(epoch FROM (ended_at::timestamptz - started_at::timestamptz))::numeric, 1) AS duration_s
     FROM runs WHERE id = coalesce($1::bigint, (SELECT max(id) FROM runs))`, [runId ?? null])).rows[0] as Record<string, unknown> | undefined;
  if (runId !== undefined && !run) {
    const ids = (await c.query('SELECT min(id) AS lo, max(id) AS hi FROM run_log')).rows[0] as { lo: number | null; hi: number | null };
    throw new BadInputError(`--run ${runId}: no such run (${ids.lo === null ? 'the database has no runs' : `runs ${ids.lo}..${ids.hi} exist`}; see crawl runs)`);
  }
  const where = runId === undefined ? 'true' : 'run_id = $1';
  const all = async (sql: string) => (await c.query(sql, sql.includes('$1') ? [runId] : [])).rows as Record<string, unknown>[];
  const errorExpr = 'count(*) FILTER (WHERE error_code IS NOT NULL OR status >= 400)';
  return [
    { name: 'run', title: runId === undefined ? 'Last run' : `Run ${runId}`, columns: run ? Object.keys(run) : ['id'], rows: run ? [run] : [], single: true },
    {
      name: 'totals', title: 'Totals', single: true, columns: ['pages', 'hosts', 'bytes', 'urls_known', 'links', 'queued'],
      rows: await all(`SELECT (SELECT count(*) FROM pages WHERE ${where}) AS pages, (SELECT count(DISTINCT host) FROM pages WHERE ${where}) AS hosts,
        (SELECT coalesce(sum(bytes), 0) FROM pages WHERE ${where}) AS bytes, (SELECT count(*) FROM urls) AS urls_known,
        (SELECT count(*) FROM links) AS links, (SELECT count(*) FROM frontier WHERE state = 0) AS queued`),
    },
    {
      name: 'status_classes', title: 'Pages by status class', columns: ['class', 'pages'],
      rows: await all(`SELECT CASE WHEN status IS NULL THEN 'none' ELSE (status / 100)::text || 'xx' END AS class, count(*) AS pages
        FROM pages WHERE ${where} GROUP BY 1 ORDER BY 1`),
    },
    { name: 'status_codes', title: 'Pages by status code', columns: ['status', 'pages'],
      rows: await all(`SELECT status, count(*) AS pages FROM pages WHERE ${where} GROUP BY status ORDER BY status`) },
    {
      name: 'content_types', title: 'Content types', columns: ['content_type', 'pages', 'bytes'],
      rows: await all(`SELECT lower(trim(split_part(content_type, ';', 1))) AS content_type, count(*) AS pages, sum(bytes) AS bytes
        FROM pages WHERE ${where} GROUP BY 1 ORDER BY pages DESC, 1`),
    },
    {
      name: 'top_hosts', title: `Top ${top} hosts by pages`, columns: ['host', 'pages', 'errors', 'bytes'],
      rows: await all(`SELECT host, count(*) AS pages, ${errorExpr} AS errors, sum(bytes) AS bytes
        FROM pages WHERE ${where} GROUP BY host ORDER BY pages DESC, host LIMIT ${top}`),
    },
    {
      name: 'top_error_hosts', title: `Top ${top} hosts by errors`, columns: ['host', 'errors', 'pages'],
      rows: await all(`SELECT host, ${errorExpr} AS errors, count(*) AS pages
        FROM pages WHERE ${where} GROUP BY host HAVING ${errorExpr} > 0 ORDER BY errors DESC, host LIMIT ${top}`),
    },
    {
      name: 'error_codes', title: 'Errors by code', columns: ['error_code', 'pages'],
      rows: await all(`SELECT error_code, count(*) AS pages FROM pages WHERE error_code IS NOT NULL AND ${where} GROUP BY error_code ORDER BY pages DESC, error_code`),
    },
    {
      name: 'durations', title: 'Fetch durations (ms, nearest rank)', single: true, columns: ['fetches', 'min', 'median', 'p95', 'max', 'avg'],
      rows: await all(`WITH d AS (SELECT duration_ms AS ms, row_number() OVER (ORDER BY duration_ms) AS rn, count(*) OVER () AS n
          FROM pages WHERE duration_ms IS NOT NULL AND ${where})
        SELECT count(*) AS fetches, min(ms) AS min, max(CASE WHEN rn = (n + 1) / 2 THEN ms END) AS median,
          max(CASE WHEN rn = (n * 95 + 99) / 100 THEN ms END) AS p95, max(ms) AS max, round(avg(ms))::int AS avg FROM d`),
    },
    { name: 'depths', title: 'Pages by depth', columns: ['depth', 'pages'],
      rows: await all(`SELECT depth, count(*) AS pages FROM pages WHERE ${where} GROUP BY depth ORDER BY depth`) },
  ];
}
