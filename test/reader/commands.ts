/**
 * The read contract's commands: each one's --format json output on the fixture (test/query-fixture.ts)
 * is recorded in ./golden/ (written by the SQLite build before the read side became a port) and must
 * come out the same on every backend, but for the differences each entry names.
 */

/** How a backend's answer may differ from the recorded one. */
export type Difference =
  /** None: the same JSON. */
  | 'none'
  /** Rows in another order (a statement without ORDER BY: each engine's storage order). */
  | 'order'
  /** PostgreSQL's runs have a `workers` column (the processes that took part). */
  | 'workers'
  /** Same pages in the same order; snippets and rank differ (FTS5 bm25 vs ts_rank_cd, each engine's snippet). */
  | 'ranking'
  /**
   * The same pages, each engine's order: pages that match in their text only are ranked by bm25
   * (FTS5) or ts_rank_cd (PostgreSQL), which weigh term frequency and length differently.
   */
  | 'matches';

export interface ContractCommand {
  /** File name in ./golden/. */
  name: string;
  args: string[];
  /** The PostgreSQL form of the args, when the syntax differs (search). */
  pgArgs?: string[];
  pg: Difference;
}

export const COMMANDS: ContractCommand[] = [
  { name: 'runs', args: ['runs'], pg: 'workers' },
  { name: 'runs-last', args: ['runs', '--last', '1'], pg: 'workers' },
  { name: 'stats', args: ['stats'], pg: 'workers' },
  { name: 'stats-run1', args: ['stats', '--run', '1', '--top', '2'], pg: 'workers' },
  { name: 'changes', args: ['changes'], pg: 'none' },
  { name: 'changes-since', args: ['changes', '--since', '1'], pg: 'none' },
  { name: 'changes-date-kinds', args: ['changes', '--since', '2026-11-02', '--change', 'new,gone'], pg: 'none' },
  { name: 'report-broken-links', args: ['report', 'broken-links'], pg: 'none' },
  { name: 'report-redirects', args: ['report', 'redirects'], pg: 'none' },
  { name: 'report-duplicates', args: ['report', 'duplicates'], pg: 'none' },
  { name: 'report-orphans', args: ['report', 'orphans'], pg: 'none' },
  { name: 'search-robots', args: ['search', 'robots'], pg: 'ranking' },
  { name: 'search-title', args: ['search', 'title:robots'], pg: 'ranking' },
  { name: 'search-phrase', args: ['search', '"polite crawler"'], pg: 'ranking' },
  { name: 'search-or', args: ['search', 'sitemap OR obey'], pgArgs: ['search', 'sitemap or obey'], pg: 'matches' },
  { name: 'search-not', args: ['search', 'robots NOT sitemap'], pgArgs: ['search', 'robots -sitemap'], pg: 'ranking' },
  { name: 'search-prefix', args: ['search', 'fetch*'], pg: 'ranking' },
  { name: 'export-pages', args: ['export', '--table', 'pages', '--columns', 'url_id,url,status,title,error_code,bytes', '--format', 'json'], pg: 'order' },
  { name: 'export-where', args: ['export', '--where', 'status >= 300', '--columns', 'url,status,redirect_to', '--format', 'json'], pg: 'order' },
  { name: 'export-errors', args: ['export', '--table', 'v_errors', '--format', 'json'], pg: 'order' },
  { name: 'export-links', args: ['export', '--table', 'v_broken_links', '--format', 'json', '--limit', '100'], pg: 'order' },
  { name: 'query', args: ['query', 'SELECT host, count(*) AS n, sum(bytes) AS bytes FROM pages GROUP BY host ORDER BY host'], pg: 'none' },
];
