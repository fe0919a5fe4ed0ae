/**
 * The run lock: at most one crawl writes a database at a time. A lock file beside the database
 * (`<db>.lock`) holds the owner's pid, host and process start time; a lock whose owner is gone
 * (killed, crashed, or a reused pid) is stale and taken over.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LockedError, DatabaseError } from '../../errors.js';

interface LockInfo { pid: number; host: string; procStart: string | null; startedAt: string }

/** A held lock; release() removes the file if it is still ours. */
export interface RunLock {
  readonly file: string;
  release(): void;
}

/** Takes the run lock for `dbFile`, or throws LockedError naming the holder. */
export function acquireRunLock(dbFile: string): RunLock {
  const file = `${dbFile}.lock`;
  try {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true }); // the database's folder may not exist yet
  } catch (err) {
    throw new DatabaseError(`cannot create the folder of ${dbFile}: ${(err as Error).message} — choose another --db`, { cause: err });
  }
  const me: LockInfo = { pid: process.pid, host: os.hostname(), procStart: procStart(process.pid), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(me), { flag: 'wx' });
      return {
        file,
        release() {
          try {
            const cur = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
            if (cur.pid === me.pid && cur.startedAt === me.startedAt) fs.unlinkSync(file);
          } catch { /* already gone */ }
        },
      };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') {
        throw new DatabaseError(`cannot create the run lock ${file}: ${(err as Error).message} — make its folder writable or choose another --db`, { cause: err });
      }
    }
    const holder = readLock(file);
    if (holder && isAlive(holder)) {
      throw new LockedError(`${dbFile} is being crawled by process ${holder.pid} on ${holder.host} since ${holder.startedAt}; wait for it to finish (or stop it), then run again`);
    }
    // Stale: rename it away first so two processes taking over at once cannot both win.
    const stale = `${file}.stale-${process.pid}`;
    try { fs.renameSync(file, stale); fs.unlinkSync(stale); } catch { /* someone else took it over; retry */ }
  }
  throw new LockedError(`${dbFile}: could not take the run lock ${file}; another crawl keeps taking it`);
}

function readLock(file: string): LockInfo | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
  } catch {
    return undefined; // unreadable or half-written: treated as stale
  }
}

function isAlive(l: LockInfo): boolean {
  if (l.host !== os.hostname()) return true; // cannot check another machine's processes: assume held
  try {
    process.kill(l.pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // Same pid alive: it is the holder only if it started when the holder did (pids get reused).
  const start = procStart(l.pid);
  return l.procStart === null || start === null || start === l.procStart;
}

/** Process start time (clock ticks since boot) from /proc, or null where /proc is missing. */
function procStart(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}
