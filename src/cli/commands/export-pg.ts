/**
 * `crawl export` on PostgreSQL: the same --table/--where/--columns/--limit, read in a read-only
 * transaction through a cursor, 1,000 rows at a time, each batch written out before the next is
 * fetched: memory stays flat however large the result (`--format table` excepted: it sizes its
 * columns on every row).
 */
import { BadInputError } from '../../errors.js';
import { writeRows, type OutputStream } from '../output.js';
import { pgRows, withPgReadOnly } from '../pg-readonly.js';
import { quoteIdent } from '../readonly-db.js';
import type { ExportArgs } from './export.js';

/** Internal tables left out of exports (the rest mirror SQLite's). */
const HIDDEN = new Set(['schema_version']);
/** Rows per FETCH: a page row holds its text, so 1,000 of them are a few MB. */
const FETCH_ROWS = 1_000;

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
    return writeRows(cursorRows(c), columns, args.format, out);
  });
}

/** The rows of cursor export_rows, fetched a batch at a time as the writer asks for them. */
async function* cursorRows(c: import('pg').Client): AsyncGenerator<unknown[]> {
  for (;;) {
    const r = await pgRows(c, `FETCH ${FETCH_ROWS} FROM export_rows`);
    if (!r.rows.length) return;
    yield* r.rows;
  }
}
