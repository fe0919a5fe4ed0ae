/** The default command: `crawl --urls seeds.txt [options]`. */
import type { Argv, CommandModule } from 'yargs';
import { OPTION_SPECS, defaultLabel, flagName, resolveOptions, type OptionSpec, type ResolvedOptions } from '../../options.js';
import { EXIT } from '../../errors.js';
import { runCrawl } from '../../crawler/crawl.js';
import { loadConfig } from '../config.js';
import { readSeedFile } from '../seeds.js';
import { Logger } from '../../log/logger.js';
import { ProgressBar } from '../../log/progress.js';
import { printSummary } from '../../log/summary.js';
import { EVENTS } from '../../log/logger.js';

type CrawlArgs = Record<string, unknown> & { config?: string };

/** Adds every crawl option from OPTION_SPECS (no yargs defaults: unset flags must not override a config file). */
export function addCrawlOptions(y: Argv): Argv {
  for (const spec of OPTION_SPECS) {
    y = y.option(flagName(spec.key), {
      alias: spec.alias,
      group: `${spec.group}:`,
      describe: `${spec.describe} [default: ${defaultLabel(spec)}]`,
      ...yargsType(spec),
    });
  }
  return y.option('config', { group: 'Input and output:', type: 'string', describe: 'JSON config file with any of these options (flags override it) [default: ./crawl.config.json if present]' });
}

function yargsType(spec: OptionSpec): Record<string, unknown> {
  switch (spec.type) {
    case 'boolean': return { type: 'boolean' };
    case 'list': return { type: 'string', array: true };
    case 'choice': return { type: 'string', choices: spec.choices };
    default: return { type: 'string', requiresArg: true };
  }
}

/** Runs the crawl command; resolves to the exit code. */
export async function runCrawlCommand(argv: CrawlArgs): Promise<number> {
  const config = loadConfig(argv.config);
  if (config.file) resolveOptions(config.values, config.file); // report config mistakes against the file
  const flags: Record<string, unknown> = {};
  for (const spec of OPTION_SPECS) if (argv[spec.key] !== undefined) flags[spec.key] = argv[spec.key];
  const merged = { ...config.values, ...flags };
  let opts: ResolvedOptions = resolveOptions(merged, 'command line');
  if (!opts.urls) {
    const { BadInputError } = await import('../../errors.js');
    throw new BadInputError('missing --urls FILE: give a seed file with one URL per line (or - for stdin), e.g. crawl --urls seeds/example.txt');
  }
  const seeds = readSeedFile(opts.urls, { stripParams: opts.stripParams }, opts.maxUrlLength);
  opts = { ...opts, seeds };
  return runCrawlCommandWith(opts);
}

/** Runs a crawl with resolved options as the CLI does (logs, progress, signals); resolves to the exit code. */
export async function runCrawlCommandWith(opts: ResolvedOptions): Promise<number> {
  const log = new Logger({ format: opts.logFormat, level: opts.quiet ? 'error' : opts.verbose ? 'debug' : 'info' });
  const showProgress = opts.progress && !opts.quiet && !opts.verbose && opts.logFormat === 'plain' && Boolean(process.stderr.isTTY);
  const bar = showProgress ? new ProgressBar(log) : null;
  const ac = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      bar?.stop();
      log.event('error', EVENTS.stopping, { signal: sig }, `crawl: ${sig}: finishing in-flight pages (up to 10s), then saving; press Ctrl-C again to quit at once`);
      ac.abort('signal');
    } else {
      // SQLite rolls back any open transaction; everything committed stays (resume with the same command).
      process.exit(EXIT.INTERRUPTED);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const summary = await runCrawl(opts, {
      signal: ac.signal,
      onStart: (i) => {
        log.event('info', EVENTS.start, { run: i.runId, resumed: i.resumed, seeds: i.seeds, db: i.db },
          `crawl: ${i.resumed ? 'resuming' : 'starting'} run ${i.runId} with ${i.seeds} seed${i.seeds === 1 ? '' : 's'} into ${i.db}`);
        for (const n of i.notices) log.event('error', EVENTS.notice, { message: n }, `crawl: note: ${n}`);
      },
      onProgress: bar ? (p) => bar.update(p) : undefined,
      onPage: log.enabled('debug') ? (p) => log.event('debug', EVENTS.page, { url: p.url, status: p.status, change: p.change, depth: p.depth, bytes: p.bytes, ms: Math.round(p.durationMs), error: p.errorCode }) : undefined,
    });
    bar?.stop();
    printSummary(log, summary);
    return summary.exitCode;
  } finally {
    bar?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export const crawlCommand: CommandModule<object, CrawlArgs> = {
  command: '$0',
  describe: 'Crawl from seed URLs into a SQLite database (resumes an interrupted run, refreshes a finished one)',
  builder: (y) => addCrawlOptions(y)
    .example('crawl --urls seeds/example.txt', 'crawl the seeds\' hosts into data/crawl.db')
    .example('crawl --urls seeds.txt --db data/docs.db --scope domain --max-pages 5000', 'a bounded crawl of whole domains')
    .example('crawl --urls seeds.txt --recrawl-after 6h --log-format json', 'from cron: refetch what is older than 6 hours') as Argv<CrawlArgs>,
  handler: async (argv) => {
    if (argv.help || argv.version) return; // yargs printed it; with exitProcess(false) it still calls the handler
    process.exitCode = await runCrawlCommand(argv);
  },
};
