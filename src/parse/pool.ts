/**
 * The parse worker pool: a fixed number of Piscina worker threads running ./worker.js.
 *
 * Why a small queue of our own in front of Piscina: the parse timeout must measure parsing,
 * not waiting. An AbortSignal given to Piscina starts ticking at submission, so a page stuck
 * behind a slow one would time out in the queue. Tasks are therefore handed to Piscina only
 * when a thread is free, and the timer starts then.
 */

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import type { ParseResult, ParseTask, ParseWorkerData } from './protocol.js';

/** Settings of a ParsePool. */
export interface ParsePoolOptions {
  /** Number of worker threads (started up front and kept). */
  workers: number;
  /** A page whose parse takes longer is PARSE_TIMEOUT; its thread is terminated and replaced. */
  parseTimeoutMs: number;
  /** Old-generation heap limit of each worker; a page that blows it is PARSE_FAILED. */
  workerMemoryMb: number;
  /** Query parameters stripped from links (see src/url/normalize.ts). */
  stripParams: string[];
  /** Custom extractor module: a file path or a file: URL, or null. */
  extract: string | null;
}

/**
 * What `ParsePool.parse` resolves to: the worker's result, or a failure the pool itself saw
 * (PARSE_TIMEOUT: the thread was killed; PARSE_FAILED: the thread crashed, e.g. out of memory).
 * Wider than protocol.ts's ParseResult because a timeout is never produced by a worker.
 */
export type PoolParseResult = ParseResult | { ok: false; code: 'PARSE_TIMEOUT' | 'PARSE_FAILED'; message: string };

/**
 * Young-generation size of each worker. Node's default (two 16 MB semi-spaces) held ~40 MB more
 * RSS per worker than this on the bench (44 KB pages), for no measurable parse speed-up: a page's
 * DOM is short-lived garbage either way.
 */
const WORKER_YOUNG_GENERATION_MB = 4;

interface Queued {
  task: ParseTask;
  settle: (r: PoolParseResult) => void;
}

/** Runs parse tasks on worker threads. `parse` never rejects; `close` when done. */
export class ParsePool {
  private readonly piscina: Piscina<ParseTask, ParseResult>;
  private readonly workers: number;
  private readonly timeoutMs: number;
  private readonly waiting: Queued[] = [];
  private running = 0;
  private closed = false;
  private readonly startedAt = performance.now();
  /** Sum of (settle - dispatch) over finished tasks, ms. */
  private occupiedMs = 0;
  /** Microseconds the workers spent inside parse(), summed by the workers themselves. */
  private readonly busyUs = new BigInt64Array(new SharedArrayBuffer(8));

  constructor(opts: ParsePoolOptions) {
    if (!Number.isInteger(opts.workers) || opts.workers < 1) throw new RangeError(`workers must be an integer >= 1, got ${opts.workers}`);
    if (!(opts.parseTimeoutMs > 0)) throw new RangeError(`parseTimeoutMs must be > 0, got ${opts.parseTimeoutMs}`);
    if (!(opts.workerMemoryMb > 0)) throw new RangeError(`workerMemoryMb must be > 0, got ${opts.workerMemoryMb}`);
    this.workers = opts.workers;
    this.timeoutMs = opts.parseTimeoutMs;
    const workerData: ParseWorkerData = { stripParams: opts.stripParams, extract: toFileUrl(opts.extract), busyUs: this.busyUs.buffer as SharedArrayBuffer };
    this.piscina = new Piscina({
      filename: new URL('./worker.js', import.meta.url).href,
      minThreads: opts.workers,
      maxThreads: opts.workers,
      resourceLimits: { maxOldGenerationSizeMb: opts.workerMemoryMb, maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
      workerData,
    });
    // A thread that dies between tasks makes Piscina emit 'error'; without a listener that
    // would crash the process. Piscina replaces the thread; tasks see their own failure.
    this.piscina.on('error', () => {});
  }

  /**
   * Parses one page. `task.body`'s memory is transferred to the worker (the caller's view is
   * detached afterwards) unless it shares its ArrayBuffer with other data (Node's Buffer
   * pool), in which case it is copied first. Never rejects.
   */
  parse(task: ParseTask): Promise<PoolParseResult> {
    if (this.closed) return Promise.resolve({ ok: false, code: 'PARSE_FAILED', message: 'parse pool is closed' });
    return new Promise((settle) => {
      this.waiting.push({ task, settle });
      this.pump();
    });
  }

  /** Tasks waiting for a free thread (not yet handed to a worker). */
  get queueSize(): number {
    return this.waiting.length;
  }

  /** Tasks submitted and not yet settled (waiting + running): use for back-pressure. */
  get pending(): number {
    return this.waiting.length + this.running;
  }

  /**
   * Share of the worker threads' time spent parsing since the pool started, 0..1, as the workers
   * measure it themselves. (Not taken from Piscina: piscina 5.3's `utilization` divides by 1000
   * once too often.)
   */
  get utilization(): number {
    const capacity = (performance.now() - this.startedAt) * this.workers;
    return capacity > 0 ? Math.min(1, Number(Atomics.load(this.busyUs, 0)) / 1000 / capacity) : 0;
  }

  /**
   * Share of the threads' time during which they held a task, 0..1: parsing, plus handing the
   * page over and the result back (which waits for the main thread's event loop). Well above
   * `utilization` means the threads wait on the main thread, not the other way round.
   */
  get occupancy(): number {
    const capacity = (performance.now() - this.startedAt) * this.workers;
    return capacity > 0 ? Math.min(1, this.occupiedMs / capacity) : 0;
  }

  /** Thread ids of the live worker threads (proves parsing runs off the main thread). */
  threadIds(): number[] {
    return this.piscina.threads.map((w) => w.threadId);
  }

  /** Stops all threads. Tasks not yet started resolve as PARSE_FAILED. */
  async close(): Promise<void> {
    this.closed = true;
    for (const q of this.waiting.splice(0)) q.settle({ ok: false, code: 'PARSE_FAILED', message: 'parse pool closed' });
    await this.piscina.destroy();
  }

  private pump(): void {
    while (this.running < this.workers && this.waiting.length) {
      const next = this.waiting.shift()!;
      this.running++;
      const dispatched = performance.now();
      void this.runOne(next.task).then((r) => {
        this.running--;
        this.occupiedMs += performance.now() - dispatched;
        next.settle(r);
        this.pump();
      });
    }
  }

  private async runOne(task: ParseTask): Promise<PoolParseResult> {
    const body = ownBuffer(task.body);
    // Aborting a running task makes Piscina terminate its thread and start a new one.
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), this.timeoutMs);
    try {
      return await this.piscina.run({ url: task.url, body, charset: task.charset }, { transferList: [body.buffer as ArrayBuffer], signal: timeout.signal });
    } catch (err) {
      if (timeout.signal.aborted) return { ok: false, code: 'PARSE_TIMEOUT', message: `parsing ${task.url} took longer than ${this.timeoutMs} ms` };
      const code = (err as { code?: unknown }).code;
      const why = code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'parse worker ran out of memory' : 'parse worker crashed';
      return { ok: false, code: 'PARSE_FAILED', message: `${why}: ${(err as Error).message ?? String(err)}` };
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * A Uint8Array that owns its whole ArrayBuffer, safe to transfer. A view on part of a larger
 * buffer (Node's 8 KB Buffer pool) or on a SharedArrayBuffer is copied: transferring it would
 * detach memory that other Buffers still use.
 */
function ownBuffer(body: Uint8Array): Uint8Array {
  const whole = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength;
  if (whole && !(body.buffer instanceof SharedArrayBuffer)) return body;
  return new Uint8Array(body);
}

function toFileUrl(extract: string | null): string | null {
  if (!extract) return null;
  return extract.startsWith('file:') ? extract : pathToFileURL(resolve(extract)).href;
}
