/** Everything the per-URL pipeline needs, built once per run by crawl(). */
import type { ResolvedOptions } from '../options/options.js';
import type { Fetcher } from '../fetch/types.js';
import type { ParsePool } from '../parse/pool.js';
import type { RobotsGate } from '../polite/robots-gate.js';
import type { RobotsPolicy } from '../polite/robots.js';
import type { CrawlFrontier } from '../frontier/ports.js';
import type { Scope } from '../url/scope.js';
import type { NormalizeRules } from '../url/normalize.js';
import type { Outbox } from '../store/outbox.js';
import type { CrawlHooks } from './types.js';
import type { HostHealth } from './host-health.js';
import type { RenderStage } from '../render/stage.js';

export interface CrawlContext {
  opts: ResolvedOptions;
  rules: NormalizeRules;
  fetcher: Fetcher;
  pool: ParsePool;
  /** null with --ignore-robots. */
  robots: RobotsPolicy | null;
  gate: RobotsGate;
  robotsToken: string;
  /** The frontier through its crawler-facing interfaces only (../frontier/ports.ts). */
  frontier: CrawlFrontier;
  scope: Scope;
  outbox: Outbox;
  hooks: CrawlHooks;
  /** Aborted when a graceful stop's grace period runs out: in-flight fetches end, unrecorded. */
  hardStop: AbortSignal;
  /** Hosts failing at the connection level, and those down for the run. */
  health: HostHealth;
  /** Attempts so far of URLs being retried (removed when they settle). */
  attempts: Map<number, number>;
  /** Redirect chain leading to each queued redirect target (for loop detection; removed when handled). */
  chains: Map<string, string[]>;
  /** The render stage (--render auto or always); unset with --render never. */
  render?: RenderStage;
}
