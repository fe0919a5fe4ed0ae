/**
 * The read side as a port: what the query commands (`runs`, `stats`, `changes`, `report`, `search`,
 * `export`, `query`) and `crawl export --to-sqlite` ask of a crawl database, answered by one
 * implementation per backend (./sqlite/reader.ts, ./postgres/reader.ts). Each method returns typed
 * rows or a row stream; formatting them is the CLI's job. The SQL the backends share, with their
 * dialect differences named, is in ./read-sql.ts.
 */
import { BadInputError } from '../errors.js';
import { parseDb } from './location.js';
import type { ChangesFilter, ExportRequest, ReadDialect } from './read-sql.js';
import type { RunStatusReport } from './status-types.js';

export { CHANGE_KINDS, LIVE_PAGE_SQL, type ChangesFilter, type ExportRequest } from './read-sql.js';

/** Report names of `crawl report` other than html. */
export const SQL_REPORTS = ['broken-links', 'redirects', 'duplicates', 'orphans'] as const;

/** One of {@link SQL_REPORTS}. */
export type SqlReportName = (typeof SQL_REPORTS)[number];

/** A row as an object keyed by column name, or an array in column order (for duplicate names). */
export type ReadRow = Record<string, unknown> | readonly unknown[];

/** Column names and rows, pulled one at a time (a large export never sits in memory). */
export interface RowStream {
  columns: string[];
  rows: Iterable<ReadRow> | AsyncIterable<ReadRow>;
}

/** A titled group of rows, for commands that print several tables (stats). */
export interface Section {
  /** Key in JSON output and value of the `section` column in jsonl/csv. */
  name: string;
  /** Heading in table output. */
  title: string;
  columns: readonly string[];
  rows: Record<string, unknown>[];
  /** A one-row section: JSON holds the object itself (or null), not an array. */
  single?: boolean;
}

/** One search hit. `snippet` marks matched words with [ and ]. */
export interface SearchHit {
  url: string;
  title: string | null;
  snippet: string;
  /** Score within the hit's tier (title matches first): lower is better. */
  rank: number;
  /** HTTP status of the page's latest fetch (null: a network error or no fetch). */
  status: number | null;
  /** Whether that fetch succeeded (see LIVE_PAGE_SQL in ./read-sql.ts); only live pages unless `all`. */
  live: boolean;
}

/** `crawl search` options other than the terms and the limit. */
export interface SearchOptions {
  /** Also pages whose latest fetch failed, or that now redirect (marked `live: false`). */
  all?: boolean;
}

/** The read side of one crawl database, opened read-only. */
export interface CrawlReader {
  readonly kind: 'sqlite' | 'postgres';
  /** The database, as messages name it (never with a password). */
  readonly location: string;
  /** The last `last` runs (0: all), oldest first. */
  runs(last: number): Promise<RowStream>;
  /** The stats sections of run `runId` (default: the last run), top `top` hosts. */
  stats(runId: number | undefined, top: number): Promise<Section[]>;
  /** page_runs rows matching the filter, oldest run first. */
  changes(filter: ChangesFilter): Promise<RowStream>;
  /** One site-audit report. */
  report(name: SqlReportName): Promise<RowStream>;
  /** The rows of a SQL runner for the HTML report (./report-data.ts). */
  reportSql(): ReportSql;
  /** The best `limit` matches of `terms`, title matches first; only live pages unless `opts.all`. */
  search(terms: string, limit: number, opts?: SearchOptions): Promise<SearchHit[]>;
  /** A table or view, streamed with constant memory. */
  exportRows(req: ExportRequest): Promise<RowStream>;
  /** One read-only statement of the user's, positional and (SQLite) named parameters bound. */
  query(sql: string, params: (string | number)[], named: Record<string, string | number>): Promise<RowStream>;
  /** Copies the whole crawl into the new SQLite file `file`; rows copied per table. */
  copyToSqlite(file: string): Promise<Record<string, number>>;
  /** The last run as it is now: totals, what its frontier has left, its workers and expired leases (`crawl status`). */
  status(): Promise<RunStatusReport>;
  close(): Promise<void>;
}

/** The few statements the HTML report runs, in the backend's dialect (see ./read-sql.ts ReadDialect). */
export interface ReportSql {
  dialect: ReadDialect;
  /** The backend's SQL of each site-audit report (the page reuses broken-links and redirects). */
  reports: Record<SqlReportName, string>;
  /** Rows as objects. */
  all<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Rows as arrays, with the column names. */
  raw(sql: string): Promise<{ columns: string[]; rows: unknown[][] }>;
}

/**
 * Opens the reader `db` names (a SQLite file, `sqlite:FILE` or a postgres:// URL), runs `fn` and
 * always closes it. The backend's module is loaded here, so a command pays only for its own.
 */
export async function withReader<T>(db: string, fn: (r: CrawlReader) => Promise<T>): Promise<T> {
  const loc = parseDb(db);
  let reader: CrawlReader & { translate?(err: unknown): unknown };
  if (loc.kind === 'postgres') reader = await (await import('./postgres/reader.js')).PgReader.open(loc);
  else if (loc.kind === 'file') reader = (await import('./sqlite/reader.js')).SqliteReader.open(loc.path);
  else throw new BadInputError(`--db ${db}: an in-memory crawl is gone when its crawl ends; query a SQLite file or a postgres:// database`);
  try {
    return await fn(reader);
  } catch (err) {
    throw reader.translate ? reader.translate(err) : err;
  } finally {
    await reader.close();
  }
}
