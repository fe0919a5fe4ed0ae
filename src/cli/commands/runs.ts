/** `crawl runs`: the history of crawl runs with their counters, oldest first. */
import type { Argv, CommandModule } from 'yargs';
import { BadInputError } from '../../errors.js';
import { addOutputOptions, writeRows, type OutputArgs, type OutputStream } from '../output.js';
import { withReadOnly } from '../readonly-db.js';
import { isPostgres, pgRows, withPgReadOnly } from '../pg-readonly.js';

/** Arguments of `crawl runs`. */
export interface RunsArgs extends OutputArgs {
  /** Only the last N runs (0: all). @default 0 */
  last: number;
}

/**
 * The runs query. duration_s is ended_at - started_at in seconds (NULL while a run is still
 * running or was killed before it could record its end).
 */
export const RUNS_SQL = `
  SELECT id, started_at, ended_at, status, stop_reason, pages, new_pages AS new, changed, unchanged, gone,
         errors, bytes, ROUND((julianday(ended_at) - julianday(started_at)) * 86400, 1) AS duration_s
  FROM (SELECT * FROM runs ORDER BY id DESC LIMIT ?)
  ORDER BY id`;

/** The runs query on PostgreSQL: the counters are summed over the run's workers (the workers column). */
export const RUNS_SQL_PG = `
  SELECT id, started_at, ended_at, status, stop_reason, workers, pages, new_pages AS new, changed, unchanged, gone,
         errors, bytes, round(extract(epoch FROM (ended_at::timestamptz - started_at::timestamptz))::numeric, 1) AS duration_s
  FROM (SELECT * FROM runs ORDER BY id DESC LIMIT $1) r
  ORDER BY id`;

/** Prints the runs; resolves with the number of rows. */
export async function runRuns(args: RunsArgs, out: OutputStream = process.stdout): Promise<number> {
  const last = args.last ?? 0;
  if (!Number.isInteger(last) || last < 0) throw new BadInputError(`--last ${args.last}: give a whole number (0: all runs)`);
  if (isPostgres(args.db)) {
    return withPgReadOnly(args.db, async (c) => {
      const r = await pgRows(c, RUNS_SQL_PG, [last === 0 ? null : last]);
      return writeRows(r.rows, r.columns, args.format, out);
    });
  }
  return withReadOnly(args.db, async (db) => {
    const stmt = db.prepare(RUNS_SQL);
    const columns = stmt.columns().map((c) => c.name);
    // LIMIT -1 is SQLite for no limit.
    return writeRows(stmt.iterate(last === 0 ? -1 : last) as Iterable<Record<string, unknown>>, columns, args.format, out);
  });
}

/** The yargs module for `crawl runs`. */
export const runsCommand: CommandModule<object, RunsArgs> = {
  command: 'runs',
  describe: 'List crawl runs with their counters (pages, new, changed, unchanged, gone, errors, bytes, duration)',
  builder: (y: Argv) =>
    addOutputOptions(y)
      .option('last', { type: 'number', default: 0, describe: 'Only the last N runs (0: all)' })
      .example('$0 runs --last 5', 'the five most recent runs') as unknown as Argv<RunsArgs>,
  handler: async (args) => {
    await runRuns(args);
  },
};
