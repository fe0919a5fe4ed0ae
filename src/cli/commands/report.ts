/**
 * `crawl report broken-links|redirects|duplicates|orphans`: the common site-audit questions,
 * each one SQL statement over the schema's tables and views (src/report/sql.ts), streamed in any
 * output format. `crawl report html` writes all of it, with charts, as one self-contained page.
 */
import type { Argv, CommandModule } from 'yargs';
import { addOutputOptions, writeRows, type OutputArgs, type OutputStream } from '../output.js';
import { SQL_REPORTS, withReader } from '../../store/reader.js';
import { BadInputError } from '../../errors.js';
import { closest } from '../../options/options.js';

export { REPORT_SQL } from '../../store/sqlite/report-sql.js';

/** Report names accepted by `crawl report`. */
export const REPORTS = [...SQL_REPORTS, 'html'] as const;

/** One of {@link REPORTS}. */
export type ReportName = (typeof REPORTS)[number];

/** Arguments of `crawl report`. */
export interface ReportArgs extends OutputArgs {
  report: ReportName;
  /** Where `report html` writes the page ("-": stdout). @default 'report.html' */
  out?: string;
}

/** Checks a report name given on the command line: names the reports and the nearest one. */
export function checkReportName(name: unknown): ReportName {
  const list = REPORTS.join(', ');
  if (typeof name !== 'string' || name === '') {
    throw new BadInputError(`crawl report needs a report name: ${list} (e.g. crawl report broken-links)`);
  }
  if ((REPORTS as readonly string[]).includes(name)) return name as ReportName;
  const best = closest(name, [...REPORTS]);
  throw new BadInputError(`unknown report "${name}"${best ? ` (did you mean "${best}"?)` : ''}; reports: ${list}`);
}

/** Streams one report; resolves with the number of rows (for `html`: the rows in its tables). */
export async function runReport(args: ReportArgs, out: OutputStream = process.stdout): Promise<number> {
  const name = checkReportName(args.report);
  if (name === 'html') {
    const { writeHtmlReport } = await import('../../report/write.js');
    return writeHtmlReport(args.db, args.out ?? 'report.html', out);
  }
  return withReader(args.db, async (r) => {
    const rs = await r.report(name);
    return writeRows(rs.rows, rs.columns, args.format, out);
  });
}

/** The yargs module for `crawl report`. */
export const reportCommand: CommandModule<object, ReportArgs> = {
  // [report], not <report> with choices: a missing or misspelt name gets our message, not yargs'.
  command: 'report [report]',
  describe: 'Site audit reports: broken-links, redirects, duplicates, orphans; html: all of them with charts in one page',
  builder: (y: Argv) =>
    addOutputOptions(y)
      .positional('report', { type: 'string', describe: `Which report: ${REPORTS.join(', ')}` })
      .option('out', { type: 'string', default: 'report.html', describe: 'html only: the file to write ("-": standard output)', group: 'Output' })
      .example('$0 report broken-links --format csv > broken.csv', 'links to pages that failed')
      .example('$0 report redirects', 'redirect chains, hop counts and loops')
      .example('$0 report html --out report.html', 'charts and sortable tables in one self-contained HTML file') as unknown as Argv<ReportArgs>,
  handler: async (args) => {
    await runReport(args);
  },
};
