/**
 * `crawl worker --db postgres://…`: joins the run in progress on a shared database and crawls with
 * the run's own options (limits, scope, politeness), so every worker obeys the same rules. It never
 * starts a run: with no unfinished run it stops with bad input (exit 2).
 */
import type { CommandModule } from 'yargs';
import { BadInputError } from '../../errors.js';
import type { ResolvedOptions } from '../../options.js';
import { openBackend, parseDbLocation } from '../../store/factory.js';
import { runCrawlCommandWith } from './crawl.js';

interface WorkerArgs { db?: string; 'log-format'?: string; quiet?: boolean; verbose?: boolean; progress?: boolean }

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

/** Reads the run to join; throws bad input when there is none or the database is not shared. */
export async function runToJoin(db: string): Promise<string> {
  if (parseDbLocation(db).kind !== 'postgres') {
    throw new BadInputError(`--db ${db}: crawl worker joins a run on a shared database; give a postgres:// URL`);
  }
  const backend = await openBackend(db);
  try {
    const last = await backend.lastRun();
    if (!last || (last.status !== 'running' && last.status !== 'interrupted')) {
      throw new BadInputError(`${backend.location}: no run in progress to join; start one with crawl --urls FILE --db ${backend.location}`);
    }
    return last.options;
  } finally {
    await backend.close();
  }
}

export const workerCommand: CommandModule<object, WorkerArgs> = {
  command: 'worker',
  describe: 'Join the crawl in progress on a PostgreSQL database, with the run\'s own options',
  builder: (y) => y
    .option('db', { type: 'string', demandOption: true, describe: 'postgres://user@host:port/dbname of the shared crawl' })
    .option('log-format', { type: 'string', choices: ['plain', 'json'], describe: 'Log lines as text or JSON [default: plain]' })
    .option('quiet', { type: 'boolean', describe: 'Only errors' })
    .option('verbose', { type: 'boolean', describe: 'A line per page' })
    .option('progress', { type: 'boolean', describe: 'Progress bar on a terminal [default: true]' })
    .example('crawl worker --db postgres://crawler@db.internal/crawl', 'one more machine on the running crawl'),
  handler: async (argv) => {
    if ((argv as { help?: boolean }).help) return;
    const db = argv.db!;
    const optionsJson = await runToJoin(db);
    const local: Partial<ResolvedOptions> = {};
    if (argv['log-format'] !== undefined) local.logFormat = argv['log-format'] as 'plain' | 'json';
    if (argv.quiet !== undefined) local.quiet = argv.quiet;
    if (argv.verbose !== undefined) local.verbose = argv.verbose;
    if (argv.progress !== undefined) local.progress = argv.progress;
    process.exitCode = await runCrawlCommandWith(optionsOfRun(optionsJson, db, local));
  },
};
