/**
 * `crawl status` on a SQLite crawl: one process crawls a SQLite database, so the report is the last
 * run with its totals, what its frontier has left (counts capped, through the partial indexes
 * frontier_queue and frontier_claims), and whether a crawl process holds the database now.
 *
 * "Holds" is asked of the operating system, as the run lock itself decides it (./lock.ts): the
 * holder keeps an EXCLUSIVE lock on `<db>.lock`, so a reader of that file is refused (SQLITE_BUSY)
 * exactly while a crawl runs, and a crawl killed with SIGKILL holds nothing. The pid comes from
 * `<db>.lock.info`, which only names the holder.
 */
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { DatabaseError } from '../../errors.js';
import { STATUS_COUNT_CAP, type CappedCount, type CrawlProcess, type RunStatusReport } from '../status-types.js';

/** The last run with its counters. */
export const RUN_SQL = `SELECT id, started_at, ended_at, status, stop_reason, resumes, pages, requests, new_pages, changed, unchanged, gone,
  redirects, errors, disallowed, skipped, bytes FROM runs ORDER BY id DESC LIMIT 1`;

/** Capped counts; @now: ms since epoch, @cap: the cap + 1 (one more tells "more" from "exactly"). */
export const COUNTS_SQL = `SELECT
  (SELECT count(*) FROM (SELECT 1 FROM frontier WHERE state = 0 LIMIT @cap)) AS queued,
  (SELECT count(*) FROM (SELECT 1 FROM frontier WHERE state = 1 LIMIT @cap)) AS claimed,
  (SELECT count(*) FROM (SELECT 1 FROM frontier WHERE state = 1 AND lease_until < @now LIMIT @cap)) AS claims_expired`;

/** Builds the report from a read-only connection to `dbFile` (whose run lock is probed beside it). */
export function sqliteRunStatus(db: Database.Database, dbFile: string): RunStatusReport {
  const nowMs = Date.now();
  const run = db.prepare(RUN_SQL).get() as Record<string, unknown> | undefined;
  const counts = db.prepare(COUNTS_SQL).get({ now: nowMs, cap: STATUS_COUNT_CAP + 1 }) as Record<string, number>;
  const n = (k: string) => Number(run?.[k] ?? 0);
  return {
    backend: 'sqlite',
    now: new Date(nowMs).toISOString(),
    run: run ? {
      id: n('id'), status: String(run.status), started_at: String(run.started_at),
      ended_at: (run.ended_at as string | null) ?? null, stop_reason: (run.stop_reason as string | null) ?? null, resumes: n('resumes'),
      totals: {
        pages: n('pages'), requests: n('requests'), new: n('new_pages'), changed: n('changed'), unchanged: n('unchanged'), gone: n('gone'),
        redirects: n('redirects'), errors: n('errors'), disallowed: n('disallowed'), skipped: n('skipped'), bytes: n('bytes'),
      },
      queued: capped(counts.queued), claimed: capped(counts.claimed), claims_expired: capped(counts.claims_expired),
    } : null,
    lease_ms: null,
    workers: [],
    gone_workers: [],
    expired_leases: [],
    expired_leases_total: { count: 0, capped: false },
    process: probeRunLock(dbFile),
  };
}

function capped(n: number): CappedCount {
  return n > STATUS_COUNT_CAP ? { count: STATUS_COUNT_CAP, capped: true } : { count: n, capped: false };
}

/**
 * Whether a crawl holds `dbFile`'s run lock, without taking it or creating anything: a read of the
 * lock file needs a SHARED lock, which SQLite refuses at once while the holder's EXCLUSIVE lock
 * stands. A crawl starting meanwhile waits out the probe's moment (the lock waits 250 ms).
 */
export function probeRunLock(dbFile: string): CrawlProcess {
  const file = `${dbFile}.lock`;
  const free: CrawlProcess = { running: false, pid: null, host: null, since: null };
  if (!fs.existsSync(file)) return free;
  let conn: Database.Database | undefined;
  try {
    conn = new Database(file, { readonly: true, fileMustExist: true, timeout: 0 });
    conn.prepare('SELECT count(*) FROM sqlite_master').get();
    return free;
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return { running: true, ...holder(`${file}.info`) };
    // A lock file of an older version (JSON text): no crawl of this version holds it.
    if (code === 'SQLITE_NOTADB') return free;
    throw new DatabaseError(`cannot check the run lock ${file}: ${(err as Error).message}`, { cause: err });
  } finally {
    conn?.close();
  }
}

/** The holder's pid, machine and start time, as the run lock wrote them (null while not yet written). */
function holder(infoFile: string): Omit<CrawlProcess, 'running'> {
  try {
    const info = JSON.parse(fs.readFileSync(infoFile, 'utf8')) as { pid?: unknown; host?: unknown; startedAt?: unknown };
    return {
      pid: typeof info.pid === 'number' ? info.pid : null,
      host: typeof info.host === 'string' ? info.host : null,
      since: typeof info.startedAt === 'string' ? info.startedAt : null,
    };
  } catch {
    return { pid: null, host: null, since: null };
  }
}
