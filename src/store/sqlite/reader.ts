/**
 * The read side on SQLite (CrawlReader, ../reader.ts): one read-only connection, never created,
 * safe while a crawl writes (WAL readers see the last committed state and never block the writer).
 * Rows stream from the statement one at a time.
 */
import type Database from 'better-sqlite3';
import { BadInputError } from '../../errors.js';
import type { CrawlReader, ChangesFilter, ExportRequest, ReportSql, RowStream, SearchHit, SearchOptions, Section, SqlReportName } from '../reader.js';
import {
  SQLITE_DIALECT as D, changesFilter, changesSql, exportSql, noSuchRun, runsSql, statsRunSql, statsSectionsSql,
} from '../read-sql.js';
import { openReadOnly, prepareReadOnly } from './readonly.js';
import { REPORT_SQL } from './report-sql.js';
import { searchPages } from './search.js';
import type { RunStatusReport } from '../status-types.js';
import { sqliteRunStatus } from './status.js';

/** Tables and views the user may export (FTS5 shadow tables and SQLite internals left out). */
export function exportableTables(db: Database.Database): string[] {
  const rows = db.prepare(`SELECT name FROM sqlite_master WHERE type IN ('table', 'view')
         AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'pages_fts_%' ORDER BY type, name`).all() as { name: string }[];
  return rows.map((r) => r.name);
}

/** CrawlReader on a SQLite file, opened read-only. */
export class SqliteReader implements CrawlReader {
  readonly kind = 'sqlite';

  private constructor(readonly db: Database.Database, readonly location: string) {}

  /** Opens `file` read-only (see ./readonly.ts for what is refused). */
  static open(file: string): SqliteReader {
    return new SqliteReader(openReadOnly(file), file);
  }

  async runs(last: number): Promise<RowStream> {
    const stmt = this.db.prepare(runsSql(D));
    // LIMIT -1 is SQLite for no limit.
    return { columns: names(stmt), rows: stmt.iterate(last === 0 ? -1 : last) as Iterable<Record<string, unknown>> };
  }

  async stats(runId: number | undefined, top: number): Promise<Section[]> {
    const p = { run: runId ?? null };
    const run = this.db.prepare(statsRunSql(D)).get(p) as Record<string, unknown> | undefined;
    if (runId !== undefined && !run) {
      throw noSuchRun(runId, this.db.prepare(`SELECT MIN(id) lo, MAX(id) hi FROM ${D.runIds}`).get() as { lo: number | null; hi: number | null });
    }
    const sections: Section[] = [
      { name: 'run', title: runId === undefined ? 'Last run' : `Run ${runId}`, columns: run ? Object.keys(run) : ['id'], rows: run ? [run] : [], single: true },
    ];
    for (const s of statsSectionsSql(D, runId, top)) {
      const stmt = this.db.prepare(s.sql);
      sections.push({ name: s.name, title: s.title, columns: s.columns, single: s.single,
        rows: (s.sql.includes(D.run) ? stmt.all(p) : stmt.all()) as Record<string, unknown>[] });
    }
    for (const s of sections) if (!s.single) delete s.single;
    return sections;
  }

  async changes(filter: ChangesFilter): Promise<RowStream> {
    const { where, params } = changesFilter(filter);
    const stmt = this.db.prepare(changesSql(where));
    return { columns: names(stmt), rows: stmt.iterate(...params) as Iterable<Record<string, unknown>> };
  }

  async report(name: SqlReportName): Promise<RowStream> {
    const stmt = prepareReadOnly(this.db, REPORT_SQL[name], `report ${name}`);
    const columns = names(stmt);
    stmt.raw(true);
    return { columns, rows: stmt.iterate() as Iterable<unknown[]> };
  }

  reportSql(): ReportSql {
    return {
      dialect: D,
      reports: REPORT_SQL,
      all: async <T>(sql: string, params: unknown[] = []) => this.db.prepare(sql).all(...params) as T[],
      raw: async (sql: string) => {
        const stmt = this.db.prepare(sql);
        const columns = names(stmt);
        return { columns, rows: stmt.raw(true).all() as unknown[][] };
      },
    };
  }

  async search(terms: string, limit: number, opts: SearchOptions = {}): Promise<SearchHit[]> {
    return searchPages(this.db, terms, limit, opts.all ?? false);
  }

  async exportRows(req: ExportRequest): Promise<RowStream> {
    const tables = exportableTables(this.db);
    const known = (this.db.prepare('SELECT name FROM pragma_table_info(?)').all(req.table) as { name: string }[]).map((r) => r.name);
    const { sql, columns } = exportSql(req, tables, known);
    const stmt = prepareReadOnly(this.db, sql, req.where ? `--where "${req.where}"` : 'export');
    stmt.raw(true);
    return { columns, rows: userErrors(stmt.iterate() as Iterable<unknown[]>, 'export failed (check --where)', false) };
  }

  async query(sql: string, params: (string | number)[], named: Record<string, string | number>): Promise<RowStream> {
    const stmt = prepareReadOnly(this.db, sql, 'SQL');
    const bind: unknown[] = Object.keys(named).length > 0 ? [...params, named] : params;
    const columns = names(stmt);
    stmt.raw(true);
    // Bindings are checked when the statement first steps: inside the generator, as the rows are read.
    return { columns, rows: userErrors({ [Symbol.iterator]: () => (stmt.iterate(...bind) as Iterable<unknown[]>)[Symbol.iterator]() }, 'query failed', true) };
  }

  async copyToSqlite(): Promise<Record<string, number>> {
    throw new BadInputError('--to-sqlite copies a PostgreSQL crawl: give --db postgres://…');
  }

  /** `crawl status`: the run, its totals, and whether a crawl process holds the database now. */
  async status(): Promise<RunStatusReport> {
    return sqliteRunStatus(this.db, this.location);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

function names(stmt: Database.Statement): string[] {
  return stmt.columns().map((c) => c.name);
}

/**
 * The rows of `rows`; an error raised while stepping (bad bindings, fts5 syntax, runtime SQL
 * errors) is the user's SQL: bad input, not a crash. `bindings`: binding errors count too.
 */
function* userErrors(rows: Iterable<unknown[]>, what: string, bindings: boolean): Generator<unknown[]> {
  try {
    yield* rows;
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_') || (bindings && (err instanceof RangeError || err instanceof TypeError))) {
      throw new BadInputError(`${what}: ${(err as Error).message}`, { cause: err });
    }
    throw err;
  }
}
