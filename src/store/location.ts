/**
 * `--db`, parsed once: every command, the config loader, the crawl and `crawl worker` ask
 * {@link parseDb} which database a value names, so the same string means the same thing everywhere.
 *
 * - a file path, or `sqlite:FILE` (`sqlite:///abs/path` and `sqlite://rel/path` as in SQLAlchemy): SQLite;
 * - `memory:` (optionally `memory:NAME`): a throwaway in-memory crawl;
 * - `postgres://user@host:port/dbname` (or `postgresql://`): a crawl shared by many workers.
 *
 * A PostgreSQL URL may hold a password: `display` is the URL without it, the only form that may
 * appear in messages, logs or runs.options. Malformed values are bad input (exit 2), found here
 * before anything connects or creates a file (a URL mistaken for a file name would otherwise
 * become a file whose name holds the password).
 */
import { BadInputError } from '../errors.js';

/** Where a crawl lives. */
export type DbLocation =
  | { kind: 'file'; path: string; display: string }
  | { kind: 'memory'; name: string; display: string }
  | {
    kind: 'postgres';
    /** The URL as given (with its password and crawl_ parameters): what the backend connects with. */
    url: string;
    /** The URL without the crawl_ parameters the pg client does not know. */
    connection: string;
    /** The URL without its password. */
    display: string;
  };

/** `postgres://user:secret@host/db` as `postgres://user@host/db`; also inside longer text, and in URLs too broken to parse. */
export function redactPassword(text: string): string {
  return text.replace(/(postgres(?:ql)?:(?:\/\/?)?[^:@/\s]*):[^@\s]*@/gi, '$1@');
}

/** Parses a --db value; throws BadInputError (exit 2) for a malformed one. */
export function parseDb(db: string): DbLocation {
  if (/^postgres(ql)?:/i.test(db)) return parsePostgres(db);
  if (/^memory:/i.test(db)) {
    const name = db.slice('memory:'.length);
    return { kind: 'memory', name, display: db };
  }
  if (/^sqlite:/i.test(db)) {
    const rest = db.slice('sqlite:'.length);
    const file = rest.startsWith('//') ? rest.slice(2) : rest;
    if (!file) throw new BadInputError(`--db ${db}: give a file after sqlite:, e.g. sqlite:data/crawl.db`);
    return { kind: 'file', path: file, display: file };
  }
  if (db === '') throw new BadInputError('--db needs a value: a SQLite file, memory: or a postgres:// URL');
  return { kind: 'file', path: db, display: db };
}

const PG_FORM = 'write it as postgres://USER@HOST:PORT/DBNAME (the password from PGPASSWORD or ~/.pgpass, or postgres://USER:PASSWORD@HOST/DBNAME)';

function parsePostgres(db: string): DbLocation {
  const shown = redactPassword(db);
  if (!/^postgres(ql)?:\/\//i.test(db)) throw new BadInputError(`--db ${shown}: not a PostgreSQL URL; ${PG_FORM}`);
  let u: URL;
  try {
    u = new URL(db);
  } catch {
    throw new BadInputError(`--db ${shown}: not a valid PostgreSQL URL (check the host and port, and percent-encode special characters in the password); ${PG_FORM}`);
  }
  if (u.password) u.password = '';
  const display = u.toString().replace(/:@/, '@');
  // The pg client takes the user name as the database name when the URL has none: a crawl would
  // silently land in the database "postgres" (or the user's). PGDATABASE names one explicitly.
  const name = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (name === '' && !process.env.PGDATABASE) {
    throw new BadInputError(`--db ${display}: the URL names no database; add its name, e.g. ${display.replace(/\/?(\?|$)/, '/crawl$1')} (or set PGDATABASE)`);
  }
  const conn = new URL(db);
  for (const k of [...conn.searchParams.keys()]) if (k.startsWith('crawl_')) conn.searchParams.delete(k);
  return { kind: 'postgres', url: db, connection: conn.toString(), display };
}
