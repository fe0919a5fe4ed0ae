/** Opening the SQLite file: pragmas, migrations, and errors that name the file and the fix. */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DatabaseError } from '../../errors.js';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.js';
import { assertCrawlDatabase, ensureFolder } from './preflight.js';

/** Opens (creating if needed) and migrates the crawl database for writing. */
export function openWritable(file: string): Database.Database {
  ensureFolder(file);
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { timeout: 5000 });
    // Before any pragma: journal_mode=WAL alone would change another program's database.
    assertCrawlDatabase(db, file);
    // New files only (ignored once a database exists): a page's ~40 KB of text spans fewer pages,
    // ~6% less writer CPU per page than 4096 on the bench.
    db.pragma('page_size = 8192');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('temp_store = MEMORY');
    db.pragma('cache_size = -8000'); // 8 MB page cache: bounded, enough for the frontier's hot index
    migrate(db, file);
    // Full-text index segments are merged 8 at a time instead of 4: ~9% less writer CPU per page,
    // at the cost of a few more segments for a search to read. Stored in the index's config.
    db.prepare("INSERT INTO pages_fts(pages_fts, rank) VALUES ('automerge', 8)").run();
    return db;
  } catch (err) {
    db?.close();
    throw dbError(file, err);
  }
}

/** Applies every migration newer than PRAGMA user_version, each in its own transaction. */
export function migrate(db: Database.Database, file: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new DatabaseError(`${file}: schema version ${current} is newer than this crawl build understands (${SCHEMA_VERSION}); upgrade crawl or use another --db`);
  }
  for (let v = current; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

/** Turns a SQLite or file-system error into a DatabaseError naming the file and the fix. */
export function dbError(file: string, err: unknown): Error {
  if (err instanceof DatabaseError) return err;
  const code = (err as { code?: string }).code ?? '';
  const msg = (err as Error).message ?? String(err);
  let fix: string;
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') fix = 'another program holds a write lock on it; close that program (or wait for it) and run again';
  else if (code === 'SQLITE_READONLY' || code === 'EACCES' || code === 'EROFS' || code.startsWith('SQLITE_READONLY')) fix = 'the file or its folder is not writable; fix the permissions or choose another --db';
  else if (code === 'SQLITE_FULL' || code === 'ENOSPC' || diskFull(file)) fix = 'the disk is full; free space and run again (the crawl resumes where it stopped)';
  else if (code === 'SQLITE_NOTADB') fix = 'it is not a SQLite database; choose another --db';
  else if (code === 'SQLITE_CORRUPT') fix = 'it is damaged; restore it from a backup or choose another --db';
  else if (code.startsWith('SQLITE_CANTOPEN') && isFolder(file)) fix = 'it is a folder; give a file path such as data/crawl.db';
  else if (code.startsWith('SQLITE_CANTOPEN') || code === 'ENOENT' || code === 'ENOTDIR') fix = 'the path cannot be opened; check that its folder exists and is writable';
  else if (code.startsWith('SQLITE_IOERR')) fix = 'an I/O error occurred; check the disk and free space, then run again';
  else return err instanceof Error ? err : new Error(msg);
  return new DatabaseError(`database ${file}: ${msg} — ${fix}`, { cause: err });
}

/** True when the file system holding `file` (or its nearest existing folder) has no free space left. */
export function diskFull(file: string): boolean {
  let dir = path.dirname(path.resolve(file));
  for (let i = 0; i < 64; i++) {
    try {
      const s = fs.statfsSync(dir);
      // Pseudo file systems (/proc) report no blocks, and some report no inode counts at all.
      return (s.blocks > 0 && s.bavail === 0) || (s.files > 0 && s.ffree === 0);
    } catch {
      const up = path.dirname(dir);
      if (up === dir) return false;
      dir = up;
    }
  }
  return false;
}

function isFolder(file: string): boolean {
  try { return fs.statSync(file).isDirectory(); } catch { return false; }
}
