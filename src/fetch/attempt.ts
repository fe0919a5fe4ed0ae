/** One fetch attempt's abort signal and the disposal of unread bodies. */
import type { Readable } from 'node:stream';
import { CrawlError, ErrorCodes } from '../errors.js';
import type { AbortState } from './classify.js';

/** One attempt's abort signal: fires on the total deadline (`totalMs`) or on the caller's signal. */
export function startAttempt(outer: AbortSignal | undefined, totalMs: number): { signal: AbortSignal; state: AbortState; dispose(): void } {
  const ctl = new AbortController();
  const state: AbortState = { deadline: false };
  const timer = setTimeout(() => {
    state.deadline = true;
    ctl.abort(new CrawlError(ErrorCodes.TOTAL_TIMEOUT, `attempt exceeded ${totalMs} ms`));
  }, totalMs);
  const onOuter = (): void => ctl.abort(outer?.reason);
  if (outer) {
    if (outer.aborted) onOuter();
    else outer.addEventListener('abort', onOuter, { once: true });
  }
  return {
    signal: ctl.signal,
    state,
    dispose: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuter);
    },
  };
}

/**
 * Destroys an unread body. undici turns a plain destroy into a RequestAbortedError 'error' event
 * (closing the socket), so a listener must be there or it becomes an uncaught exception.
 */
export function discard(body: Readable): void {
  body.on('error', () => {});
  body.destroy();
}
