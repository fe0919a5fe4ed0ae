/** Run lifecycle: resume an interrupted run, or start a new one that refreshes what is due. */
import type { ResolvedOptions } from '../options.js';
import { emptyCounters, type RunCounters, type Store } from '../store/types.js';
import { hostOf } from './sniff.js';

export interface OpenedRun {
  runId: number;
  resumed: boolean;
  counters: RunCounters;
  seeds: string[];
  /** Seeds recorded by the previous run (scope when a run is resumed without seeds). */
  previousSeeds: string[];
  queued: Map<string, number>;
}

/**
 * An interrupted (or crashed: still "running") last run is resumed: same frontier, claimed entries
 * requeued. Otherwise a new run starts: unfetched entries carry over, seeds are queued again, and
 * pages whose last success is older than --recrawl-after are queued for a conditional refetch.
 */
export async function openRun(store: Store, opts: ResolvedOptions, seeds: string[]): Promise<OpenedRun> {
  const last = await store.lastRun();
  const previousSeeds = last ? recordedSeeds(last.options) : [];
  let runId: number, resumed: boolean, counters: RunCounters;
  if (last && (last.status === 'running' || last.status === 'interrupted')) {
    await store.resumeRun(last.id);
    runId = last.id;
    resumed = true;
    counters = last.counters;
  } else {
    runId = await store.startRun(JSON.stringify(recordable(opts, seeds)));
    resumed = false;
    counters = emptyCounters();
  }
  await store.enqueue(seeds.map((url) => ({ url, host: hostOf(url), depth: 0, source: 'seed' as const })));
  if (last && !resumed) {
    const now = new Date();
    await store.enqueueDue(new Date(now.getTime() - opts.recrawlAfterMs).toISOString(), opts.adaptiveRecrawl, now.toISOString());
  }
  return { runId, resumed, counters, seeds, previousSeeds, queued: await store.queuedByHost() };
}

/** The options as stored in runs.options (patterns as strings). */
function recordable(opts: ResolvedOptions, seeds: string[]): Record<string, unknown> {
  return { ...opts, seeds, include: opts.include.map(String), exclude: opts.exclude.map(String) };
}

function recordedSeeds(optionsJson: string): string[] {
  try {
    const s = (JSON.parse(optionsJson) as { seeds?: unknown }).seeds;
    return Array.isArray(s) ? s.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}
