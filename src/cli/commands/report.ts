/**
 * `crawl report broken-links|redirects|duplicates|orphans`: the common site-audit questions,
 * each one SQL statement over the schema's tables and views, streamed in any output format.
 */
import type Database from 'better-sqlite3';
import type { Argv, CommandModule } from 'yargs';
import { addOutputOptions, writeRows, type OutputArgs, type OutputStream } from '../output.js';
import { prepareReadOnly, withReadOnly } from '../readonly-db.js';
import { isPostgres, pgRows, withPgReadOnly } from '../pg-readonly.js';
import { REPORT_SQL_PG } from './report-pg.js';

/** Report names accepted by `crawl report`. */
export const REPORTS = ['broken-links', 'redirects', 'duplicates', 'orphans'] as const;

/** One of {@link REPORTS}. */
export type ReportName = (typeof REPORTS)[number];

/** Arguments of `crawl report`. */
export interface ReportArgs extends OutputArgs {
  report: ReportName;
}

/** Longest redirect chain followed by the redirects report (stops runaway recursion on bad data). */
const MAX_HOPS = 100;

/** The SQL of each report. Exported so docs and tests show exactly what runs. */
export const REPORT_SQL: Record<ReportName, string> = {
  // Every link whose target failed: HTTP status >= 400 or a fetch error code (robots and extract
  // errors excluded, as in the v_broken_links view this reads).
  'broken-links': `
    SELECT from_url, to_url, anchor, to_status AS status, to_error AS error_code
    FROM v_broken_links ORDER BY to_url, from_url`,

  // Every page with a redirect_to, its chain followed through pages.redirect_to (via the unique
  // index on urls.url), with the hop count, the end of the chain and its status. A chain that comes
  // back to a URL already on it is a loop (loop = 1), as are pages the crawler marked REDIRECT_LOOP.
  redirects: `
    WITH RECURSIVE chain(start, cur, hops, path, loop) AS (
      SELECT url, redirect_to, 1, char(10) || url || char(10) || redirect_to || char(10), redirect_to = url
      FROM pages WHERE redirect_to IS NOT NULL
      UNION ALL
      SELECT c.start, n.redirect_to, c.hops + 1, c.path || n.redirect_to || char(10),
             instr(c.path, char(10) || n.redirect_to || char(10)) > 0
      FROM chain c JOIN urls u ON u.url = c.cur JOIN pages n ON n.url_id = u.id
      WHERE n.redirect_to IS NOT NULL AND c.loop = 0 AND c.hops < ${MAX_HOPS}
    ),
    ends AS (
      SELECT start, cur, hops, path, loop, ROW_NUMBER() OVER (PARTITION BY start ORDER BY hops DESC) AS k FROM chain
    )
    SELECT p.url, p.status, e.hops, e.cur AS final_url, f.status AS final_status, f.error_code AS final_error,
           (e.loop OR COALESCE(p.error_code = 'REDIRECT_LOOP', 0)) AS loop, p.error_code,
           replace(trim(e.path, char(10)), char(10), ' -> ') AS chain
    FROM ends e JOIN urls su ON su.url = e.start JOIN pages p ON p.url_id = su.id
         LEFT JOIN urls fu ON fu.url = e.cur LEFT JOIN pages f ON f.url_id = fu.id
    WHERE e.k = 1
    UNION ALL
    SELECT url, status, 0, final_url, NULL, NULL, error_code = 'REDIRECT_LOOP', error_code, url
    FROM pages WHERE redirect_to IS NULL AND error_code IN ('REDIRECT_LOOP', 'TOO_MANY_REDIRECTS')
    ORDER BY loop DESC, hops DESC, url`,

  // Groups of fetched pages with the same body hash, largest group first; urls space-separated.
  duplicates: `
    SELECT content_hash, COUNT(*) AS count, MIN(title) AS title, group_concat(url, ' ' ORDER BY url) AS urls
    FROM pages WHERE content_hash IS NOT NULL
    GROUP BY content_hash HAVING COUNT(*) > 1
    ORDER BY count DESC, content_hash`,

  // Successfully fetched pages that nothing points to: not a seed, no link from another page, and
  // not the target of another page's redirect (a link to the old URL reaches them).
  orphans: `
    SELECT p.url, p.status, p.source, p.depth, p.title, p.fetched_at
    FROM pages p
    WHERE p.status BETWEEN 200 AND 299 AND p.redirect_to IS NULL AND p.source != 'seed'
      AND NOT EXISTS (SELECT 1 FROM links l WHERE l.dst_id = p.url_id AND l.src_id != p.url_id)
      AND p.url NOT IN (SELECT redirect_to FROM pages WHERE redirect_to IS NOT NULL)
    ORDER BY p.url`,
};

/** Prepares a report's statement (raw rows) and its column names. */
export function reportStatement(db: Database.Database, name: ReportName): { stmt: Database.Statement; columns: string[] } {
  const stmt = prepareReadOnly(db, REPORT_SQL[name], `report ${name}`);
  const columns = stmt.columns().map((c) => c.name);
  stmt.raw(true);
  return { stmt, columns };
}

/** Streams one report; resolves with the number of rows. */
export async function runReport(args: ReportArgs, out: OutputStream = process.stdout): Promise<number> {
  if (isPostgres(args.db)) {
    return withPgReadOnly(args.db, async (c) => {
      const r = await pgRows(c, REPORT_SQL_PG[args.report]);
      return writeRows(r.rows, r.columns, args.format, out);
    });
  }
  return withReadOnly(args.db, async (db) => {
    const { stmt, columns } = reportStatement(db, args.report);
    return writeRows(stmt.iterate() as Iterable<unknown[]>, columns, args.format, out);
  });
}

/** The yargs module for `crawl report`. */
export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report <report>',
  describe: 'Site audit reports: broken-links, redirects, duplicates, orphans',
  builder: (y: Argv) =>
    addOutputOptions(y)
      .positional('report', { choices: REPORTS, demandOption: true, describe: 'Which report' })
      .example('$0 report broken-links --format csv > broken.csv', 'links to pages that failed')
      .example('$0 report redirects', 'redirect chains, hop counts and loops') as unknown as Argv<ReportArgs>,
  handler: async (args) => {
    await runReport(args);
  },
};
