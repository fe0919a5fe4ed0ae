/**
 * The read side on PostgreSQL (CrawlReader, ../reader.ts): one connection, one READ ONLY
 * transaction with a statement timeout, always rolled back. The read-only transaction is the guard
 * (PostgreSQL refuses any write in it with SQLSTATE 25006); the timeout keeps a runaway query from
 * holding the shared database. Large results are read through a cursor, a batch at a time.
 */
import pg from 'pg';
import { BadInputError, DatabaseError } from '../../errors.js';
import type { DbLocation } from '../location.js';
import type { ChangesFilter, CrawlReader, ExportRequest, ReportSql, RowStream, SearchHit, SearchOptions, Section, SqlReportName } from '../reader.js';
import {
  PG_DIALECT as D, changesFilter, changesSql, exportSql, noSuchRun, numberedParams, runsSql, statsRunSql, statsSectionsSql,
} from '../read-sql.js';
import { pgError, pgTypes } from './db.js';
import { REPORT_SQL_PG } from './report-sql.js';
import { searchPagesPg } from './search.js';
import { exportToSqlite } from './to-sqlite.js';
import { leaseParam } from './backend.js';
import { pgRunStatus } from './status.js';
import type { RunStatusReport } from '../status-types.js';

/** How long one query command may run on the shared database. */
export const PG_STATEMENT_TIMEOUT = '60s';

/** Internal tables left out of exports (the rest mirror SQLite's). */
const HIDDEN = new Set(['schema_version']);
/** Rows per FETCH: a page row holds its text, so 1,000 of them are a few MB. */
const FETCH_ROWS = 1_000;

/** CrawlReader on a PostgreSQL crawl: one connection, in one READ ONLY transaction until closed. */
export class PgReader implements CrawlReader {
  readonly kind = 'postgres';
  private cursors = 0;

  private constructor(readonly client: pg.Client, readonly location: string, private readonly leaseMs?: number) {}

  /** Connects, checks the crawl schema is there, and opens the read-only transaction. */
  static async open(loc: Extract<DbLocation, { kind: 'postgres' }>): Promise<PgReader> {
    const client = new pg.Client({ connectionString: loc.connection, application_name: 'crawl-query', types: pgTypes } as pg.ClientConfig);
    // A connection the server cuts is also an 'error' event: unheard, it would crash the process; the query's own error says it.
    client.on('error', () => {});
    const r = new PgReader(client, loc.display, leaseParam(loc.url).leaseMs);
    try {
      await client.connect();
      const v = await client.query("SELECT to_regclass('schema_version') IS NOT NULL AS ok");
      if (!v.rows[0].ok) throw new BadInputError(`database ${r.location} has no crawl schema: crawl into it first (crawl --db ${r.location} --urls seeds.txt)`);
      await client.query('BEGIN READ ONLY');
      await client.query(`SET LOCAL statement_timeout = '${PG_STATEMENT_TIMEOUT}'`);
      return r;
    } catch (err) {
      await client.end().catch(() => {});
      throw r.translate(err);
    }
  }

  /** The user's SQL failing is bad input (exit 2); anything else from the server is a database error (exit 6). */
  translate(err: unknown): unknown {
    if (err instanceof BadInputError || err instanceof DatabaseError) return err;
    const code = (err as { code?: string }).code ?? '';
    // Class 42 (syntax, unknown column), 22 (data), 25006 (a write in a read-only transaction), 57014 (timeout): the user's SQL.
    if (/^(42|22|25006|57014|2201)/.test(code)) return new BadInputError(`query failed: ${(err as Error).message}`, { cause: err });
    return pgError(this.location, err);
  }

  async runs(last: number): Promise<RowStream> {
    return this.arrays(runsSql(D), [last === 0 ? null : last]);
  }

  async stats(runId: number | undefined, top: number): Promise<Section[]> {
    const run = (await this.client.query(statsRunSql(D), [runId ?? null])).rows[0] as Record<string, unknown> | undefined;
    if (runId !== undefined && !run) {
      throw noSuchRun(runId, (await this.client.query(`SELECT min(id) AS lo, max(id) AS hi FROM ${D.runIds}`)).rows[0] as { lo: number | null; hi: number | null });
    }
    const sections: Section[] = [
      { name: 'run', title: runId === undefined ? 'Last run' : `Run ${runId}`, columns: run ? Object.keys(run) : ['id'], rows: run ? [run] : [], single: true },
    ];
    for (const s of statsSectionsSql(D, runId, top)) {
      const rows = (await this.client.query(s.sql, s.sql.includes(D.run) ? [runId] : [])).rows as Record<string, unknown>[];
      sections.push({ name: s.name, title: s.title, columns: s.columns, rows, ...(s.single ? { single: true } : {}) });
    }
    return sections;
  }

  async changes(filter: ChangesFilter): Promise<RowStream> {
    const { where, params } = changesFilter(filter);
    return this.arrays(numberedParams(changesSql(where)), params);
  }

  async report(name: SqlReportName): Promise<RowStream> {
    return this.arrays(REPORT_SQL_PG[name]);
  }

  reportSql(): ReportSql {
    return {
      dialect: D,
      reports: REPORT_SQL_PG,
      all: async <T>(sql: string, params: unknown[] = []) => (await this.client.query(numberedParams(sql), params)).rows as T[],
      raw: (sql: string) => this.arrays(sql),
    };
  }

  search(terms: string, limit: number, opts: SearchOptions = {}): Promise<SearchHit[]> {
    return searchPagesPg(this.client, terms, limit, opts.all ?? false);
  }

  async exportRows(req: ExportRequest): Promise<RowStream> {
    const tables = (await this.client.query(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()
      ORDER BY table_type, table_name`)).rows.map((r) => r.name as string).filter((n) => !HIDDEN.has(n));
    // The search tsvector is PostgreSQL's index, not crawl data (SQLite keeps it in pages_fts).
    const known = tables.includes(req.table) ? (await this.client.query(`SELECT column_name AS name FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, [req.table])).rows.map((r) => r.name as string).filter((n) => n !== 'search') : [];
    const { sql, columns } = exportSql(req, tables, known);
    return { columns, rows: await this.cursor(sql) };
  }

  async query(sql: string, params: (string | number)[], named: Record<string, string | number>): Promise<RowStream> {
    // PostgreSQL: $1, $2 … placeholders; the READ ONLY transaction refuses writes.
    if (Object.keys(named).length) throw new BadInputError('--param (named parameters) is for SQLite; on PostgreSQL use $1, $2 … with positional values');
    return this.arrays(sql, params);
  }

  copyToSqlite(file: string): Promise<Record<string, number>> {
    return exportToSqlite(this.client, file);
  }

  /** `crawl status`: times by the server's clock; a `crawl_lease_ms` in the URL caps the lease that decides who is live. */
  status(): Promise<RunStatusReport> {
    return pgRunStatus(this.client, this.leaseMs);
  }

  async close(): Promise<void> {
    await this.client.query('ROLLBACK').catch(() => {});
    await this.client.end().catch(() => {});
  }

  /** Column names and rows as arrays, all at once (duplicate column names kept apart): runs, changes, reports, query. */
  private async arrays(sql: string, params: unknown[] = []): Promise<{ columns: string[]; rows: unknown[][] }> {
    const r = await this.client.query({ text: sql, values: params, rowMode: 'array' });
    return { columns: r.fields.map((f) => f.name), rows: r.rows as unknown[][] };
  }

  /**
   * The rows of `sql`, fetched through a cursor a batch at a time as the writer asks for them. The
   * cursor is declared at once, so a bad statement fails before anything is written.
   */
  private async cursor(sql: string): Promise<AsyncGenerator<unknown[]>> {
    const name = `export_rows_${++this.cursors}`;
    await this.client.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${sql}`);
    const client = this.client;
    return (async function* fetchAll() {
      for (;;) {
        const r = await client.query({ text: `FETCH ${FETCH_ROWS} FROM ${name}`, rowMode: 'array' });
        if (!r.rows.length) return;
        yield* r.rows as unknown[][];
      }
    })();
  }
}
