/**
 * crawl as a library:
 *   import { crawl } from 'crawl';
 *   const summary = await crawl({ seeds: ['https://example.com/'], db: 'data/example.db' }, { onPage, onError, onLink, signal });
 */
export { crawl, runCrawl, normalizeSeeds } from './crawler/crawl.js';
export type { CrawlHooks, RunSummary, PageEvent, UrlErrorEvent, LinkEvent, ProgressEvent } from './crawler/types.js';
export { OPTION_SPECS, resolveOptions, type CrawlOptions, type ResolvedOptions, type OptionSpec } from './options.js';
export { CrawlError, BadInputError, LockedError, DatabaseError, ErrorCodes, EXIT, type ErrorCode } from './errors.js';
export type { Store, RunCounters, PageChange, StopReason, RunStatus } from './store/types.js';
export { SqliteStore } from './store/sqlite/store.js';
export { SCHEMA_VERSION } from './store/sqlite/schema.js';
export { normalizeUrl } from './url/normalize.js';
