/** The SQLite side of `crawl reparse` (ReparseTarget, ../reparse.ts): the run lock, one writable connection, ./reparse.ts's SQL. */
import fs from 'node:fs';
import type Database from 'better-sqlite3';
import { BadInputError } from '../../errors.js';
import type { ArchivedPage, ReparsedPage, ReparseTarget } from '../reparse.js';
import { acquireRunLock, type RunLock } from './lock.js';
import { dbError, openWritable } from './open.js';
import { ReparseStore } from './reparse.js';

/** ReparseTarget on a SQLite file: writable, under the run lock until closed. */
export class SqliteReparseTarget implements ReparseTarget {
  private readonly store: ReparseStore;

  private constructor(private readonly file: string, private readonly conn: Database.Database, private readonly lock: RunLock) {
    this.store = new ReparseStore(conn);
  }

  /** Takes the run lock (no crawl may write meanwhile) and opens `file`, which must exist. */
  static open(file: string): SqliteReparseTarget {
    if (!fs.existsSync(file)) throw new BadInputError(`--db ${file}: no such file; give the database a crawl wrote with --warc`);
    const lock = acquireRunLock(file);
    try {
      let conn: Database.Database;
      try { conn = openWritable(file); } catch (err) { throw dbError(file, err); }
      return new SqliteReparseTarget(file, conn, lock);
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  async lastRun(): Promise<{ id: number; options: Record<string, unknown> } | null> { return this.store.lastRun(); }
  async warcFiles(): Promise<string[]> { return this.store.warcFiles(); }
  async archivedPages(after: number, limit: number): Promise<ArchivedPage[]> { return this.store.archivedPages(after, limit); }

  async writeBatch(pages: ReparsedPage[], runId: number): Promise<number> {
    try { return this.store.writeBatch(pages, runId); } catch (err) { throw dbError(this.file, err); }
  }

  async close(): Promise<void> {
    try { this.conn.close(); } catch { /* closing after a failure */ }
    this.lock.release();
  }
}
