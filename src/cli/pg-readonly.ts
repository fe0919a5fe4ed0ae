/**
 * The query commands on a PostgreSQL crawl (--db postgres://…): one connection, one READ ONLY
 * transaction with a statement timeout, always rolled back. The read-only transaction is the
 * guard (PostgreSQL refuses any write in it with SQLSTATE 25006); the timeout keeps a runaway
 * query from holding the shared database.
 */
import pg from 'pg';
import { BadInputError, DatabaseError } from '../errors.js';
import { pgTypes, safeLocation } from '../store/postgres/db.js';
import { leaseParam } from '../store/postgres/backend.js';
import { parseDbLocation } from '../store/factory.js';

/** How long one query command may run on the shared database. */
export const PG_STATEMENT_TIMEOUT = '60s';

/** True when --db names a PostgreSQL database. */
export function isPostgres(db: string): boolean {
  return parseDbLocation(db).kind === 'postgres';
}

/** Runs `fn` in a read-only transaction on `url`; the connection always closes. */
export async function withPgReadOnly<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const location = safeLocation(url);
  const client = new pg.Client({ connectionString: leaseParam(url).connection, application_name: 'crawl-query', types: pgTypes } as pg.ClientConfig);
  // A connection the server cuts is also an 'error' event: unheard, it would crash the process; the query's own error says it.
  client.on('error', () => {});
  try {
    await client.connect();
    const v = await client.query("SELECT to_regclass('schema_version') IS NOT NULL AS ok");
    if (!v.rows[0].ok) throw new BadInputError(`database ${location} has no crawl schema: crawl into it first (crawl --db ${location} --urls seeds.txt)`);
    await client.query('BEGIN READ ONLY');
    await client.query(`SET LOCAL statement_timeout = '${PG_STATEMENT_TIMEOUT}'`);
    return await fn(client);
  } catch (err) {
    if (err instanceof BadInputError || err instanceof DatabaseError) throw err;
    const code = (err as { code?: string }).code ?? '';
    // Class 42 (syntax, unknown column), 22 (data), 25006 (a write in a read-only transaction), 57014 (timeout): the user's SQL.
    if (/^(42|22|25006|57014|2201)/.test(code)) throw new BadInputError(`query failed: ${(err as Error).message}`, { cause: err });
    throw new DatabaseError(`${location}: ${(err as Error).message}${code ? ` (SQLSTATE ${code})` : ''}`, { cause: err });
  } finally {
    await client.query('ROLLBACK').catch(() => {});
    await client.end().catch(() => {});
  }
}

/** Runs `sql` and returns column names and rows as arrays (duplicate column names kept apart). */
export async function pgRows(c: pg.Client, sql: string, params: unknown[] = []): Promise<{ columns: string[]; rows: unknown[][] }> {
  const r = await c.query({ text: sql, values: params, rowMode: 'array' });
  return { columns: r.fields.map((f) => f.name), rows: r.rows as unknown[][] };
}
