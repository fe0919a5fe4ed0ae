/**
 * Connections, transactions and migrations of the PostgreSQL backend. Credentials come from the URL,
 * PGPASSWORD, ~/.pgpass or the PG* variables (the pg client reads them); `safeLocation` is the URL
 * without its password, the only form that may appear in messages.
 */
import pg from 'pg';
import { DatabaseError } from '../../errors.js';
import { PG_MIGRATIONS } from './schema.js';

/** SQLSTATEs worth retrying the whole transaction for: deadlock, serialization failure. */
const RETRY_CODES = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 8;
/** Serializes migrations and run starts across processes. */
export const MIGRATE_LOCK = 7_340_001;
export const RUN_LOCK = 7_340_002;

/** int8 and numeric as numbers: ids, counters and ms times all fit in 2^53. */
export const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 || oid === 1700) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/** The URL without its password (for messages and Backend.location). */
export function safeLocation(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '';
    return u.toString().replace(/:@/, '@');
  } catch {
    return 'postgres://…';
  }
}

export function openPool(url: string, max = 4): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, types: pgTypes, application_name: 'crawl' } as pg.PoolConfig);
  pool.on('error', () => { /* an idle client lost its connection: the next query reconnects */ });
  return pool;
}

/** A DatabaseError naming the database (never its password) and the SQLSTATE. */
export function pgError(location: string, err: unknown): Error {
  if (err instanceof DatabaseError) return err;
  const e = err as { message?: string; code?: string };
  return new DatabaseError(`${location}: ${e.message ?? String(err)}${e.code ? ` (SQLSTATE ${e.code})` : ''}`, { cause: err });
}

/**
 * Runs `fn` in one transaction, retried from the start on deadlock or serialization failure (two
 * workers locking host rows at once; statements lock them in host order, but retry anyway).
 */
export async function inTx<T>(pool: pg.Pool, location: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let client: pg.PoolClient;
    try { client = await pool.connect(); } catch (err) { throw pgError(location, err); }
    try {
      await client.query('BEGIN');
      const v = await fn(client);
      await client.query('COMMIT');
      client.release();
      return v;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      client.release();
      const code = (err as { code?: string }).code;
      if (code && RETRY_CODES.has(code) && attempt < MAX_ATTEMPTS) {
        await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
        continue;
      }
      throw pgError(location, err);
    }
  }
}

/** Brings the schema up to date, one migration per version, under an advisory lock. */
export async function migrate(pool: pg.Pool, location: string): Promise<void> {
  await inTx(pool, location, async (c) => {
    await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATE_LOCK]);
    await c.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const r = await c.query('SELECT version FROM schema_version');
    let v = r.rows.length ? (r.rows[0].version as number) : 0;
    if (!r.rows.length) await c.query('INSERT INTO schema_version VALUES (0)');
    if (v > PG_MIGRATIONS.length) throw new DatabaseError(`${location}: schema version ${v} is newer than this build (${PG_MIGRATIONS.length}); upgrade crawl`);
    for (; v < PG_MIGRATIONS.length; v++) {
      const step = PG_MIGRATIONS[v];
      if (typeof step === 'string') await c.query(step);
      else await step(c);
      await c.query('UPDATE schema_version SET version = $1', [v + 1]);
    }
  });
}
