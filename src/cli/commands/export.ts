/**
 * `crawl export [--table pages] [--where SQL] [--columns a,b]`: streams a whole table or view with
 * constant memory (rows are pulled one at a time from SQLite and written in chunks).
 */
import type Database from 'better-sqlite3';
import type { Argv, CommandModule } from 'yargs';
import { BadInputError } from '../../errors.js';
import { addOutputOptions, writeRows, type OutputArgs, type OutputStream } from '../output.js';
import { prepareReadOnly, quoteIdent, withReadOnly } from '../readonly-db.js';
import { isPostgres } from '../pg-readonly.js';
import { exportToSqlite } from '../to-sqlite.js';
import { runExportPg } from './export-pg.js';

/** Arguments of `crawl export`. */
export interface ExportArgs extends OutputArgs {
  /** Table or view to export. @default 'pages' */
  table: string;
  /** SQL condition, e.g. "status >= 400"; runs on the read-only connection. */
  where?: string;
  /** Comma-separated column list (repeatable). @default every column */
  columns?: string[];
  /** Most rows written (0: all). @default 0 */
  limit: number;
  /** Copy a PostgreSQL crawl (--db postgres://…) into this new SQLite file instead of writing rows. */
  'to-sqlite'?: string;
}

/** Tables and views the user may export (FTS5 shadow tables and SQLite internals left out). */
export function exportableTables(db: Database.Database): string[] {
  const rows = db
    .prepare(
      `SELECT name FROM sqlite_master WHERE type IN ('table', 'view')
         AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'pages_fts_%' ORDER BY type, name`,
    )
    .all() as { name: string }[];
  return rows.map((r) => r.name);
}

/** Builds the validated SELECT for an export; exported for tests. */
export function exportStatement(db: Database.Database, args: Pick<ExportArgs, 'table' | 'where' | 'columns' | 'limit'>): {
  stmt: Database.Statement;
  columns: string[];
} {
  const tables = exportableTables(db);
  if (!tables.includes(args.table)) {
    throw new BadInputError(`--table ${args.table}: no such table or view; choose one of ${tables.join(', ')}`);
  }
  const known = (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(args.table) as { name: string }[]).map((r) => r.name);
  const wanted = (args.columns ?? []).flatMap((c) => c.split(',')).map((c) => c.trim()).filter((c) => c !== '');
  const unknown = wanted.filter((c) => !known.includes(c));
  if (unknown.length > 0) {
    throw new BadInputError(`--columns: ${args.table} has no column ${unknown.join(', ')}; its columns are ${known.join(', ')}`);
  }
  const columns = wanted.length > 0 ? wanted : known;
  let sql = `SELECT ${columns.map(quoteIdent).join(', ')} FROM ${quoteIdent(args.table)}`;
  if (args.where !== undefined && args.where.trim() !== '') sql += ` WHERE (${args.where})`;
  const limit = args.limit ?? 0;
  if (!Number.isInteger(limit) || limit < 0) throw new BadInputError(`--limit ${limit}: give a whole number (0: all rows)`);
  if (limit > 0) sql += ` LIMIT ${limit}`;
  const stmt = prepareReadOnly(db, sql, args.where ? `--where "${args.where}"` : 'export');
  stmt.raw(true);
  return { stmt, columns };
}

/** Streams the rows; resolves with the number written. */
export async function runExport(args: ExportArgs, out: OutputStream = process.stdout): Promise<number> {
  if (args['to-sqlite'] !== undefined) {
    if (!isPostgres(args.db)) throw new BadInputError('--to-sqlite copies a PostgreSQL crawl: give --db postgres://…');
    const counts = await exportToSqlite(args.db, args['to-sqlite']);
    process.stderr.write(`crawl: copied ${Object.entries(counts).map(([t, n]) => `${n} ${t}`).join(', ')} into ${args['to-sqlite']}\n`);
    return counts.pages ?? 0;
  }
  if (isPostgres(args.db)) return runExportPg(args, out);
  return withReadOnly(args.db, async (db) => {
    const { stmt, columns } = exportStatement(db, args);
    try {
      return await writeRows(stmt.iterate() as Iterable<unknown[]>, columns, args.format, out);
    } catch (err) {
      if (((err as { code?: string }).code ?? '').startsWith('SQLITE_')) {
        throw new BadInputError(`export failed (check --where): ${(err as Error).message}`, { cause: err });
      }
      throw err;
    }
  });
}

/** The yargs module for `crawl export`. */
export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export',
  describe: 'Stream a table or view as jsonl (default), csv, json or table, with constant memory',
  builder: (y: Argv) =>
    addOutputOptions(y, 'jsonl')
      .option('table', { type: 'string', default: 'pages', describe: 'Table or view: pages, urls, links, runs, page_runs, frontier, robots, v_links, v_broken_links, v_errors, v_redirects, v_changes' })
      .option('where', { type: 'string', describe: 'SQL condition on that table, e.g. "status >= 400"' })
      .option('columns', { type: 'string', array: true, describe: 'Columns to write, comma-separated (default: all)' })
      .option('limit', { type: 'number', default: 0, describe: 'Most rows written (0: all)' })
      .option('to-sqlite', { type: 'string', describe: 'Copy a PostgreSQL crawl (--db postgres://…) into this new SQLite file, for offline use' })
      .example('$0 export --table v_errors --format csv > errors.csv', 'every failed page as CSV')
      .example('$0 export --where "status >= 400" --columns url,status,error_code', 'failed pages as JSON lines')
      .example('$0 export --db postgres://crawler@db/crawl --to-sqlite crawl.db', 'a PostgreSQL crawl as a SQLite file') as unknown as Argv<ExportArgs>,
  handler: async (args) => {
    await runExport(args);
  },
};
