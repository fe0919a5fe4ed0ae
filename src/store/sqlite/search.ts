/**
 * Full-text search on SQLite: the FTS5 table pages_fts.
 *
 * Ranking, in tiers: pages whose title matches the query (the query run against titles only)
 * come first, fewest title words first, so a page titled exactly the query leads; then the pages
 * that match only in their text. Within a tier, bm25 with the title weighted 5x the text.
 *
 * Why tiers and not a bigger title weight: FTS5's bm25 adds the column weights into one term
 * frequency, which saturates (k1 = 1.2 caps any term's share at 2.2x its IDF), and normalizes by
 * the length of the whole row, title and text together. Measured on a 322-page corpus (test/
 * search-ranking.test.ts): with weight 5, a short page titled exactly the query came 102nd of 302;
 * even with weight 1000, a long reference page titled exactly the query came 102nd, after every
 * other page with the word in a longer title; for `title:word` no weight changes anything.
 */
import type Database from 'better-sqlite3';
import { BadInputError } from '../../errors.js';
import { LIVE_PAGE_SQL } from '../read-sql.js';
import type { SearchHit } from '../reader.js';

/** The FTS5 query syntax, quoted in the error for a bad query. */
export const FTS_SYNTAX_HELP =
  'FTS5 syntax: words match all of them (crawler polite); "exact phrase"; prefix*; a OR b; a NOT b; ' +
  'a AND (b OR c); NEAR(a b, 10); title:word searches titles only. Quote words holding punctuation: "e-mail"';

/** Column weights for bm25(pages_fts, title, text). */
const TITLE_WEIGHT = 5.0;
const TEXT_WEIGHT = 1.0;

/**
 * Runs the search and returns the hits (small: at most `limit` rows): only pages whose latest fetch
 * succeeded (LIVE_PAGE_SQL) unless `all`, which keeps the others, marked `live: false`.
 */
export function searchPages(db: Database.Database, terms: string, limit = 20, all = false): SearchHit[] {
  if (terms.trim() === '') throw new BadInputError(`search terms are empty. ${FTS_SYNTAX_HELP}`);
  if (!Number.isInteger(limit) || limit < 1) throw new BadInputError(`--limit ${limit}: give a whole number of at least 1`);
  // snippet column -1: FTS5 picks the column (title or text) with the best match.
  // `title : (query)` runs the whole query against titles (a column filter inside it narrows further).
  // Title words are counted by spaces: titles are stored whitespace-collapsed.
  const stmt = db.prepare(
    `SELECT p.url AS url, p.title AS title,
            snippet(pages_fts, -1, '[', ']', '…', 16) AS snippet,
            bm25(pages_fts, ${TITLE_WEIGHT}, ${TEXT_WEIGHT}) AS rank, p.status AS status, ${LIVE_PAGE_SQL} AS live,
            pages_fts.rowid IN (SELECT rowid FROM pages_fts WHERE pages_fts MATCH @titleQuery) AS in_title
     FROM pages_fts JOIN pages p ON p.url_id = pages_fts.rowid
     WHERE pages_fts MATCH @terms${all ? '' : ` AND ${LIVE_PAGE_SQL}`}
     ORDER BY in_title DESC,
              CASE WHEN in_title THEN length(p.title) - length(replace(p.title, ' ', '')) END,
              rank, p.url
     LIMIT @limit`,
  );
  try {
    const rows = stmt.all({ terms, titleQuery: `title : (${terms})`, limit }) as (Omit<SearchHit, 'live'> & { in_title?: number; live: number | boolean })[];
    for (const r of rows) {
      delete r.in_title;
      r.live = r.live === 1;
    }
    return rows as SearchHit[];
  } catch (err) {
    const msg = (err as Error).message;
    // fts5 reports syntax errors as "fts5: syntax error near ..."; a word followed by ':' reads as a column filter.
    if (/fts5|no such column|unknown special query|unterminated string/i.test(msg)) {
      throw new BadInputError(`bad search query ${JSON.stringify(terms)}: ${msg}. ${FTS_SYNTAX_HELP}`, { cause: err });
    }
    throw err;
  }
}
