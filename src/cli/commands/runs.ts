/** `crawl runs`: the history of crawl runs with their counters, oldest first. */
import type { Argv, CommandModule } from 'yargs';
import { BadInputError } from '../../errors.js';
import { addOutputOptions, writeRows, type OutputArgs, type OutputStream } from '../output.js';
import { withReader } from '../../store/reader.js';

/** Arguments of `crawl runs`. */
export interface RunsArgs extends OutputArgs {
  /** Only the last N runs (0: all). @default 0 */
  last: number;
}

/**
 * Prints the runs, oldest first; resolves with the number of rows. duration_s is ended_at -
 * started_at in seconds (NULL while a run is still running or was killed before it could record
 * its end); on PostgreSQL a workers column counts the processes that took part.
 */
export async function runRuns(args: RunsArgs, out: OutputStream = process.stdout): Promise<number> {
  const last = args.last ?? 0;
  if (!Number.isInteger(last) || last < 0) throw new BadInputError(`--last ${args.last}: give a whole number (0: all runs)`);
  return withReader(args.db, async (r) => {
    const rs = await r.runs(last);
    return writeRows(rs.rows, rs.columns, args.format, out);
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
