/** `crawl query "SELECT ..." [params..]`: any read-only SQL over the crawl database. */
import type { Argv, CommandModule } from 'yargs';
import { BadInputError } from '../../errors.js';
import { addOutputOptions, uniqueColumns, writeRows, type OutputArgs, type OutputStream } from '../output.js';
import { withReader } from '../../store/reader.js';

/** Arguments of `crawl query`. */
export interface QueryArgs extends OutputArgs {
  /** One SQL statement that reads (SELECT, WITH, read-only PRAGMA, EXPLAIN). */
  sql: string;
  /** Values bound to `?` placeholders, in order. */
  params?: (string | number)[];
  /** Named values `name=value` bound to `:name` / `@name` / `$name` placeholders. */
  param?: string[];
}

/**
 * Runs one read-only statement and streams its rows. Writes are refused before running (SQLite:
 * prepareReadOnly; PostgreSQL: a READ ONLY transaction); numeric-looking parameter values are bound as numbers.
 */
export async function runQuery(args: QueryArgs, out: OutputStream = process.stdout): Promise<number> {
  return withReader(args.db, async (r) => {
    const rs = await r.query(args.sql, (args.params ?? []).map(paramValue), parseNamed(args.param ?? []));
    return writeRows(rs.rows, uniqueColumns(rs.columns), args.format, out);
  });
}

/** `123` and `1.5` bind as numbers (LIMIT ? needs one); everything else as text. */
function paramValue(v: string | number): string | number {
  return typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
}

function parseNamed(pairs: string[]): Record<string, string | number> {
  const o: Record<string, string | number> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new BadInputError(`bad --param "${p}": write name=value, e.g. --param status=404 for :status in the SQL`);
    o[p.slice(0, eq).replace(/^[:@$]/, '')] = paramValue(p.slice(eq + 1));
  }
  return o;
}

/** The yargs module for `crawl query`. */
export const queryCommand: CommandModule<object, QueryArgs> = {
  command: 'query <sql> [params..]',
  describe: 'Run one read-only SQL statement over the crawl database',
  builder: (y: Argv) =>
    addOutputOptions(y)
      .positional('sql', { type: 'string', describe: 'SQL statement (SELECT, WITH, PRAGMA, EXPLAIN); writes are refused', demandOption: true })
      .positional('params', { type: 'string', array: true, describe: 'values for ? placeholders, in order' })
      .option('param', { type: 'string', array: true, describe: 'named value name=value for :name placeholders (repeatable)' })
      .example('$0 query "SELECT status, COUNT(*) n FROM pages GROUP BY status"', 'pages per HTTP status')
      .example('$0 query "SELECT url FROM pages WHERE status = ?" 404 --format csv', 'a positional parameter') as unknown as Argv<QueryArgs>,
  handler: async (args) => {
    await runQuery(args);
  },
};
