/** Full-text search on PostgreSQL: the pages.search tsvector, queried through ./tsquery.ts. */
import type pg from 'pg';
import { BadInputError } from '../../errors.js';
import { LIVE_PAGE_SQL } from '../read-sql.js';
import type { SearchHit } from '../reader.js';
import { tsqueryOf } from './tsquery.js';

/** The PostgreSQL query syntax (./tsquery.ts), quoted in messages. */
export const PG_SEARCH_SYNTAX_HELP =
  'PostgreSQL syntax (web search): words match all of them; "exact phrase"; a or b; -word excludes; pre* prefix; ' +
  'title:word. No NEAR or AND/NOT keywords (FTS5 only); a bad query never fails, it matches less';

/**
 * Search on PostgreSQL: the pages.search tsvector (title weight A, text B). As on SQLite
 * (../sqlite/search.ts), pages with every searched word in the title come first, fewest title words
 * first (counted by spaces, as there), then the others; best ts_rank_cd first within each.
 * `rank` is negated so that, as with bm25, lower is better; snippets mark matches with [ and ].
 * Only pages whose latest fetch succeeded (LIVE_PAGE_SQL) unless `all`.
 */
export async function searchPagesPg(c: pg.ClientBase, terms: string, limit = 20, all = false): Promise<SearchHit[]> {
  if (terms.trim() === '') throw new BadInputError(`search terms are empty. ${PG_SEARCH_SYNTAX_HELP}`);
  if (!Number.isInteger(limit) || limit < 1) throw new BadInputError(`--limit ${limit}: give a whole number of at least 1`);
  const query = tsqueryOf(terms);
  if (query === null) return []; // no word in it (only punctuation): nothing can match
  const r = await c.query(
    `WITH q AS (SELECT $1::tsquery AS q, $3::tsquery AS qt),
     hits AS (SELECT p.url_id, p.url, p.title, p.text, -ts_rank_cd('{0.1, 0.2, 0.2, 1.0}', p.search, q.q) AS rank, p.search @@ q.qt AS in_title, q.q,
         CASE WHEN p.search @@ q.qt THEN length(p.title) - length(replace(p.title, ' ', '')) END AS title_words,
         p.status, ${LIVE_PAGE_SQL} AS live
       FROM pages p, q WHERE p.search @@ q.q${all ? '' : ` AND ${LIVE_PAGE_SQL}`} ORDER BY in_title DESC, title_words, rank, p.url LIMIT $2)
     SELECT url, title, rank::float8 AS rank, status, live,
       ts_headline('simple', coalesce(title, '') || ' — ' || coalesce(text, ''), q,
         'StartSel=[, StopSel=], MaxWords=16, MinWords=6, ShortWord=2, FragmentDelimiter=…, MaxFragments=1') AS snippet
     FROM hits ORDER BY in_title DESC, title_words, rank, url`, [query, limit, tsqueryOf(terms, true)]);
  return r.rows as SearchHit[];
}
