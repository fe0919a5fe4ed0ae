/**
 * When the crawl stops: a stop asked for (signal, --max-time, a library AbortSignal, an error)
 * ends intake at once and in-flight work gets STOP_GRACE_MS before it is abandoned (refetched on
 * resume). Also the loop's sleep, which any settled piece of work cuts short (poke).
 */
import type { StopReason } from '../store/types.js';

/** How long in-flight work may take to finish after a stop is asked for. */
export const STOP_GRACE_MS = 10_000;

export class StopController {
  /** Why a stop was asked for, or null while running. */
  reason: StopReason | null = null;
  /** Aborted when the grace period runs out. */
  readonly hard = new AbortController();
  private wake: (() => void) | null = null;
  private readonly maxTimer: NodeJS.Timeout | undefined;
  private readonly onAbort: () => void;

  constructor(maxTimeMs: number, private readonly signal: AbortSignal | undefined) {
    // The CLI aborts with reason 'signal' (SIGINT/SIGTERM); any other abort is a library caller's.
    this.onAbort = () => this.stop(signal?.reason === 'signal' ? 'signal' : 'aborted');
    signal?.addEventListener('abort', this.onAbort, { once: true });
    if (signal?.aborted) this.onAbort();
    this.maxTimer = maxTimeMs ? setTimeout(() => this.stop('max-time'), maxTimeMs) : undefined;
  }

  /** Asks for a stop (the first reason wins). */
  stop(reason: StopReason): void {
    if (this.reason) return;
    this.reason = reason;
    this.poke();
    setTimeout(() => { this.hard.abort(); this.poke(); }, STOP_GRACE_MS).unref();
  }

  /** Ends a sleep early. */
  poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Sleeps up to `ms`, or until poked. */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => { this.wake = null; resolve(); }, Math.max(1, ms));
      this.wake = () => { clearTimeout(t); resolve(); };
    });
  }

  /** A stop that leaves the run resumable (not finished, not failed). */
  get resumable(): boolean {
    return this.reason === 'signal' || this.reason === 'max-time' || this.reason === 'aborted';
  }

  dispose(): void {
    clearTimeout(this.maxTimer);
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}
