/**
 * The default command: `crawl --urls seeds.txt [options]`. Only the option definitions load with
 * the command line; the crawler itself is imported when a crawl runs (`crawl --help` and the query
 * commands do not pay for it).
 */
import type { Argv, CommandModule } from 'yargs';
import { OPTION_SPECS, defaultLabel, flagName, resolveOptions, type OptionSpec, type ResolvedOptions } from '../../options/options.js';
import { BadInputError, EXIT } from '../../errors.js';
import { loadConfig } from '../config.js';
import type { SeedScan } from '../../frontier/seeds.js';
import { Logger } from '../../log/logger.js';
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
  let opts = resolveOptions(merged, 'command line');
  // Seeds: --urls on the command line; otherwise the config file's "urls" (a seed file) and
  // "seeds" (a list of URLs) together.
  const configSeeds = flags.urls === undefined && config.file ? await configSeedList(config.values.seeds, config.file, opts) : [];
  if (!opts.urls && configSeeds.length === 0) {
    throw new BadInputError('missing --urls FILE: give a seed file with one URL per line (or - for stdin), e.g. crawl --urls seeds/example.txt, or "seeds": [URL, ...] in the config file');
  }
  // Every line of a seed file is checked before the database is touched; the crawl then streams it again.
  const { scanSeedFile } = await import('../../frontier/seeds.js');
  const scan = opts.urls ? await scanSeedFile(opts.urls, { stripParams: opts.stripParams }, opts.maxUrlLength) : undefined;
  opts = { ...opts, seeds: configSeeds };
  return runCrawlCommandWith(opts, scan);
}

/** Runs a crawl with resolved options as the CLI does (logs, progress, signals); resolves to the exit code. */
export async function runCrawlCommandWith(opts: ResolvedOptions, scan?: SeedScan): Promise<number> {
  const [{ runCrawl }, { ProgressBar }, { printSummary }] = await Promise.all([
    import('../../crawler/crawl.js'), import('../../log/progress.js'), import('../../log/summary.js')]);
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
        log.event('info', EVENTS.start, { run: i.runId, resumed: i.resumed, joined: i.joined, seeds: i.seeds, db: i.db }, i.joined
          ? `crawl: joining run ${i.runId}, which other workers are crawling, in ${i.db}`
          : `crawl: ${i.resumed ? 'resuming' : 'starting'} run ${i.runId} with ${i.seeds} seed${i.seeds === 1 ? '' : 's'} into ${i.db}`);
        for (const n of i.notices) log.event('error', EVENTS.notice, { message: n }, `crawl: note: ${n}`);
      },
      onHostDown: (d) => log.event('error', EVENTS.hostDown, { host: d.host, code: d.code, message: d.message }, `crawl: ${d.message}`),
      onProgress: bar ? (p) => bar.update(p) : undefined,
      onPage: log.enabled('debug') ? (p) => log.event('debug', EVENTS.page, { url: p.url, status: p.status, change: p.change, depth: p.depth, bytes: p.bytes, ms: Math.round(p.durationMs), error: p.errorCode }) : undefined,
    }, scan);
    bar?.stop();
    printSummary(log, summary);
    return summary.exitCode;
  } finally {
    bar?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The config file's "seeds", normalized; each bad one is named with the file. */
async function configSeedList(value: unknown, file: string, opts: ResolvedOptions): Promise<string[]> {
  if (value === undefined) return [];
  const { normalizeSeeds } = await import('../../crawler/crawl.js');
  if (!Array.isArray(value) || value.some((s) => typeof s !== 'string')) {
    throw new BadInputError(`${file}: "seeds" must be a list of URLs, e.g. "seeds": ["https://example.com/"] (a seed file goes in "urls")`);
  }
  try {
    return normalizeSeeds(value as string[], { stripParams: opts.stripParams });
  } catch (err) {
    throw new BadInputError(`${file}: "seeds": ${(err as Error).message}`);
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
