/**
 * `crawl export [--table pages] [--where SQL] [--columns a,b]`: streams a whole table or view with
 * constant memory (rows are pulled one at a time, from SQLite or a PostgreSQL cursor, and written
 * in chunks). `--to-sqlite FILE` copies a PostgreSQL crawl into a new SQLite file instead.
 */
import type { Argv, CommandModule } from 'yargs';
import { addOutputOptions, writeRows, type OutputArgs, type OutputStream } from '../output.js';
import { withReader } from '../../store/reader.js';

/** Arguments of `crawl export`. */
export interface ExportArgs extends OutputArgs {
  /** Table or view to export. @default 'pages' */
  table: string;
  /** SQL condition, e.g. "status >= 400"; runs on the read-only connection. */
  where?: string;
  /** Comma-separated column list (repeatable). @default every column */
  columns?: string[];
  /** Most rows written (0: all). @default 0 */
  limit: number;
  /** Copy a PostgreSQL crawl (--db postgres://…) into this new SQLite file instead of writing rows. */
  'to-sqlite'?: string;
}

/** Streams the rows (or, with --to-sqlite, copies the crawl); resolves with the number written. */
export async function runExport(args: ExportArgs, out: OutputStream = process.stdout): Promise<number> {
  if (args['to-sqlite'] !== undefined) {
    const file = args['to-sqlite'];
    const counts = await withReader(args.db, (r) => r.copyToSqlite(file));
    process.stderr.write(`crawl: copied ${Object.entries(counts).map(([t, n]) => `${n} ${t}`).join(', ')} into ${file}\n`);
    return counts.pages ?? 0;
  }
  return withReader(args.db, async (r) => {
    const rs = await r.exportRows(args);
    return writeRows(rs.rows, rs.columns, args.format, out);
  });
}

/** The yargs module for `crawl export`. */
export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export',
  describe: 'Stream a table or view as jsonl (default), csv, json or table, with constant memory',
  builder: (y: Argv) =>
    addOutputOptions(y, 'jsonl')
      .option('table', { type: 'string', default: 'pages', describe: 'Table or view: pages, urls, links, runs, page_runs, frontier, robots, v_links, v_broken_links, v_errors, v_redirects, v_changes' })
      .option('where', { type: 'string', describe: 'SQL condition on that table, e.g. "status >= 400"' })
      .option('columns', { type: 'string', array: true, describe: 'Columns to write, comma-separated (default: all)' })
      .option('limit', { type: 'number', default: 0, describe: 'Most rows written (0: all)' })
      .option('to-sqlite', { type: 'string', describe: 'Copy a PostgreSQL crawl (--db postgres://…) into this new SQLite file, for offline use' })
      .example('$0 export --table v_errors --format csv > errors.csv', 'every failed page as CSV')
      .example('$0 export --where "status >= 400" --columns url,status,error_code', 'failed pages as JSON lines')
      .example('$0 export --db postgres://crawler@db/crawl --to-sqlite crawl.db', 'a PostgreSQL crawl as a SQLite file') as unknown as Argv<ExportArgs>,
  handler: async (args) => {
    await runExport(args);
  },
};
