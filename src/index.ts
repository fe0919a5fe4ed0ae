/**
 * crawl as a library:
 *   import { crawl } from 'crawl';
 *   const summary = await crawl({ seeds: ['https://example.com/'], db: 'data/example.db' }, { onPage, onError, onLink, signal });
 *   await withReader('data/example.db', async (reader) => reader.search('robots', 10));
 */
export { crawl, runCrawl, normalizeSeeds } from './crawler/crawl.js';
export type { CrawlHooks, RunSummary, PageEvent, UrlErrorEvent, LinkEvent, ProgressEvent, HostDown } from './crawler/types.js';
export { OPTION_SPECS, resolveOptions, type CrawlOptions, type ResolvedOptions, type OptionSpec } from './options/options.js';
export { CrawlError, BadInputError, LockedError, DatabaseError, ErrorCodes, EXIT, type ErrorCode } from './errors.js';
export type {
  Backend, RunLog, ResultSink, RobotsCache, QueuePort, RunCounters, PageChange, StopReason, RunStatus, PageOutcome, OutcomeBatch, WriteResult,
} from './store/types.js';
export { openBackend } from './store/factory.js';
export { SqliteBackend } from './store/sqlite/backend.js';
export { MemoryBackend } from './store/memory/backend.js';
export { PostgresBackend } from './store/postgres/backend.js';
export { withReader, SQL_REPORTS, CHANGE_KINDS } from './store/reader.js';
export type {
  CrawlReader, RowStream, ReadRow, Section, SearchHit, ChangesFilter, ExportRequest, SqlReportName,
} from './store/reader.js';
export { parseDb, type DbLocation } from './store/location.js';
export { SCHEMA_VERSION } from './store/sqlite/schema.js';
export { normalizeUrl } from './url/normalize.js';
