/**
 * The live progress line on a terminal (cli-progress). Only on a TTY, never with --no-progress,
 * --quiet or --verbose; it clears itself on exit and around log lines so output is never mangled.
 */
import cliProgress from 'cli-progress';
import type { ProgressEvent } from '../crawler/types.js';
import { formatBytes, formatDuration } from '../units.js';
import type { Logger } from './logger.js';

/** Renders one progress line's payload; pure, so it is tested without a terminal. */
export function progressFields(p: ProgressEvent): Record<string, string | number> {
  const secs = Math.max(p.elapsedMs / 1000, 0.001);
  return {
    pages: p.counters.pages,
    queued: p.queued,
    inflight: p.inflight,
    rate: (p.counters.pages / secs).toFixed(1),
    remaining: eta(p.queued + p.inflight, p.counters.pages / secs),
    errors: p.counters.errors,
    bytes: formatBytes(p.counters.bytes),
    elapsed: formatDuration(p.elapsedMs),
  };
}

export const PROGRESS_FORMAT = '{bar} {pages} pages | {queued} queued | {inflight} in flight | {rate}/s | ETA {remaining} | {errors} errors | {bytes} | {elapsed}';

/**
 * Time left at the current rate for what is queued now ("?" until there is a rate). Links found
 * later make it grow: it is a floor, not a promise.
 */
function eta(left: number, rate: number): string {
  if (left === 0) return '0s';
  return rate > 0 ? formatDuration(Math.round((left / rate) * 1000)) : '?';
}

/** A progress bar bound to a logger's stream. */
export class ProgressBar {
  private readonly bar: cliProgress.SingleBar;
  private active = false;

  constructor(private readonly logger: Logger) {
    this.bar = new cliProgress.SingleBar({
      format: PROGRESS_FORMAT,
      stream: logger.stream as NodeJS.WritableStream,
      hideCursor: false, // a hidden cursor would stay hidden after a second Ctrl-C (immediate exit)
      clearOnComplete: true,
      barsize: 20,
      noTTYOutput: false,
      fps: 8,
    }, cliProgress.Presets.shades_classic);
    logger.beforeWrite = () => { if (this.active) (this.logger.stream as NodeJS.WritableStream).write('\r\x1b[2K'); };
    logger.afterWrite = () => { if (this.active) this.bar.render(); };
  }

  update(p: ProgressEvent): void {
    const total = p.counters.pages + p.queued + p.inflight;
    if (!this.active) { this.bar.start(Math.max(total, 1), p.counters.pages, progressFields(p)); this.active = true; return; }
    this.bar.setTotal(Math.max(total, 1));
    this.bar.update(p.counters.pages, progressFields(p));
  }

  stop(): void {
    if (!this.active) return;
    this.active = false;
    this.bar.stop();
  }
}
