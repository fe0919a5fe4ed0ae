/**
 * `crawl export` on PostgreSQL: the same --table/--where/--columns/--limit, read in a read-only
 * transaction through a cursor. Unlike the SQLite path the rows are collected before they are
 * written (writeRows pulls rows synchronously), so memory grows with the result: for a whole large
 * crawl use --to-sqlite, or narrow with --where / --limit.
 */
import { BadInputError } from '../../errors.js';
import { writeRows, type OutputStream } from '../output.js';
import { pgRows, withPgReadOnly } from '../pg-readonly.js';
import { quoteIdent } from '../readonly-db.js';
import type { ExportArgs } from './export.js';

/** Internal tables left out of exports (the rest mirror SQLite's). */
const HIDDEN = new Set(['schema_version']);

export async function runExportPg(args: ExportArgs, out: OutputStream): Promise<number> {
  return withPgReadOnly(args.db, async (c) => {
    const tables = (await c.query(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()
      ORDER BY table_type, table_name`)).rows.map((r) => r.name as string).filter((n) => !HIDDEN.has(n));
    if (!tables.includes(args.table)) throw new BadInputError(`--table ${args.table}: no such table or view; choose one of ${tables.join(', ')}`);
    const known = (await c.query(`SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema()
      AND table_name = $1 ORDER BY ordinal_position`, [args.table])).rows.map((r) => r.name as string).filter((n) => n !== 'search');
    const wanted = (args.columns ?? []).flatMap((x) => x.split(',')).map((x) => x.trim()).filter((x) => x !== '');
    const unknown = wanted.filter((x) => !known.includes(x));
    if (unknown.length) throw new BadInputError(`--columns: ${args.table} has no column ${unknown.join(', ')}; its columns are ${known.join(', ')}`);
    const columns = wanted.length ? wanted : known;
    let sql = `SELECT ${columns.map(quoteIdent).join(', ')} FROM ${quoteIdent(args.table)}`;
    if (args.where !== undefined && args.where.trim() !== '') sql += ` WHERE (${args.where})`;
    const limit = args.limit ?? 0;
    if (!Number.isInteger(limit) || limit < 0) throw new BadInputError(`--limit ${limit}: give a whole number (0: all rows)`);
    if (limit > 0) sql += ` LIMIT ${limit}`;
    await c.query(`DECLARE export_rows NO SCROLL CURSOR FOR ${sql}`);
    const rows: unknown[][] = [];
    for (;;) {
      const r = await pgRows(c, 'FETCH 5000 FROM export_rows');
      if (!r.rows.length) break;
      rows.push(...r.rows);
    }
    return writeRows(rows, columns, args.format, out);
  });
}
