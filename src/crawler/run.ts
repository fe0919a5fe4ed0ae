/** Run lifecycle: resume an interrupted run, or start a new one that refreshes what is due. */
import type { ResolvedOptions } from '../options.js';
import type { Backend, RunMode } from '../store/types.js';
import { hostOf } from '../url/host.js';

/** Seeds are queued this many at a time (one round trip each). */
const SEED_BATCH = 10_000;

export interface OpenedRun {
  runId: number;
  mode: RunMode;
  resumed: boolean;
  seeds: string[];
  /** Seeds recorded by the run before (scope when a run is resumed or refreshed without seeds). */
  previousSeeds: string[];
  /** Things the user should know (e.g. seeds that differ from the resumed run's). */
  notices: string[];
}

/**
 * An interrupted (or crashed: still "running") last run is resumed: same frontier, claimed entries
 * requeued (--fresh starts over instead). Otherwise a new run starts: unfetched entries carry over,
 * seeds are queued again, and pages whose last success is older than --recrawl-after are queued for
 * a conditional refetch.
 */
export async function openRun(backend: Backend, opts: ResolvedOptions, seeds: string[], owner: string): Promise<OpenedRun> {
  const opened = await backend.openRun({ optionsJson: JSON.stringify(recordable(opts, seeds)), owner, fresh: opts.fresh });
  const resumed = opened.mode !== 'started';
  const previousSeeds = opened.previous ? recordedSeeds(opened.previous.options) : [];
  const notices: string[] = [];
  if (resumed && seeds.length && !sameSet(seeds, previousSeeds)) {
    notices.push(`resuming run ${opened.run.id}, which started from other seeds (${previousSeeds.length}); the new seeds (${seeds.length}) are added to it. To start over with only the new seeds, add --fresh`);
  }
  for (let i = 0; i < seeds.length; i += SEED_BATCH) {
    await backend.enqueue(seeds.slice(i, i + SEED_BATCH).map((url) => ({ url, host: hostOf(url), depth: 0, source: 'seed' as const })));
  }
  if (opened.previous && !resumed) {
    const now = new Date();
    await backend.enqueueDue(new Date(now.getTime() - opts.recrawlAfterMs).toISOString(), opts.adaptiveRecrawl, now.toISOString());
  }
  return { runId: opened.run.id, mode: opened.mode, resumed, seeds, previousSeeds, notices };
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

function sameSet(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(b);
  return a.every((x) => set.has(x));
}
