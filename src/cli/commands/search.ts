/**
 * `crawl search "terms"`: full-text search over page titles and text (FTS5 table pages_fts).
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
import type { Argv, CommandModule } from 'yargs';
import { BadInputError } from '../../errors.js';
import { addOutputOptions, writeRows, type OutputArgs, type OutputStream } from '../output.js';
import { withReadOnly } from '../readonly-db.js';
import { isPostgres, withPgReadOnly } from '../pg-readonly.js';
import { tsqueryOf } from '../../store/postgres/tsquery.js';

/** Arguments of `crawl search`. */
export interface SearchArgs extends OutputArgs {
  /** An FTS5 query: words, "phrases", prefix*, AND/OR/NOT, NEAR(a b, 5), title:word. */
  terms: string;
  /** Most results shown. @default 20 */
  limit: number;
}

/** One search hit. `snippet` marks matched words with [ and ]. */
export interface SearchHit {
  url: string;
  title: string | null;
  snippet: string;
  /** bm25 score within the hit's tier (title matches first, see the file comment): lower is better (FTS5 convention). */
  rank: number;
}

/** The FTS5 query syntax, quoted in the error for a bad query. */
export const FTS_SYNTAX_HELP =
  'FTS5 syntax: words match all of them (crawler polite); "exact phrase"; prefix*; a OR b; a NOT b; ' +
  'a AND (b OR c); NEAR(a b, 10); title:word searches titles only. Quote words holding punctuation: "e-mail"';

/** Column weights for bm25(pages_fts, title, text). */
const TITLE_WEIGHT = 5.0;
const TEXT_WEIGHT = 1.0;

/** Runs the search and returns the hits (small: at most `limit` rows). */
export function searchPages(db: Database.Database, terms: string, limit = 20): SearchHit[] {
  if (terms.trim() === '') throw new BadInputError(`search terms are empty. ${FTS_SYNTAX_HELP}`);
  if (!Number.isInteger(limit) || limit < 1) throw new BadInputError(`--limit ${limit}: give a whole number of at least 1`);
  // snippet column -1: FTS5 picks the column (title or text) with the best match.
  // `title : (query)` runs the whole query against titles (a column filter inside it narrows further).
  // Title words are counted by spaces: titles are stored whitespace-collapsed.
  const stmt = db.prepare(
    `SELECT p.url AS url, p.title AS title,
            snippet(pages_fts, -1, '[', ']', '…', 16) AS snippet,
            bm25(pages_fts, ${TITLE_WEIGHT}, ${TEXT_WEIGHT}) AS rank,
            pages_fts.rowid IN (SELECT rowid FROM pages_fts WHERE pages_fts MATCH @titleQuery) AS in_title
     FROM pages_fts JOIN pages p ON p.url_id = pages_fts.rowid
     WHERE pages_fts MATCH @terms
     ORDER BY in_title DESC,
              CASE WHEN in_title THEN length(p.title) - length(replace(p.title, ' ', '')) END,
              rank, p.url
     LIMIT @limit`,
  );
  try {
    const rows = stmt.all({ terms, titleQuery: `title : (${terms})`, limit }) as (SearchHit & { in_title?: number })[];
    for (const r of rows) delete r.in_title;
    return rows;
  } catch (err) {
    const msg = (err as Error).message;
    // fts5 reports syntax errors as "fts5: syntax error near ..."; a word followed by ':' reads as a column filter.
    if (/fts5|no such column|unknown special query|unterminated string/i.test(msg)) {
      throw new BadInputError(`bad search query ${JSON.stringify(terms)}: ${msg}. ${FTS_SYNTAX_HELP}`, { cause: err });
    }
    throw err;
  }
}

/** The PostgreSQL query syntax (src/store/postgres/tsquery.ts), quoted in messages. */
export const PG_SEARCH_SYNTAX_HELP =
  'PostgreSQL syntax (web search): words match all of them; "exact phrase"; a or b; -word excludes; pre* prefix; ' +
  'title:word. No NEAR or AND/NOT keywords (FTS5 only); a bad query never fails, it matches less';

/**
 * Search on PostgreSQL: the pages.search tsvector (title weight A, text B). As on SQLite, pages with
 * every searched word in the title come first, then the others, best ts_rank_cd first within each.
 * `rank` is negated so that, as with bm25, lower is better; snippets mark matches with [ and ].
 */
export async function searchPagesPg(c: import('pg').Client, terms: string, limit = 20): Promise<SearchHit[]> {
  if (terms.trim() === '') throw new BadInputError(`search terms are empty. ${PG_SEARCH_SYNTAX_HELP}`);
  if (!Number.isInteger(limit) || limit < 1) throw new BadInputError(`--limit ${limit}: give a whole number of at least 1`);
  const query = tsqueryOf(terms);
  if (query === null) return []; // no word in it (only punctuation): nothing can match
  const r = await c.query(
    `WITH q AS (SELECT $1::tsquery AS q, $3::tsquery AS qt),
     hits AS (SELECT p.url_id, p.url, p.title, p.text, -ts_rank_cd('{0.1, 0.2, 0.2, 1.0}', p.search, q.q) AS rank, p.search @@ q.qt AS in_title, q.q
       FROM pages p, q WHERE p.search @@ q.q ORDER BY in_title DESC, rank, p.url LIMIT $2)
     SELECT url, title, rank::float8 AS rank,
       ts_headline('simple', coalesce(title, '') || ' — ' || coalesce(text, ''), q,
         'StartSel=[, StopSel=], MaxWords=16, MinWords=6, ShortWord=2, FragmentDelimiter=…, MaxFragments=1') AS snippet
     FROM hits ORDER BY in_title DESC, rank, url`, [query, limit, tsqueryOf(terms, true)]);
  return r.rows as SearchHit[];
}

/** Prints url, title and snippet of the best matches. */
export async function runSearch(args: SearchArgs, out: OutputStream = process.stdout): Promise<number> {
  if (isPostgres(args.db)) {
    return withPgReadOnly(args.db, async (c) => {
      const hits = await searchPagesPg(c, args.terms, args.limit ?? 20);
      const columns = args.format === 'table' ? ['url', 'title', 'snippet'] : ['url', 'title', 'snippet', 'rank'];
      return writeRows(hits as unknown as Record<string, unknown>[], columns, args.format, out, { maxCell: 100 });
    });
  }
  return withReadOnly(args.db, async (db) => {
    const hits = searchPages(db, args.terms, args.limit ?? 20);
    const columns = args.format === 'table' ? ['url', 'title', 'snippet'] : ['url', 'title', 'snippet', 'rank'];
    return writeRows(hits as unknown as Record<string, unknown>[], columns, args.format, out, { maxCell: 100 });
  });
}

/** The yargs module for `crawl search`. */
export const searchCommand: CommandModule<object, SearchArgs> = {
  command: 'search <terms>',
  describe: 'Full-text search over page titles and text, best matches first',
  builder: (y: Argv) =>
    addOutputOptions(y)
      .positional('terms', { type: 'string', demandOption: true, describe: FTS_SYNTAX_HELP })
      .option('limit', { type: 'number', default: 20, describe: 'Most results shown' })
      .example('$0 search "robots NEAR(crawl delay)"', 'pages about crawl delays')
      .example('$0 search \'"site map" OR sitemap*\' --format json', 'a phrase or a prefix') as unknown as Argv<SearchArgs>,
  handler: async (args) => {
    await runSearch(args);
  },
};
