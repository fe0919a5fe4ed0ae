/**
 * Opening the crawl database for the query commands: read-only, never created, safe while a crawl
 * writes (WAL readers see the last committed state and never block the writer). The read-only
 * connection is the backstop; {@link prepareReadOnly} refuses writes before anything runs.
 */
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { BadInputError } from '../errors.js';
import { SCHEMA_VERSION } from '../store/sqlite/schema.js';

/** Opens `file` read-only after checking it exists and holds a crawl schema we understand. */
export function openReadOnly(file: string): Database.Database {
  if (!fs.existsSync(file)) {
    throw new BadInputError(
      `database ${file} does not exist: pass --db with the path of a crawl database, or crawl first (crawl --db ${file} --urls seeds.txt)`,
    );
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5000 });
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version === 0) {
      throw new BadInputError(`database ${file} has no crawl schema (user_version 0): pass --db with the path of a crawl database`);
    }
    if (version > SCHEMA_VERSION) {
      throw new BadInputError(`database ${file} has schema version ${version}, newer than this crawl build understands (${SCHEMA_VERSION}): upgrade crawl`);
    }
    return db;
  } catch (err) {
    db?.close();
    if (err instanceof BadInputError) throw err;
    throw new BadInputError(`cannot read database ${file}: ${(err as Error).message} (is it a crawl database?)`, { cause: err });
  }
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

/** Quotes an SQL identifier (table or column name) so any name is safe inside SQL text. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
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
