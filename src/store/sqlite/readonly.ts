/**
 * Opening the crawl database for the query commands: read-only, never created, safe while a crawl
 * writes (WAL readers see the last committed state and never block the writer). The read-only
 * connection is the backstop; {@link prepareReadOnly} refuses writes before anything runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { BadInputError, DatabaseError } from '../../errors.js';
import { SCHEMA_VERSION } from './schema.js';
import { CRAWL_TABLES, describeDatabase, notCrawlDatabase } from './preflight.js';

// better-sqlite3 reads this once, when its native addon loads (at the first `new Database`): it lets
// the read-only fallback below open a `file:...?immutable=1` URI. Other paths are unaffected.
process.env.SQLITE_USE_URI ??= '1';

/**
 * Opens `file` read-only after checking it exists and holds a crawl schema we understand.
 * A missing file is bad input (exit 2); a file that is not a crawl database, or cannot be read, is a
 * DatabaseError (exit 6). In a folder that cannot be written (a read-only mount, a copy without
 * write permission), a WAL database cannot get its -shm file: it is then opened `immutable`.
 */
export function openReadOnly(file: string): Database.Database {
  if (!fs.existsSync(file)) {
    throw new BadInputError(
      `database ${file} does not exist: pass --db with the path of a crawl database, or crawl first (crawl --db ${file} --urls seeds.txt)`,
    );
  }
  if (fs.statSync(file).isDirectory()) throw new DatabaseError(`database ${file}: it is a folder; pass --db with the path of a crawl database file`);
  let db: Database.Database | undefined;
  try {
    try {
      db = check(new Database(file, { readonly: true, fileMustExist: true, timeout: 5000 }), file);
    } catch (err) {
      db?.close();
      db = undefined;
      if (!canRetryImmutable(err, file)) throw err;
      db = check(new Database(immutableUri(file), { readonly: true, fileMustExist: true }), file);
      const wal = `${file}-wal`;
      if (fs.existsSync(wal) && fs.statSync(wal).size > 0) {
        process.stderr.write(`crawl: note: ${path.dirname(file)} is not writable, so ${file} is read without its write-ahead log (${wal}); the latest changes may be missing. Copy the database and its -wal file to a writable folder to see them.\n`);
      }
    }
    return db;
  } catch (err) {
    db?.close();
    if (err instanceof BadInputError || err instanceof DatabaseError) throw err;
    const code = (err as { code?: string }).code ?? '';
    const fix = code === 'SQLITE_NOTADB' ? 'it is not a SQLite database; pass --db with the path of a crawl database'
      : code === 'SQLITE_CORRUPT' ? 'it is damaged; restore it from a backup'
      : 'check that it is a crawl database and that it can be read';
    throw new DatabaseError(`cannot read database ${file}: ${(err as Error).message} — ${fix}`, { cause: err });
  }
}

/** Refuses a database that is not a crawl database (or one newer than this build); returns it. */
function check(db: Database.Database, file: string): Database.Database {
  const kind = describeDatabase(db);
  if (kind.tables.length === 0 && kind.userVersion === 0) {
    db.close();
    throw new DatabaseError(`database ${file} is empty (no crawl schema, user_version 0): pass --db with the path of a crawl database`);
  }
  if (kind.userVersion === 0 || !CRAWL_TABLES.every((t) => kind.tables.includes(t))) {
    db.close();
    const e = notCrawlDatabase(file, kind);
    throw new DatabaseError(e.message.replace(/ — choose another --db.*$/, ' — pass --db with the path of a crawl database'));
  }
  if (kind.userVersion > SCHEMA_VERSION) {
    db.close();
    throw new DatabaseError(`database ${file} has schema version ${kind.userVersion}, newer than this crawl build understands (${SCHEMA_VERSION}): upgrade crawl`);
  }
  return db;
}

/** A failed read-only open that an immutable open can fix: the -shm file could not be made. */
function canRetryImmutable(err: unknown, file: string): boolean {
  const code = (err as { code?: string }).code ?? '';
  if (!/^SQLITE_(CANTOPEN|READONLY|IOERR)/.test(code)) return false;
  return !writable(path.dirname(path.resolve(file))) || !writable(file);
}

function writable(p: string): boolean {
  try { fs.accessSync(p, fs.constants.W_OK); return true; } catch { return false; }
}

/** `file:` URI with immutable=1: SQLite takes no locks and makes no -shm (the file must not change). */
function immutableUri(file: string): string {
  return `${pathToFileURL(path.resolve(file)).href}?immutable=1`;
}

/**
 * Prepares one SQL statement and refuses it unless it only reads and returns rows. `stmt.readonly`
 * catches INSERT/UPDATE/DELETE/CREATE/DROP (and INSERT ... RETURNING); `stmt.reader` catches
 * ATTACH, DETACH, VACUUM INTO and BEGIN, which SQLite counts as "read-only" but which return
 * nothing and can touch other files. `what` names the input in messages (e.g. "--where").
 */
export function prepareReadOnly(db: Database.Database, sql: string, what = 'SQL'): Database.Statement {
  let stmt: Database.Statement;
  try {
    stmt = db.prepare(sql);
  } catch (err) {
    throw new BadInputError(`bad ${what}: ${(err as Error).message}`, { cause: err });
  }
  if (!stmt.readonly || !stmt.reader) {
    const verb = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? 'this';
    throw new BadInputError(
      `refused ${what}: ${verb} statements change the database or other files; the query commands only run statements that read and return rows (SELECT, WITH ... SELECT, read-only PRAGMA, EXPLAIN)`,
    );
  }
  return stmt;
}

/** Runs `fn` with the read-only database open and always closes it. */
export async function withReadOnly<T>(file: string, fn: (db: Database.Database) => Promise<T> | T): Promise<T> {
  const db = openReadOnly(file);
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}
