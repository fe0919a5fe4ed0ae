/**
 * `crawl changes [--since RUN|DATE] [--change new,changed,gone]`: what runs did to pages, from
 * page_runs (view v_changes). `--since 3` means runs with id >= 3 (inclusive); `--since 2026-11-01`
 * (any date Date.parse reads, UTC unless it names a zone) means fetched_at >= that instant.
 * Without --since: the last run.
 */
import type { Argv, CommandModule } from 'yargs';
import { BadInputError } from '../../errors.js';
import type { PageChange } from '../../store/types.js';
import { addOutputOptions, writeRows, type OutputArgs, type OutputStream } from '../output.js';
import { withReadOnly } from '../readonly-db.js';
import { isPostgres, pgRows, withPgReadOnly } from '../pg-readonly.js';
import { numberedParams } from './report-pg.js';

/** Every value of page_runs.change. */
export const CHANGE_KINDS: readonly PageChange[] = ['new', 'changed', 'unchanged', 'gone', 'redirect', 'error', 'disallowed'];

/** Arguments of `crawl changes`. */
export interface ChangesArgs extends OutputArgs {
  /** A run id (runs with id >= it) or a date (fetched_at >= it). @default the last run */
  since?: string | number;
  /** Change kinds to keep, comma-separated (repeatable). @default all */
  change?: string[];
}

/** The WHERE clause and parameters for --since / --change; exported for tests. */
export function changesFilter(args: Pick<ChangesArgs, 'since' | 'change'>): { where: string; params: unknown[] } {
  const conds: string[] = [];
  const params: unknown[] = [];
  const since = args.since === undefined ? '' : String(args.since).trim();
  if (since === '') {
    conds.push('run_id = (SELECT MAX(id) FROM runs)');
  } else if (/^\d+$/.test(since)) {
    conds.push('run_id >= ?');
    params.push(Number(since));
  } else {
    const t = Date.parse(since);
    if (Number.isNaN(t)) {
      throw new BadInputError(`--since ${since}: give a run id (e.g. 3, see crawl runs) or a date (e.g. 2026-11-01 or 2026-11-01T12:00:00Z)`);
    }
    // fetched_at is ISO 8601 UTC text, so string order is time order.
    conds.push('fetched_at >= ?');
    params.push(new Date(t).toISOString());
  }
  const kinds = (args.change ?? []).flatMap((c) => c.split(',')).map((c) => c.trim()).filter((c) => c !== '');
  const bad = kinds.filter((k) => !(CHANGE_KINDS as readonly string[]).includes(k));
  if (bad.length > 0) throw new BadInputError(`--change ${bad.join(',')}: unknown change; choose from ${CHANGE_KINDS.join(', ')}`);
  if (kinds.length > 0) {
    conds.push(`change IN (${kinds.map(() => '?').join(', ')})`);
    params.push(...kinds);
  }
  return { where: conds.join(' AND '), params };
}

/** Streams the matching page_runs rows, oldest run first; resolves with the number of rows. */
export async function runChanges(args: ChangesArgs, out: OutputStream = process.stdout): Promise<number> {
  if (isPostgres(args.db)) {
    const { where, params } = changesFilter(args);
    return withPgReadOnly(args.db, async (c) => {
      const r = await pgRows(c, numberedParams(`SELECT run_id, url, change, status, error_code, fetched_at FROM v_changes WHERE ${where} ORDER BY run_id, url`), params);
      return writeRows(r.rows, r.columns, args.format, out);
    });
  }
  return withReadOnly(args.db, async (db) => {
    const { where, params } = changesFilter(args);
    const stmt = db.prepare(`SELECT run_id, url, change, status, error_code, fetched_at FROM v_changes WHERE ${where} ORDER BY run_id, url`);
    const columns = stmt.columns().map((c) => c.name);
    return writeRows(stmt.iterate(...params) as Iterable<Record<string, unknown>>, columns, args.format, out);
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
