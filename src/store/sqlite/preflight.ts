/**
 * Checks on the database path made before anything is created or written: the folder can be made,
 * and an existing file is a crawl database (or an empty one). Another program's SQLite file is
 * refused untouched — the crawler would otherwise add its tables to it, or die half-way on a name
 * clash such as its own `pages` table.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DatabaseError } from '../../errors.js';

/** Tables every crawl database has (schema version 1 on). */
export const CRAWL_TABLES = ['runs', 'urls', 'pages', 'frontier', 'links'] as const;

/**
 * Creates the folder of `file` when missing, one level at a time. fs.mkdirSync's `recursive`
 * loops forever on paths such as /proc/self/nope/x.db (mkdir answers ENOENT under a folder that
 * exists), so each missing level is made on its own and the first failure is reported.
 */
export function ensureFolder(file: string): void {
  const dir = path.dirname(path.resolve(file));
  const missing: string[] = [];
  let cur = dir;
  for (;;) {
    let st: fs.Stats | undefined;
    try { st = fs.statSync(cur); } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw folderError(file, cur, err);
    }
    if (st) {
      if (!st.isDirectory()) throw new DatabaseError(`database ${file}: ${cur} is a file, not a folder — choose another --db`);
      break;
    }
    missing.unshift(cur);
    const up = path.dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  for (const d of missing) {
    try { fs.mkdirSync(d); } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw folderError(file, d, err);
    }
  }
}

function folderError(file: string, dir: string, err: unknown): DatabaseError {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const fix = code === 'ENOSPC' ? 'the disk is full; free space and run again'
    : code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'its parent folder is not writable; fix the permissions or choose another --db'
    : 'a folder cannot be created there; choose another --db';
  return new DatabaseError(`database ${file}: cannot create the folder ${dir} (${code || (err as Error).message}) — ${fix}`, { cause: err });
}

/** What a SQLite file holds, as far as recognising a crawl database goes. */
export interface DatabaseKind { userVersion: number; tables: string[] }

/** Reads the user_version and the table names (sqlite_* and FTS shadow tables included). */
export function describeDatabase(db: Database.Database): DatabaseKind {
  const userVersion = db.pragma('user_version', { simple: true }) as number;
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[]);
  return { userVersion, tables };
}

/**
 * Throws DatabaseError unless `db` is empty (no tables) or a crawl database (user_version > 0 and
 * the crawl tables). Call it before writing anything, pragmas such as journal_mode included.
 */
export function assertCrawlDatabase(db: Database.Database, file: string): void {
  const kind = describeDatabase(db);
  if (kind.tables.length === 0 && kind.userVersion === 0) return;
  if (kind.userVersion > 0 && CRAWL_TABLES.every((t) => kind.tables.includes(t))) return;
  throw notCrawlDatabase(file, kind);
}

/** The error for another program's SQLite file: what was found, that nothing was written, what to do. */
export function notCrawlDatabase(file: string, kind: DatabaseKind): DatabaseError {
  const shown = kind.tables.slice(0, 6).join(', ') + (kind.tables.length > 6 ? `, … (${kind.tables.length} in all)` : '');
  const found = kind.tables.length ? `tables ${shown}` : 'no tables';
  return new DatabaseError(
    `database ${file} is a SQLite database but not a crawl database (found ${found}; user_version ${kind.userVersion}); ` +
    'nothing was written to it — choose another --db (a new file, or a database made by crawl)',
  );
}

/** The first 16 bytes of every SQLite database file. */
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Cheap checks made before the run lock is taken, without opening SQLite (a reader could hold up a
 * crawl that is creating the database): a folder, or a non-empty file without the SQLite header,
 * is refused with DatabaseError. A missing or empty file passes (the crawl creates it).
 */
export function checkDatabasePath(file: string): void {
  let fd: number;
  try { fd = fs.openSync(file, 'r'); } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EISDIR') throw new DatabaseError(`database ${file}: it is a folder; give a file path such as data/crawl.db`);
    return; // missing (created later) or unreadable (the writable open reports it)
  }
  try {
    if (fs.fstatSync(fd).isDirectory()) throw new DatabaseError(`database ${file}: it is a folder; give a file path such as data/crawl.db`);
    const head = Buffer.alloc(16);
    const n = fs.readSync(fd, head, 0, 16, 0);
    if (n > 0 && (n < 16 || !head.equals(SQLITE_HEADER))) {
      throw new DatabaseError(`database ${file}: the file is not a database — it is not a SQLite database; choose another --db`);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Checks an existing database with a read-only connection: another program's database is refused
 * with DatabaseError. Called under the run lock, so no crawl is creating it at the same time. A
 * missing or empty file passes; errors only a writable open can judge are left to it.
 */
export function checkDatabaseFile(file: string): void {
  let st: fs.Stats;
  try { st = fs.statSync(file); } catch { return; }
  if (st.isDirectory() || st.size === 0) return;
  let db: Database.Database | undefined;
  let kind: DatabaseKind;
  // Reading a database in WAL mode makes SQLite create its -wal and -shm files, and a read-only
  // connection leaves them behind: the ones this look created are removed, so a refused file's
  // folder is left as it was.
  const sidecars = [`${file}-wal`, `${file}-shm`].filter((f) => !fs.existsSync(f));
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5000 });
    kind = describeDatabase(db);
  } catch {
    return;
  } finally {
    db?.close();
    for (const f of sidecars) fs.rmSync(f, { force: true });
  }
  if (kind.tables.length === 0 && kind.userVersion === 0) return;
  if (kind.userVersion > 0 && CRAWL_TABLES.every((t) => kind.tables.includes(t))) return;
  throw notCrawlDatabase(file, kind);
}
