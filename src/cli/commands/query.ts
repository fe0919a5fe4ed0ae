/** `crawl query "SELECT ..." [params..]`: any read-only SQL over the crawl database. */
import type { Argv, CommandModule } from 'yargs';
import { BadInputError } from '../../errors.js';
import { addOutputOptions, uniqueColumns, writeRows, type OutputArgs, type OutputStream } from '../output.js';
import { prepareReadOnly, withReadOnly } from '../readonly-db.js';
import { isPostgres, pgRows, withPgReadOnly } from '../pg-readonly.js';

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
 * Runs one read-only statement and streams its rows. Writes are refused before running
 * (see prepareReadOnly); numeric-looking parameter values are bound as numbers.
 */
export async function runQuery(args: QueryArgs, out: OutputStream = process.stdout): Promise<number> {
  if (isPostgres(args.db)) {
    // PostgreSQL: $1, $2 … placeholders; a READ ONLY transaction with a statement timeout refuses writes.
    if (args.param?.length) throw new BadInputError('--param (named parameters) is for SQLite; on PostgreSQL use $1, $2 … with positional values');
    return withPgReadOnly(args.db, async (c) => {
      const r = await pgRows(c, args.sql, (args.params ?? []).map(paramValue));
      return writeRows(r.rows, uniqueColumns(r.columns), args.format, out);
    });
  }
  return withReadOnly(args.db, async (db) => {
    const stmt = prepareReadOnly(db, args.sql, 'SQL');
    const positional = (args.params ?? []).map(paramValue);
    const named = parseNamed(args.param ?? []);
    const bind: unknown[] = Object.keys(named).length > 0 ? [...positional, named] : positional;
    const columns = uniqueColumns(stmt.columns().map((c) => c.name));
    stmt.raw(true);
    try {
      return await writeRows(stmt.iterate(...bind) as Iterable<unknown[]>, columns, args.format, out);
    } catch (err) {
      // Errors raised while stepping (bad bindings, fts5 syntax, runtime SQL errors) are the user's SQL.
      const code = (err as { code?: string }).code ?? '';
      if (err instanceof RangeError || err instanceof TypeError || code.startsWith('SQLITE_')) {
        throw new BadInputError(`query failed: ${(err as Error).message}`, { cause: err });
      }
      throw err;
    }
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
