/** Run lifecycle: resume an interrupted run, or start a new one that refreshes what is due. */
import { createHash } from 'node:crypto';
import { redactOptions, type ResolvedOptions } from '../options/options.js';
import { originOf, seedBatches, type SeedScan } from '../frontier/seeds.js';
import type { Backend, RunMode } from '../store/types.js';
import { hostOf } from '../url/host.js';

/**
 * Seeds are queued this many at a time (one round trip each). A seed file goes on streaming while
 * the crawl runs; small batches let the frontier's claims through between them.
 */
const SEED_BATCH = 2_000;
/** Up to this many seeds are kept in runs.options as a list; larger seed sets only by count and digest. */
const SEEDS_LISTED = 1_000;

/** The run's seeds: a list (library) and/or a validated seed file, streamed. */
export interface SeedInput {
  list: string[];
  scan?: SeedScan;
}

export interface OpenedRun {
  runId: number;
  mode: RunMode;
  resumed: boolean;
  /** Seeds given to this process (0 when it only resumes or refreshes). */
  seedCount: number;
  /** Origins of the seeds that define the scope: this call's, or the run's before. */
  scopeOrigins: string[];
  /** Things the user should know (e.g. seeds that differ from the resumed run's). */
  notices: string[];
  /**
   * Queues the rest of a large seed file (the first batch is queued already) until done or until
   * `stopped()` says the crawl ended; null when nothing is left.
   */
  moreSeeds: ((stopped: () => boolean) => Promise<void>) | null;
}

/** What runs.options records of the seeds. */
interface RecordedSeeds { seeds?: string[]; seedCount?: number; seedDigest?: string; seedFile?: string; seedOrigins?: string[] }

/**
 * An interrupted (or crashed: still "running") last run is resumed: same frontier, claimed entries
 * requeued (--fresh starts over instead). Otherwise a new run starts: unfetched entries carry over,
 * seeds are queued again, and pages whose last success is older than --recrawl-after are queued for
 * a conditional refetch.
 */
export async function openRun(backend: Backend, opts: ResolvedOptions, input: SeedInput, owner: string): Promise<OpenedRun> {
  const given = describe(input);
  const seeding = input.list.length > 0 || input.scan !== undefined;
  const opened = await backend.openRun({ optionsJson: JSON.stringify(recordable(opts, input.list, given)), owner, fresh: opts.fresh, seeding });
  const resumed = opened.mode !== 'started';
  const before = opened.previous ? recorded(opened.previous.options) : undefined;
  const notices: string[] = [];
  if (resumed && given.seedCount && before && before.seedDigest !== given.seedDigest) {
    notices.push(`resuming run ${opened.run.id}, which started from other seeds (${before.seedCount ?? 0}); the new seeds (${given.seedCount}) are added to it. To start over with only the new seeds, add --fresh`);
  }
  for (let i = 0; i < input.list.length; i += SEED_BATCH) {
    await backend.enqueue(input.list.slice(i, i + SEED_BATCH).map(seedItem));
  }
  let moreSeeds: OpenedRun['moreSeeds'] = null;
  // Shared runs are not done until every seed is queued (the backend records it).
  const seedsQueued = async () => { if (seeding) await backend.seedsQueued?.(opened.run.id, owner); };
  if (input.scan) {
    const batches = seedBatches(input.scan.file, { stripParams: opts.stripParams }, SEED_BATCH);
    const first = await batches.next();
    if (!first.done) await backend.enqueue(first.value.map(seedItem));
    moreSeeds = async (stopped) => {
      for await (const b of batches) {
        if (stopped()) return; // seeds not queued now are queued again by the next run
        await backend.enqueue(b.map(seedItem));
      }
      await seedsQueued();
    };
  } else {
    await seedsQueued();
  }
  if (opened.previous && !resumed) {
    const now = new Date();
    await backend.enqueueDue(new Date(now.getTime() - opts.recrawlAfterMs).toISOString(), opts.adaptiveRecrawl, now.toISOString());
  }
  const scopeOrigins = given.seedCount ? given.seedOrigins : before?.seedOrigins ?? [];
  return { runId: opened.run.id, mode: opened.mode, resumed, seedCount: given.seedCount, scopeOrigins, notices, moreSeeds };
}

function seedItem(url: string) {
  return { url, host: hostOf(url), depth: 0, source: 'seed' as const };
}

/** Count, digest and hosts of the seeds given (the digest of a list is that of the same file). */
function describe(input: SeedInput): Required<Pick<RecordedSeeds, 'seedCount' | 'seedDigest' | 'seedOrigins'>> {
  const hash = createHash('sha256');
  const origins = new Set(input.scan?.origins ?? []);
  for (const url of input.list) { hash.update(url).update('\n'); origins.add(originOf(url)); }
  const seedDigest = input.scan && !input.list.length ? input.scan.sha256 : hash.digest('hex');
  return { seedCount: input.list.length + (input.scan?.count ?? 0), seedDigest, seedOrigins: [...origins] };
}

/** The options as stored in runs.options: patterns as strings, seeds by count and digest (and listed when few). */
function recordable(opts: ResolvedOptions, list: string[], given: ReturnType<typeof describe>): Record<string, unknown> {
  return {
    ...redactOptions(opts), seeds: list.length <= SEEDS_LISTED ? list : [], ...given, ...(opts.urls ? { seedFile: opts.urls } : {}),
    include: opts.include.map(String), exclude: opts.exclude.map(String),
  };
}

/** What a run recorded of its seeds (older runs listed them all). */
function recorded(optionsJson: string): RecordedSeeds | undefined {
  try {
    const o = JSON.parse(optionsJson) as RecordedSeeds;
    const seeds = Array.isArray(o.seeds) ? o.seeds.filter((x): x is string => typeof x === 'string') : [];
    if (o.seedOrigins) return o;
    if (!seeds.length) return undefined;
    return { ...describe({ list: seeds }), seeds };
  } catch {
    return undefined;
  }
}
