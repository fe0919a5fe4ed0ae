/**
 * `crawl stats [--run N]`: one run's summary and the state of the pages table, in sections.
 * Without --run: the last run's row, and every page in the database (each page's last fetch).
 * With --run N: run N's row, and only the pages whose last fetch was in run N (pages.run_id = N);
 * per-run history of every page lives in page_runs (see `crawl changes`).
 */
import type Database from 'better-sqlite3';
import type { Argv, CommandModule } from 'yargs';
import { BadInputError } from '../../errors.js';
import { addOutputOptions, writeSections, type OutputArgs, type OutputStream, type Section } from '../output.js';
import { withReadOnly } from '../readonly-db.js';
import { isPostgres, withPgReadOnly } from '../pg-readonly.js';
import { collectStatsPg } from './stats-pg.js';

/** Arguments of `crawl stats`. */
export interface StatsArgs extends OutputArgs {
  /** Run id to summarise. @default the last run */
  run?: number;
  /** Rows in the top-hosts sections. @default 10 */
  top: number;
}

/** Collects the stats sections (also used by tests and by the lead's end-of-crawl summary if wanted). */
export function collectStats(db: Database.Database, runId?: number, top = 10): Section[] {
  const run = db
    .prepare(
      `SELECT id, started_at, ended_at, status, stop_reason, resumes, pages, requests, new_pages AS new, changed, unchanged,
              gone, redirects, errors, disallowed, skipped, bytes,
              ROUND((julianday(ended_at) - julianday(started_at)) * 86400, 1) AS duration_s
       FROM runs WHERE id = COALESCE(?, (SELECT MAX(id) FROM runs))`,
    )
    .get(runId ?? null) as Record<string, unknown> | undefined;
  if (runId !== undefined && !run) {
    const ids = db.prepare('SELECT MIN(id) lo, MAX(id) hi FROM runs').get() as { lo: number | null; hi: number | null };
    throw new BadInputError(`--run ${runId}: no such run (${ids.lo === null ? 'the database has no runs' : `runs ${ids.lo}..${ids.hi} exist`}; see crawl runs)`);
  }
  // One filter for every per-page section: all pages, or those last fetched in run N.
  const where = runId === undefined ? '1' : 'run_id = @run';
  const p = { run: runId ?? null };
  const all = (sql: string): Record<string, unknown>[] => {
    const stmt = db.prepare(sql);
    return (sql.includes('@run') ? stmt.all(p) : stmt.all()) as Record<string, unknown>[];
  };
  const runColumns = run ? Object.keys(run) : ['id'];
  return [
    { name: 'run', title: runId === undefined ? 'Last run' : `Run ${runId}`, columns: runColumns, rows: run ? [run] : [], single: true },
    {
      name: 'totals', title: 'Totals', single: true,
      columns: ['pages', 'hosts', 'bytes', 'urls_known', 'links', 'queued'],
      rows: all(`SELECT (SELECT COUNT(*) FROM pages WHERE ${where}) AS pages,
                        (SELECT COUNT(DISTINCT host) FROM pages WHERE ${where}) AS hosts,
                        (SELECT COALESCE(SUM(bytes), 0) FROM pages WHERE ${where}) AS bytes,
                        (SELECT COUNT(*) FROM urls) AS urls_known,
                        (SELECT COUNT(*) FROM links) AS links,
                        (SELECT COUNT(*) FROM frontier WHERE state = 0) AS queued`),
    },
    {
      name: 'status_classes', title: 'Pages by status class', columns: ['class', 'pages'],
      rows: all(`SELECT CASE WHEN status IS NULL THEN 'none' ELSE (status / 100) || 'xx' END AS class, COUNT(*) AS pages
                 FROM pages WHERE ${where} GROUP BY 1 ORDER BY 1`),
    },
    {
      name: 'status_codes', title: 'Pages by status code', columns: ['status', 'pages'],
      rows: all(`SELECT status, COUNT(*) AS pages FROM pages WHERE ${where} GROUP BY status ORDER BY status`),
    },
    {
      name: 'content_types', title: 'Content types', columns: ['content_type', 'pages', 'bytes'],
      // Parameters (; charset=...) stripped so text/html variants count together.
      rows: all(`SELECT lower(trim(CASE WHEN instr(content_type, ';') > 0 THEN substr(content_type, 1, instr(content_type, ';') - 1)
                                        ELSE content_type END)) AS content_type, COUNT(*) AS pages, SUM(bytes) AS bytes
                 FROM pages WHERE ${where} GROUP BY 1 ORDER BY pages DESC, 1`),
    },
    {
      name: 'top_hosts', title: `Top ${top} hosts by pages`, columns: ['host', 'pages', 'errors', 'bytes'],
      rows: all(`SELECT host, COUNT(*) AS pages, SUM(error_code IS NOT NULL OR status >= 400) AS errors, SUM(bytes) AS bytes
                 FROM pages WHERE ${where} GROUP BY host ORDER BY pages DESC, host LIMIT ${top}`),
    },
    {
      name: 'top_error_hosts', title: `Top ${top} hosts by errors`, columns: ['host', 'errors', 'pages'],
      rows: all(`SELECT host, SUM(error_code IS NOT NULL OR status >= 400) AS errors, COUNT(*) AS pages
                 FROM pages WHERE ${where} GROUP BY host HAVING errors > 0 ORDER BY errors DESC, host LIMIT ${top}`),
    },
    {
      name: 'error_codes', title: 'Errors by code', columns: ['error_code', 'pages'],
      rows: all(`SELECT error_code, COUNT(*) AS pages FROM pages WHERE error_code IS NOT NULL AND ${where}
                 GROUP BY error_code ORDER BY pages DESC, error_code`),
    },
    {
      name: 'durations', title: 'Fetch durations (ms, nearest rank)', single: true,
      columns: ['fetches', 'min', 'median', 'p95', 'max', 'avg'],
      rows: all(`WITH d AS (SELECT duration_ms AS ms, ROW_NUMBER() OVER (ORDER BY duration_ms) AS rn, COUNT(*) OVER () AS n
                            FROM pages WHERE duration_ms IS NOT NULL AND ${where})
                 SELECT COUNT(*) AS fetches, MIN(ms) AS min, MAX(CASE WHEN rn = (n + 1) / 2 THEN ms END) AS median,
                        MAX(CASE WHEN rn = (n * 95 + 99) / 100 THEN ms END) AS p95, MAX(ms) AS max, CAST(ROUND(AVG(ms)) AS INTEGER) AS avg
                 FROM d`),
    },
    {
      name: 'depths', title: 'Pages by depth', columns: ['depth', 'pages'],
      rows: all(`SELECT depth, COUNT(*) AS pages FROM pages WHERE ${where} GROUP BY depth ORDER BY depth`),
    },
  ];
}

/** Prints the stats sections in the chosen format. */
export async function runStats(args: StatsArgs, out: OutputStream = process.stdout): Promise<void> {
  const top = args.top ?? 10;
  if (!Number.isInteger(top) || top < 1) throw new BadInputError(`--top ${args.top}: give a whole number of at least 1`);
  if (args.run !== undefined && !Number.isInteger(args.run)) throw new BadInputError(`--run ${args.run}: give a run id (see crawl runs)`);
  if (isPostgres(args.db)) {
    await withPgReadOnly(args.db, async (c) => writeSections(await collectStatsPg(c, args.run, top), args.format, out));
    return;
  }
  await withReadOnly(args.db, (db) => writeSections(collectStats(db, args.run, top), args.format, out));
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
