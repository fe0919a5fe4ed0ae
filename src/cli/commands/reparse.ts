/**
 * `crawl reparse`: parses the archived (WARC) responses of the last run again, e.g. with a new
 * --extract, without fetching anything; a thin layer over src/reparse/reparse.ts.
 */
import type { Argv, CommandModule } from 'yargs';
import { BadInputError } from '../../errors.js';
import type { ReparseSummary } from '../../reparse/reparse.js';

/** Arguments of `crawl reparse`. */
export interface ReparseArgs {
  /** SQLite database of a crawl run with --warc. @default 'data/crawl.db' */
  db: string;
  /** Extractor module. @default the last run's --extract */
  extract?: string;
  /** WARC directory. @default the last run's --warc */
  warc?: string;
  /** Parse worker threads. @default the last run's --workers */
  workers?: number;
}

/** The summary line printed at the end. */
export function summaryLine(s: ReparseSummary): string {
  return `reparsed ${s.reparsed} pages (${s.changed} changed content), skipped ${s.truncated} truncated, ${s.missing} missing and ${s.skipped} other records${s.extractFailed ? `; the extractor failed on ${s.extractFailed} pages` : ''} in ${(s.elapsedMs / 1000).toFixed(1)} s`;
}

/** Runs the reparse and prints its summary on stderr (as the crawl does). */
export async function runReparse(args: ReparseArgs): Promise<ReparseSummary> {
  if (args.workers !== undefined && (!Number.isInteger(args.workers) || args.workers < 1 || args.workers > 64)) {
    throw new BadInputError(`--workers ${args.workers}: give a whole number from 1 to 64`);
  }
  const { reparse } = await import('../../reparse/reparse.js');
  const s = await reparse({ db: args.db, extract: args.extract, warc: args.warc, workers: args.workers });
  process.stderr.write(`crawl: ${summaryLine(s)}\n`);
  return s;
}

/** The yargs module for `crawl reparse`. */
export const reparseCommand: CommandModule<object, ReparseArgs> = {
  command: 'reparse',
  describe: 'Parse the archived (--warc) responses again, e.g. with a new --extract, without fetching anything',
  builder: (y: Argv) =>
    y
      .option('db', { type: 'string', default: 'data/crawl.db', describe: 'SQLite database of a crawl run with --warc' })
      .option('extract', { type: 'string', describe: 'Extractor module (default: the one the last run used)' })
      .option('warc', { type: 'string', describe: 'WARC directory (default: the last run\'s --warc)' })
      .option('workers', { type: 'number', describe: 'Parse worker threads (default: the last run\'s)' })
      .example('$0 reparse --db data/site.db --extract ./extractor.mjs', 'fill pages.extract from the archive') as unknown as Argv<ReparseArgs>,
  handler: async (args) => {
    await runReparse(args);
  },
};
