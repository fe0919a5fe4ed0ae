/**
 * `crawl search "terms"`: full-text search over page titles and text, title matches first. The
 * engines and their ranking: src/store/sqlite/search.ts (FTS5) and src/store/postgres/search.ts.
 */
import type { Argv, CommandModule } from 'yargs';
import { addOutputOptions, writeRows, type OutputArgs, type OutputStream } from '../output.js';
import { withReader } from '../../store/reader.js';
import { FTS_SYNTAX_HELP } from '../../store/sqlite/search.js';

export { FTS_SYNTAX_HELP, searchPages } from '../../store/sqlite/search.js';
export type { SearchHit } from '../../store/reader.js';

/** Arguments of `crawl search`. */
export interface SearchArgs extends OutputArgs {
  /** An FTS5 query: words, "phrases", prefix*, AND/OR/NOT, NEAR(a b, 5), title:word. */
  terms: string;
  /** Most results shown. @default 20 */
  limit: number;
  /** Also pages whose latest fetch failed or that now redirect, marked by `live` and `status`. @default false */
  all?: boolean;
}

/**
 * Prints url, title and snippet of the best matches: pages whose latest fetch succeeded, or with
 * --all every page, each with its latest status and whether it is live.
 */
export async function runSearch(args: SearchArgs, out: OutputStream = process.stdout): Promise<number> {
  return withReader(args.db, async (r) => {
    const all = args.all ?? false;
    const hits = await r.search(args.terms, args.limit ?? 20, { all });
    const columns = [...(args.format === 'table' ? ['url', 'title', 'snippet'] : ['url', 'title', 'snippet', 'rank']), ...(all ? ['live', 'status'] : [])];
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
      .option('all', {
        type: 'boolean', default: false,
        describe: 'Also pages whose latest fetch failed (4xx/5xx, network error) or that now redirect; columns live and status mark them',
      })
      .example('$0 search "robots NEAR(crawl delay)"', 'pages about crawl delays')
      .example('$0 search \'"site map" OR sitemap*\' --format json', 'a phrase or a prefix')
      .example('$0 search robots --all', 'dead and redirecting pages too, marked') as unknown as Argv<SearchArgs>,
  handler: async (args) => {
    await runSearch(args);
  },
};
