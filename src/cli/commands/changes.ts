/**
 * `crawl changes [--since RUN|DATE] [--change new,changed,gone]`: what runs did to pages, from
 * page_runs (view v_changes). `--since 3` means runs with id >= 3 (inclusive); `--since 2026-11-01`
 * (any date Date.parse reads, UTC unless it names a zone) means fetched_at >= that instant.
 * Without --since: the last run.
 */
import type { Argv, CommandModule } from 'yargs';
import { addOutputOptions, writeRows, type OutputArgs, type OutputStream } from '../output.js';
import { CHANGE_KINDS, withReader } from '../../store/reader.js';

export { CHANGE_KINDS } from '../../store/reader.js';
export { changesFilter } from '../../store/read-sql.js';

/** Arguments of `crawl changes`. */
export interface ChangesArgs extends OutputArgs {
  /** A run id (runs with id >= it) or a date (fetched_at >= it). @default the last run */
  since?: string | number;
  /** Change kinds to keep, comma-separated (repeatable). @default all */
  change?: string[];
}

/** Streams the matching page_runs rows, oldest run first; resolves with the number of rows. */
export async function runChanges(args: ChangesArgs, out: OutputStream = process.stdout): Promise<number> {
  return withReader(args.db, async (r) => {
    const rs = await r.changes(args);
    return writeRows(rs.rows, rs.columns, args.format, out);
  });
}

/** The yargs module for `crawl changes`. */
export const changesCommand: CommandModule<object, ChangesArgs> = {
  command: 'changes',
  describe: 'Pages that were new, changed, unchanged, gone, ... in recent runs',
  builder: (y: Argv) =>
    addOutputOptions(y)
      .option('since', { type: 'string', describe: 'Run id (runs with id >= it) or date (fetched_at >= it); default: the last run' })
      .option('change', { type: 'string', array: true, describe: `Keep only these kinds, comma-separated: ${CHANGE_KINDS.join(', ')}` })
      .example('$0 changes --since 3 --change new,gone', 'pages that appeared or disappeared since run 3')
      .example('$0 changes --since 2026-11-01 --format csv', 'every change since a date') as unknown as Argv<ChangesArgs>,
  handler: async (args) => {
    await runChanges(args);
  },
};
