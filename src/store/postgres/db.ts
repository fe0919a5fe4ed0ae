/**
 * Connections, transactions and migrations of the PostgreSQL backend. Credentials come from the URL,
 * PGPASSWORD, ~/.pgpass or the PG* variables (the pg client reads them); `safeLocation` is the URL
 * without its password, the only form that may appear in messages.
 */
import pg from 'pg';
import { DatabaseError } from '../../errors.js';
import { PG_MIGRATIONS } from './schema.js';

/**
 * SQLSTATEs worth retrying the whole transaction for: deadlock, serialization failure, and a lock
 * not granted within lock_timeout (a worker stopped while holding it loses it soon: clock.ts).
 */
const RETRY_CODES = new Set(['40P01', '40001', '55P03']);
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

/** Statement texts prepared on one connection at most; beyond them, statements go unnamed. */
const MAX_PREPARED = 256;

/**
 * A client that runs each statement with parameters as a named prepared statement, parsed and
 * planned once per connection: a crawler runs a few dozen statements over and over (a claim's five,
 * a write's dozen). Measured on the 10k-page bench: the server's CPU per page 0.45–0.46 → 0.38–0.39 ms.
 */
class PreparingClient extends pg.Client {
  private readonly names = new Map<string, string>();

  override query(...args: any[]): any { // pg's overloads, passed through
    const [text, values] = args;
    if (typeof text === 'string' && Array.isArray(values)) {
      let name = this.names.get(text);
      if (name === undefined && this.names.size < MAX_PREPARED) this.names.set(text, name = `crawl_${this.names.size}`);
      if (name !== undefined) args = [{ name, text, values }, ...args.slice(2)];
    }
    return (pg.Client.prototype.query as (...a: unknown[]) => unknown).apply(this, args);
  }
}

/** Sessions are named `crawl <pid>` (and `crawl-heartbeat <pid>`): pg_stat_activity shows which worker holds what. */
export function openPool(url: string, max = 4, name = 'crawl'): pg.Pool {
  // keepAlive: a server cut off without a reset (a partition) is noticed by the socket, not never.
  const pool = new pg.Pool({ Client: PreparingClient, connectionString: url, max, types: pgTypes, application_name: `${name} ${process.pid}`, keepAlive: true } as pg.PoolConfig);
  pool.on('error', () => { /* an idle client lost its connection: the next query reconnects */ });
  return pool;
}

/** A DatabaseError naming the database (never its password) and the SQLSTATE. */
export function pgError(location: string, err: unknown): Error {
  if (err instanceof DatabaseError) return err;
  const e = err as { message?: string; code?: string };
  // The pg client's words for a server that asks for a password (SCRAM) when none was given.
  if (/client password must be a string/.test(e.message ?? '')) {
    return new DatabaseError(`${location}: the server asks for a password and none was given: set PGPASSWORD, add a line to ~/.pgpass, or put it in the URL (postgres://USER:PASSWORD@HOST/DBNAME)`, { cause: err });
  }
  // SQLSTATEs are five characters; the rest are the socket's (ECONNREFUSED: nothing listens there).
  const code = !e.code ? '' : /^[0-9A-Z]{5}$/.test(e.code) ? ` (SQLSTATE ${e.code})` : e.code === 'ECONNREFUSED'
    ? ': is the PostgreSQL server running, and listening on that host and port?' : ` (${e.code})`;
  return new DatabaseError(`${location}: ${e.message ?? String(err)}${code}`, { cause: err });
}

/**
 * How long a lost server is waited for (a restart, a failover, a network blip) before the crawl
 * stops with the error: calls are retried with a growing pause meanwhile.
 */
export const RECONNECT_FOR_MS = 60_000;

/**
 * A prepared statement's result columns changed under it (a newer build's migration redefined a view
 * or table it reads with `*`): the server refuses it on that connection until it is prepared again.
 * The connection is dropped (a new one prepares afresh) and the call retried.
 */
export function planChanged(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e.code === '0A000' && /cached plan must not change result type/.test(e.message ?? '');
}

/**
 * The connection was lost or the server cannot take it now: class 08 (connection exception),
 * 57P01-57P03 (shut down by an administrator, crash, starting up), 25P03 (the session sat idle in a
 * transaction past its limit: this process was stopped or starved), or the socket failing.
 */
export function connectionLost(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (e.code && /^(08|57P0[1-3]|25P03$|ECONNREFUSED$|ECONNRESET$|EPIPE$|ETIMEDOUT$|EHOSTUNREACH$)/.test(e.code)) return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(e.message ?? '');
}

/**
 * Runs `fn` again while the server is unreachable, up to RECONNECT_FOR_MS. Retrying a whole
 * transaction is safe even when the lost one did commit: a write is accepted only for claims its
 * owner still holds (a second try finds them done and rejects them), claims left by a lost answer
 * return when their lease runs out, and every other call is idempotent.
 */
export async function reconnecting<T>(location: string, fn: () => Promise<T>): Promise<T> {
  const giveUpAt = Date.now() + RECONNECT_FOR_MS;
  let replanned = false;
  for (let pause = 100; ; pause = Math.min(pause * 2, 2_000)) {
    try {
      return await fn();
    } catch (err) {
      if (planChanged(err) && !replanned) { replanned = true; continue; } // pg-pool dropped that connection
      if (!connectionLost(err) || Date.now() + pause > giveUpAt) throw pgError(location, err);
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}

/**
 * Runs `fn` in one transaction, retried from the start on deadlock or serialization failure (two
 * workers locking host rows at once; statements lock them in host order, but retry anyway), and
 * while the connection is lost (reconnecting).
 */
export function inTx<T>(pool: pg.Pool, location: string, fn: (c: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  return reconnecting(location, () => oneTx(pool, fn, begin));
}

/** Checked-out clients that have an 'error' listener (pg-pool listens only while a client is idle). */
const guarded = new WeakSet<pg.PoolClient>();

async function oneTx<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    // The server cutting the connection between two statements is an 'error' event on the client,
    // which would crash the process unheard; the next statement then fails and is retried.
    if (!guarded.has(client)) { client.on('error', () => {}); guarded.add(client); }
    try {
      await client.query(begin);
      const v = await fn(client);
      await client.query('COMMIT');
      client.release();
      return v;
    } catch (err) {
      // A client whose connection broke is discarded (release(err)), not handed out again.
      const lost = connectionLost(err), stale = planChanged(err);
      if (!lost) await client.query('ROLLBACK').catch(() => {});
      client.release(lost || stale ? (err as Error) : undefined);
      const code = (err as { code?: string }).code;
      if (((code && RETRY_CODES.has(code)) || stale) && attempt < MAX_ATTEMPTS) {
        await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
        continue;
      }
      throw err;
    }
  }
}

/**
 * Brings the schema up to date, one migration per version, under an advisory lock. Not retried on a
 * lost connection: a server that cannot be reached when the crawl starts is an error at once (a
 * wrong host or port should not make the user wait).
 */
export async function migrate(pool: pg.Pool, location: string): Promise<void> {
  await oneTx(pool, async (c) => {
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
