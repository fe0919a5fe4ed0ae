/**
 * The run lock: at most one crawl writes a database at a time.
 *
 * The lock is held by the operating system, not inferred from a file's content: `<db>.lock` is an
 * (empty) SQLite database in which the holder opens a `BEGIN EXCLUSIVE` transaction and never ends
 * it, so SQLite holds a POSIX fcntl write lock on the file for as long as the connection is open. Taking it is
 * one atomic step in the kernel (a second process gets SQLITE_BUSY within LOCK_WAIT_MS), and the
 * kernel drops it when the holder closes it or dies — SIGKILL included, and before a zombie is reaped.
 * No pid is ever checked, so a half-written file, a reused pid or an unreaped zombie cannot fool it.
 *
 * The file is never deleted: deleting it would let a process that opened the old file and one that
 * creates a new one both "hold" it. The holder's pid, host and start time go to `<db>.lock.info`,
 * written after the lock is taken and removed before it is released; it only feeds the message.
 */
import fs from 'node:fs';
import os from 'node:os';
import Database from 'better-sqlite3';
import { LockedError, DatabaseError } from '../../errors.js';
import { checkDatabaseFile, checkDatabasePath, ensureFolder } from './preflight.js';
import { diskFull } from './open.js';

/** A held lock; release() lets the next crawl take it. */
export interface RunLock {
  readonly file: string;
  release(): void;
}

interface LockInfo { pid: number; host: string; startedAt: string }

/**
 * Takes the run lock for `dbFile`, or throws LockedError naming the holder. Also checks that the
 * database path is usable (its folder can be created; an existing file is a crawl database or an
 * empty one), before anything is written, so a wrong path leaves no lock file behind.
 */
export function acquireRunLock(dbFile: string): RunLock {
  ensureFolder(dbFile);
  checkDatabasePath(dbFile);
  const file = `${dbFile}.lock`;
  const infoFile = `${file}.info`;
  const conn = openLock(dbFile, file);
  try {
    checkDatabaseFile(dbFile);
  } catch (err) {
    // Another program's database: no crawl will ever write it, so its lock file can go safely.
    conn.close();
    try { fs.unlinkSync(file); } catch { /* gone */ }
    throw err;
  }
  const me: LockInfo = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  try { fs.writeFileSync(infoFile, JSON.stringify(me)); } catch { /* informational only */ }
  let held = true;
  return {
    file,
    release() {
      if (!held) return;
      held = false;
      // The info file goes first: once the lock is released, the next holder writes its own.
      try { fs.unlinkSync(infoFile); } catch { /* already gone */ }
      try { conn.close(); } catch { /* closing drops the lock either way */ }
    },
  };
}

/**
 * How long a contender waits for the lock before reporting it held. Not 0: SQLite climbs to its
 * EXCLUSIVE lock through SHARED, so contenders starting together each see the others' passing
 * SHARED locks, and with no wait at all every one of them can fail (seen in 1 of ~200 trials of 4).
 * With a wait, SQLite's busy handler lets one through, and a crawl that really holds the lock is
 * reported after this long. (locking_mode=EXCLUSIVE is not used: a contender in that mode keeps
 * the SHARED lock of its failed attempt until it closes, and then all of them can fail again.)
 */
const LOCK_WAIT_MS = 250;

/** Opens `file` and takes the exclusive lock; throws LockedError when another process holds it. */
function openLock(dbFile: string, file: string): Database.Database {
  for (let attempt = 0; ; attempt++) {
    let conn: Database.Database | undefined;
    try {
      conn = new Database(file, { timeout: LOCK_WAIT_MS });
      // Takes SQLite's EXCLUSIVE lock (an fcntl write lock on the file) and keeps it: the
      // transaction stays open, and writes nothing, until the connection is closed.
      conn.exec('BEGIN EXCLUSIVE');
      return conn;
    } catch (err) {
      try { conn?.close(); } catch { /* nothing held */ }
      const code = (err as { code?: string }).code ?? '';
      if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') throw new LockedError(lockedMessage(dbFile, `${file}.info`));
      if (code === 'SQLITE_NOTADB' && attempt === 0 && clearLegacyLock(dbFile, file)) continue;
      const full = code === 'ENOSPC' || code === 'SQLITE_FULL' || diskFull(file);
      const fix = full ? 'the disk is full; free space and run again'
        : code === 'SQLITE_NOTADB' ? 'it is not a lock file made by crawl; if no crawl is running on this database, delete it and run again'
        : code.startsWith('SQLITE_IOERR') || code === 'SQLITE_NOLFS' ? 'the file system does not support file locks (e.g. some network or FUSE file systems); put the database on a local disk'
        : 'make its folder writable or choose another --db';
      throw new DatabaseError(`cannot take the run lock ${file}: ${(err as Error).message} — ${fix}`, { cause: err });
    }
  }
}

/**
 * Earlier versions wrote the lock as JSON. Such a file is emptied in place (never deleted: see the
 * file comment) unless the process it names is still running. Returns true when it was emptied.
 */
function clearLegacyLock(dbFile: string, file: string): boolean {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch { return false; }
  if (!text.startsWith('{') && text.trim() !== '') return false; // not ours: let the caller report it
  try {
    const old = JSON.parse(text) as { pid?: number; host?: string };
    if (old.host === os.hostname() && typeof old.pid === 'number' && old.pid !== process.pid && isRunning(old.pid)) {
      throw new LockedError(`${dbFile} is being crawled by process ${old.pid} (an older crawl version); wait for it to finish (or stop it), then run again`);
    }
  } catch (err) {
    if (err instanceof LockedError) throw err;
  }
  fs.truncateSync(file, 0);
  return true;
}

function isRunning(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** The message for a held lock: who holds it when the info file says, otherwise just that it is held. */
function lockedMessage(dbFile: string, infoFile: string): string {
  let who = 'another process';
  try {
    const info = JSON.parse(fs.readFileSync(infoFile, 'utf8')) as LockInfo;
    if (typeof info.pid === 'number') who = `process ${info.pid} on ${info.host} since ${info.startedAt}`;
  } catch { /* being written, or not written yet: the lock alone decides */ }
  return `${dbFile} is being crawled by ${who}; wait for it to finish (or stop it), then run again`;
}
