/**
 * The crawl loop, the pipeline's driver: take from the frontier → handle (robots → fetch → parse →
 * callbacks → outbox) → the outbox writes batches, whose links come back to the frontier; until
 * the frontier is empty and nothing is in flight, or a stop is asked for.
 */
import type { StopReason } from '../store/types.js';
import { FLUSH_EVERY_MS } from '../store/outbox.js';
import type { HostState, Next } from '../frontier/ports.js';
import type { FrontierEntry } from '../frontier/types.js';
import type { CrawlContext } from './context.js';
import type { StopController } from './controller.js';
import { handleEntry } from './handle.js';

/**
 * No new fetch starts while the bodies waiting for (or in) the parse pool exceed this: the bound on
 * memory when parsing falls behind. Small pages never reach it; --concurrency bounds them.
 */
const PARSE_BACKLOG_BYTES = 32 * 1024 * 1024;
/** An idle worker of a shared run with nothing to start for longer than this asks what it may claim (Frontier.othersBusy). */
const IDLE_ASK_AFTER_MS = 2_000;

/** Runs the loop until the crawl ends; `background` is other work that may still queue URLs (sitemaps). */
export async function runLoop(ctx: CrawlContext, ctl: StopController, background: { running: number }): Promise<{ reason: StopReason; failure: unknown }> {
  const { frontier, outbox, pool, opts } = ctx;
  let failure: unknown = null;
  const atMaxPages = () => opts.maxPages > 0 && frontier.started >= opts.maxPages;
  const room = () => frontier.inflight < opts.concurrency && pool.pendingBytes < PARSE_BACKLOG_BYTES && !atMaxPages();
  const launch = (h: HostState, entry: FrontierEntry) => {
    frontier.start(h, Date.now());
    handleEntry(ctx, h, entry)
      .then((how) => frontier.finish(h, how), (err) => { failure ??= err; frontier.finish(h, 'abandoned'); })
      .finally(() => ctl.poke());
  };

  for (;;) {
    frontier.tick(Date.now());
    let next: Next = { kind: 'wait', untilMs: null };
    while (!ctl.reason && room() && (next = frontier.next(Date.now())).kind === 'entry') launch(next.host, next.entry);
    failure ??= frontier.failure ?? outbox.failure;
    if (failure) ctl.stop('error');
    if (ctl.reason) frontier.dropQueuedClaims();
    outbox.maybeFlush(frontier.inflight > 0);
    const idle = frontier.inflight === 0 && outbox.idle && !frontier.claiming;
    if (idle && ctl.reason) return { reason: ctl.reason, failure };
    if (idle && atMaxPages()) return { reason: 'max-pages', failure }; // seeds still streaming in are queued by the next run
    if (idle && background.running === 0) {
      if (frontier.empty()) {
        if (!(await frontier.othersBusy(Date.now()))) return { reason: 'finished', failure };
      } else if (next.kind === 'wait' && next.untilMs === null) {
        return { reason: 'finished', failure }; // every host at a limit
      } else if (next.kind === 'wait' && next.untilMs! - Date.now() > IDLE_ASK_AFTER_MS) {
        // Idle, with nothing to start for a while (hosts others hold, or paced far ahead): a shared
        // run's worker asks what it may claim now (every 2 s), rather than sleeping until another
        // worker's lease would end.
        await frontier.othersBusy(Date.now());
      }
    }
    const wait = next.kind === 'wait' && next.untilMs !== null ? next.untilMs - Date.now() : FLUSH_EVERY_MS;
    await ctl.sleep(Math.min(wait, FLUSH_EVERY_MS));
  }
}
