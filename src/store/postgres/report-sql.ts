/** `crawl report` on PostgreSQL: the SQL of ../sqlite/report-sql.ts in PostgreSQL's dialect. */
import type { SqlReportName } from '../reader.js';

const MAX_HOPS = 100;

export const REPORT_SQL_PG: Record<SqlReportName, string> = {
  'broken-links': `
    SELECT from_url, to_url, anchor, to_status AS status, to_error AS error_code
    FROM v_broken_links ORDER BY to_url, from_url`,
  redirects: `
    WITH RECURSIVE chain(start, cur, hops, path, loop) AS (
      SELECT url, redirect_to, 1, chr(10) || url || chr(10) || redirect_to || chr(10), redirect_to = url
      FROM pages WHERE redirect_to IS NOT NULL
      UNION ALL
      SELECT c.start, n.redirect_to, c.hops + 1, c.path || n.redirect_to || chr(10),
             position(chr(10) || n.redirect_to || chr(10) IN c.path) > 0
      FROM chain c JOIN urls u ON u.url = c.cur JOIN pages n ON n.url_id = u.id
      WHERE n.redirect_to IS NOT NULL AND NOT c.loop AND c.hops < ${MAX_HOPS}
    ),
    ends AS (
      SELECT start, cur, hops, path, loop, row_number() OVER (PARTITION BY start ORDER BY hops DESC) AS k FROM chain
    )
    SELECT * FROM (
      SELECT p.url, p.status, e.hops, e.cur AS final_url, f.status AS final_status, f.error_code AS final_error,
             (e.loop OR coalesce(p.error_code = 'REDIRECT_LOOP', false))::int AS loop, p.error_code,
             replace(trim(both chr(10) from e.path), chr(10), ' -> ') AS chain
      FROM ends e JOIN urls su ON su.url = e.start JOIN pages p ON p.url_id = su.id
           LEFT JOIN urls fu ON fu.url = e.cur LEFT JOIN pages f ON f.url_id = fu.id
      WHERE e.k = 1
      UNION ALL
      SELECT url, status, 0, final_url, NULL, NULL, (error_code = 'REDIRECT_LOOP')::int, error_code, url
      FROM pages WHERE redirect_to IS NULL AND error_code IN ('REDIRECT_LOOP', 'TOO_MANY_REDIRECTS')
    ) r ORDER BY loop DESC, hops DESC, url`,
  duplicates: `
    SELECT content_hash, count(*) AS count, min(title) AS title, string_agg(url, ' ' ORDER BY url) AS urls
    FROM pages WHERE content_hash IS NOT NULL
    GROUP BY content_hash HAVING count(*) > 1
    ORDER BY count DESC, content_hash`,
  orphans: `
    SELECT p.url, p.status, p.source, p.depth, p.title, p.fetched_at
    FROM pages p
    WHERE p.status BETWEEN 200 AND 299 AND p.redirect_to IS NULL AND p.source <> 'seed'
      AND NOT EXISTS (SELECT 1 FROM links l WHERE l.dst_id = p.url_id AND l.src_id <> p.url_id)
      AND p.url NOT IN (SELECT redirect_to FROM pages WHERE redirect_to IS NOT NULL)
    ORDER BY p.url`,
};
