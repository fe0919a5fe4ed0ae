/**
 * `crawl stats [--run N]`: one run's summary and the state of the pages table, in sections.
 * Without --run: the last run's row, and every page in the database (each page's last fetch).
 * With --run N: run N's row, and only the pages whose last fetch was in run N (pages.run_id = N);
 * per-run history of every page lives in page_runs (see `crawl changes`).
 */
import type { Argv, CommandModule } from 'yargs';
import { BadInputError } from '../../errors.js';
import { addOutputOptions, writeSections, type OutputArgs, type OutputStream } from '../output.js';
import { withReader } from '../../store/reader.js';

/** Arguments of `crawl stats`. */
export interface StatsArgs extends OutputArgs {
  /** Run id to summarise. @default the last run */
  run?: number;
  /** Rows in the top-hosts sections. @default 10 */
  top: number;
}

/** Prints the stats sections in the chosen format. */
export async function runStats(args: StatsArgs, out: OutputStream = process.stdout): Promise<void> {
  const top = args.top ?? 10;
  if (!Number.isInteger(top) || top < 1) throw new BadInputError(`--top ${args.top}: give a whole number of at least 1`);
  if (args.run !== undefined && !Number.isInteger(args.run)) throw new BadInputError(`--run ${args.run}: give a run id (see crawl runs)`);
  await withReader(args.db, async (r) => writeSections(await r.stats(args.run, top), args.format, out));
}

/** The yargs module for `crawl stats`. */
export const statsCommand: CommandModule<object, StatsArgs> = {
  command: 'stats',
  describe: 'Summarise the last run (or --run N): statuses, content types, hosts, errors, sizes, durations, depths',
  builder: (y: Argv) =>
    addOutputOptions(y)
      .option('run', { type: 'number', describe: 'Run id (default: the last run); per-page sections then cover pages last fetched in that run' })
      .option('top', { type: 'number', default: 10, describe: 'Rows in the top-hosts sections' })
      .example('$0 stats --format json', 'all sections as one JSON object') as unknown as Argv<StatsArgs>,
  handler: async (args) => {
    await runStats(args);
  },
};
