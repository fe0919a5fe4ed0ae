/**
 * The SQL of the site-audit reports (`crawl report broken-links|redirects|duplicates|orphans`), one
 * statement each over the schema's tables and views, written once for both backends: where SQLite
 * and PostgreSQL spell something differently, the dialect (./read-sql.ts) says how. The HTML report
 * reuses the broken-links and redirects statements, so the page and the command line always agree.
 */
import type { ReadDialect } from './read-sql.js';
import type { SqlReportName } from './reader.js';

/** Longest redirect chain followed by the redirects report (stops runaway recursion on bad data). */
const MAX_HOPS = 100;

/** The SQL of each report in dialect `d`. */
export function reportSql(d: ReadDialect): Record<SqlReportName, string> {
  const nl = `${d.chr}(10)`;
  return {
    // Every link whose target failed: HTTP status >= 400 or a fetch error code (robots and extract
    // errors excluded). The same rows as the v_broken_links view (a test checks), but driven from the
    // failed pages: on SQLite a CROSS JOIN keeps the planner from scanning every link first, which
    // on 100k pages and 500k links took 1.9 s against 0.18 s this way.
    'broken-links': `
    SELECT s.url AS from_url, d.url AS to_url, l.anchor, p.status, p.error_code
    FROM pages p ${d.drivingJoin} links l ON l.dst_id = p.url_id JOIN urls s ON s.id = l.src_id JOIN urls d ON d.id = l.dst_id
    WHERE p.status >= 400 OR (p.error_code IS NOT NULL AND p.error_code NOT IN ('ROBOTS_DISALLOWED', 'EXTRACT_FAILED'))
    ORDER BY to_url, from_url`,

    // Every page with a redirect_to, its chain followed through pages.redirect_to (via the unique
    // index on urls.url), with the hop count, the end of the chain and its status. A chain that comes
    // back to a URL already on it is a loop (loop = 1), as are pages the crawler marked REDIRECT_LOOP.
    redirects: `
    WITH RECURSIVE chain(start, cur, hops, path, loop) AS (
      SELECT url, redirect_to, 1, ${nl} || url || ${nl} || redirect_to || ${nl}, redirect_to = url
      FROM pages WHERE redirect_to IS NOT NULL
      UNION ALL
      SELECT c.start, n.redirect_to, c.hops + 1, c.path || n.redirect_to || ${nl},
             ${d.contains('c.path', `${nl} || n.redirect_to || ${nl}`)}
      FROM chain c JOIN urls u ON u.url = c.cur JOIN pages n ON n.url_id = u.id
      WHERE n.redirect_to IS NOT NULL AND NOT c.loop AND c.hops < ${MAX_HOPS}
    ),
    ends AS (
      SELECT start, cur, hops, path, loop, ROW_NUMBER() OVER (PARTITION BY start ORDER BY hops DESC) AS k FROM chain
    )
    SELECT * FROM (
      SELECT p.url, p.status, e.hops, e.cur AS final_url, f.status AS final_status, f.error_code AS final_error,
             ${d.asInt(`e.loop OR COALESCE(p.error_code = 'REDIRECT_LOOP', false)`)} AS loop, p.error_code,
             replace(${d.trimChar('e.path', nl)}, ${nl}, ' -> ') AS chain
      FROM ends e JOIN urls su ON su.url = e.start JOIN pages p ON p.url_id = su.id
           LEFT JOIN urls fu ON fu.url = e.cur LEFT JOIN pages f ON f.url_id = fu.id
      WHERE e.k = 1
      UNION ALL
      SELECT url, status, 0, final_url, NULL, NULL, ${d.asInt(`error_code = 'REDIRECT_LOOP'`)}, error_code, url
      FROM pages WHERE redirect_to IS NULL AND error_code IN ('REDIRECT_LOOP', 'TOO_MANY_REDIRECTS')
    ) r ORDER BY loop DESC, hops DESC, url`,

    // Groups of fetched pages with the same body hash, largest group first; urls space-separated.
    duplicates: `
    SELECT content_hash, COUNT(*) AS count, MIN(title) AS title, ${d.stringAgg} AS urls
    FROM pages WHERE content_hash IS NOT NULL
    GROUP BY content_hash HAVING COUNT(*) > 1
    ORDER BY count DESC, content_hash`,

    // Successfully fetched pages that nothing points to: not a seed, no link from another page, and
    // not the target of another page's redirect (a link to the old URL reaches them).
    orphans: `
    SELECT p.url, p.status, p.source, p.depth, p.title, p.fetched_at
    FROM pages p
    WHERE p.status BETWEEN 200 AND 299 AND p.redirect_to IS NULL AND p.source <> 'seed'
      AND NOT EXISTS (SELECT 1 FROM links l WHERE l.dst_id = p.url_id AND l.src_id <> p.url_id)
      AND p.url NOT IN (SELECT redirect_to FROM pages WHERE redirect_to IS NOT NULL)
    ORDER BY p.url`,
  };
}
