/**
 * `crawl worker --db postgres://…`: joins the run in progress on a shared database and crawls with
 * the run's own options (limits, scope, politeness), so every worker obeys the same rules. It never
 * starts a run: with no unfinished run it says so and exits 0 (nothing to do is not a failure, e.g.
 * for a worker started by a scheduler after the run ended); with --wait it polls until one starts.
 */
import type { CommandModule } from 'yargs';
import { BadInputError } from '../../errors.js';
import type { ResolvedOptions } from '../../options/options.js';
import { parseDb } from '../../store/location.js';
import { EVENTS, Logger } from '../../log/logger.js';
import { runCrawlCommandWith } from './crawl.js';

interface WorkerArgs { db?: string; wait?: boolean; 'log-format'?: string; quiet?: boolean; verbose?: boolean; progress?: boolean }

/** How often `crawl worker --wait` looks for a run to join. */
export const WAIT_POLL_MS = 1_000;

/** The options a run recorded (runs.options), as the crawl takes them; `db` is this worker's URL. */
export function optionsOfRun(optionsJson: string, db: string, local: Partial<ResolvedOptions>): ResolvedOptions {
  const o = JSON.parse(optionsJson) as ResolvedOptions & { include: unknown[]; exclude: unknown[] };
  const pattern = (p: unknown) => {
    const s = String(p);
    const m = /^\/(.*)\/([a-z]*)$/s.exec(s);
    return m ? new RegExp(m[1], m[2]) : new RegExp(s);
  };
  return {
    ...o, ...local, db, seeds: [], urls: undefined, fresh: false,
    include: (o.include ?? []).map(pattern), exclude: (o.exclude ?? []).map(pattern),
  };
}

/**
 * Reads the options of the run to join, or null when there is none (with `wait`: polls until one
 * starts). Throws bad input when the database is not a shared one.
 */
export async function runToJoin(db: string, wait = false, note: (message: string) => void = (m) => process.stderr.write(`crawl: note: ${m}\n`)): Promise<string | null> {
  if (parseDb(db).kind !== 'postgres') {
    throw new BadInputError(`--db ${db}: crawl worker joins a run on a shared database; give a postgres:// URL`);
  }
  const { openBackend } = await import('../../store/factory.js');
  const backend = await openBackend(db);
  try {
    for (let polls = 0; ; polls++) {
      const last = await backend.lastRun();
      if (last && (last.status === 'running' || last.status === 'interrupted')) return last.options;
      if (!wait) {
        note(`${backend.location}: no run in progress to join; start one with crawl --urls FILE --db ${backend.location}, or wait for one with crawl worker --wait`);
        return null;
      }
      if (polls === 0) note(`${backend.location}: no run in progress yet; waiting for one to start (Ctrl-C to stop)`);
      await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
    }
  } finally {
    await backend.close();
  }
}

export const workerCommand: CommandModule<object, WorkerArgs> = {
  command: 'worker',
  describe: 'Join the crawl in progress on a PostgreSQL database, with the run\'s own options',
  builder: (y) => y
    .option('db', { type: 'string', demandOption: true, describe: 'postgres://user@host:port/dbname of the shared crawl' })
    .option('wait', { type: 'boolean', describe: 'With no run in progress, wait for one to start (default: say so and exit 0)' })
    .option('log-format', { type: 'string', choices: ['plain', 'json'], describe: 'Log lines as text or JSON [default: plain]' })
    .option('quiet', { type: 'boolean', describe: 'Only errors' })
    .option('verbose', { type: 'boolean', describe: 'A line per page' })
    .option('progress', { type: 'boolean', describe: 'Progress bar on a terminal [default: true]' })
    .example('crawl worker --db postgres://crawler@db.internal/crawl', 'one more machine on the running crawl'),
  handler: async (argv) => {
    if ((argv as { help?: boolean }).help) return;
    const db = argv.db!;
    // Notes as the crawl's own (a JSON line with --log-format json); --quiet leaves them out.
    const log = new Logger({ format: argv['log-format'] === 'json' ? 'json' : 'plain', level: argv.quiet ? 'error' : 'info' });
    const note = (message: string) => log.event('info', EVENTS.notice, { message }, `crawl: note: ${message}`);
    const optionsJson = await runToJoin(db, argv.wait === true, note);
    if (optionsJson === null) return;
    const local: Partial<ResolvedOptions> = {};
    if (argv['log-format'] !== undefined) local.logFormat = argv['log-format'] as 'plain' | 'json';
    if (argv.quiet !== undefined) local.quiet = argv.quiet;
    if (argv.verbose !== undefined) local.verbose = argv.verbose;
    if (argv.progress !== undefined) local.progress = argv.progress;
    process.exitCode = await runCrawlCommandWith(optionsOfRun(optionsJson, db, local));
  },
};
