/** Everything the per-URL pipeline needs, built once per run by crawl(). */
import type { ResolvedOptions } from '../options.js';
import type { Fetcher } from '../fetch/types.js';
import type { ParsePool } from '../parse/pool.js';
import type { RobotsPolicy } from '../polite/robots.js';
import type { Scheduler } from '../frontier/scheduler.js';
import type { Scope } from '../url/scope.js';
import type { NormalizeRules } from '../url/normalize.js';
import type { RunCounters, Store } from '../store/types.js';
import type { CrawlHooks } from './types.js';

export interface CrawlContext {
  opts: ResolvedOptions;
  rules: NormalizeRules;
  store: Store;
  fetcher: Fetcher;
  pool: ParsePool;
  robots: RobotsPolicy | null;
  robotsToken: string;
  scheduler: Scheduler;
  scope: Scope;
  counters: RunCounters;
  hooks: CrawlHooks;
  /** Aborted when a graceful stop's grace period runs out: in-flight fetches end, unrecorded. */
  hardStop: AbortSignal;
  /** Attempts so far of URLs being retried (removed when they settle). */
  attempts: Map<number, number>;
  /** Redirect chain leading to each queued redirect target (for loop detection; removed when handled). */
  chains: Map<string, string[]>;
  /** Called when the store's batch is full. */
  flush: () => Promise<void>;
}
