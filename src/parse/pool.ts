/**
 * The parse worker pool: a fixed number of Piscina worker threads running ./worker.js.
 *
 * Each thread holds up to TASKS_PER_THREAD tasks: the one it parses and the next, so it goes
 * straight on to the next page instead of idling until the main thread's event loop gets round
 * to handing it one (on the bench, one-at-a-time left the thread idle ~60% of the time while the
 * main thread wrote to SQLite). Beyond that, tasks wait in a queue of our own.
 *
 * The parse timeout measures parsing, not waiting: each task has a slot in shared arrays where
 * the worker stamps the time it starts parsing and its threadId, and marks the end of parsing; a
 * watchdog terminates the thread of a task whose parse has run longer than the timeout (Piscina
 * replaces it). The other tasks on that thread, not started or parsed but not yet answered, are
 * handed out again: that is why bodies are copied to the threads, never transferred.
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
  /** Module (file URL) building each page's search index entry in the parse threads (Backend.searchIndexer). */
  searchIndexer?: string;
}

/**
 * What `ParsePool.parse` resolves to: the worker's result, or a failure the pool itself saw
 * (PARSE_TIMEOUT: the thread was killed; PARSE_FAILED: the thread crashed, e.g. out of memory).
 * Wider than protocol.ts's ParseResult because a timeout is never produced by a worker.
 */
export type PoolParseResult = ParseResult | { ok: false; code: 'PARSE_TIMEOUT' | 'PARSE_FAILED'; message: string };

/**
 * Young-generation size of each worker. Node's default (two 16 MB semi-spaces) held ~20 MB more
 * RSS per worker on the bench (44 KB pages). With parallel GC helpers 4 MB cost ~7% of the crawl's
 * speed in scavenges; since the launcher runs V8 with --single-threaded-gc (bin/crawl.js) it costs
 * nothing measurable (4 vs 8 MB here and in the writer, with an 8 MB SQLite cache: 1,135 vs 1,145
 * pages/s, peak RSS 196 vs 203 MB, three runs each).
 */
const WORKER_YOUNG_GENERATION_MB = 4;

/**
 * Tasks a thread holds at once (the one being parsed and the ones queued behind it), and their
 * bytes: enough for ~25 ms of parsing, so a thread keeps working while the main thread's event loop
 * is busy (a WAL checkpoint, a burst of responses). Measured with the main thread blocked 20 ms
 * after every 20 results: 2 per thread parsed 550 pages/s, 32 parsed 867.
 */
const TASKS_PER_THREAD = 32;
const BYTES_PER_THREAD = 4 * 1024 * 1024;

interface Queued {
  task: ParseTask;
  settle: (r: PoolParseResult) => void;
  /** Times handed out again after its thread died with it unanswered (another page crashed it). */
  retries: number;
}

/** Sent instead of a result when the task's thread died with it not started or not yet answered: hand it out again. */
const RETRY = Symbol('retry');

/** Runs parse tasks on worker threads. `parse` never rejects; `close` when done. */
export class ParsePool {
  private readonly piscina: Piscina<ParseTask, ParseResult>;
  private readonly workers: number;
  private readonly timeoutMs: number;
  private readonly waiting: Queued[] = [];
  private running = 0;
  /** Body bytes of the tasks handed to Piscina and of those waiting. */
  private handedBytes = 0;
  private waitingBytes = 0;
  private closed = false;
  private readonly startedAt = performance.now();
  /** Microseconds the workers spent inside parse(), summed by the workers themselves. */
  private readonly busyUs = new BigInt64Array(new SharedArrayBuffer(8));
  /** Per task slot: Date.now() when a worker started parsing it; 0 until then, -1 once parsed. */
  private readonly stamps: BigInt64Array;
  private readonly freeSlots: number[];
  /** Per task slot: the threadId of the worker that started parsing it. */
  private readonly threadOf: Int32Array;
  /** Slots of the tasks handed to Piscina. */
  private readonly active = new Set<number>();
  /** Slots whose thread the watchdog terminated for taking too long. */
  private readonly timedOut = new Set<number>();
  private readonly watchdog: NodeJS.Timeout;

  constructor(opts: ParsePoolOptions) {
    if (!Number.isInteger(opts.workers) || opts.workers < 1) throw new RangeError(`workers must be an integer >= 1, got ${opts.workers}`);
    if (!(opts.parseTimeoutMs > 0)) throw new RangeError(`parseTimeoutMs must be > 0, got ${opts.parseTimeoutMs}`);
    if (!(opts.workerMemoryMb > 0)) throw new RangeError(`workerMemoryMb must be > 0, got ${opts.workerMemoryMb}`);
    this.workers = opts.workers;
    this.timeoutMs = opts.parseTimeoutMs;
    const slots = opts.workers * TASKS_PER_THREAD;
    this.stamps = new BigInt64Array(new SharedArrayBuffer(8 * slots));
    this.threadOf = new Int32Array(new SharedArrayBuffer(4 * slots));
    this.freeSlots = Array.from({ length: slots }, (_, i) => i);
    const workerData: ParseWorkerData = {
      stripParams: opts.stripParams, extract: toFileUrl(opts.extract), searchIndexer: opts.searchIndexer,
      busyUs: this.busyUs.buffer as SharedArrayBuffer,
      startStamps: this.stamps.buffer as SharedArrayBuffer, startThreads: this.threadOf.buffer as SharedArrayBuffer,
    };
    this.piscina = new Piscina({
      filename: new URL('./worker.js', import.meta.url).href,
      minThreads: opts.workers,
      maxThreads: opts.workers,
      concurrentTasksPerWorker: TASKS_PER_THREAD,
      resourceLimits: { maxOldGenerationSizeMb: opts.workerMemoryMb, maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
      workerData,
    });
    // A thread that dies between tasks makes Piscina emit 'error'; without a listener that
    // would crash the process. Piscina replaces the thread; tasks see their own failure.
    this.piscina.on('error', () => {});
    // Checks often enough that a timeout overshoots by at most an eighth of itself.
    this.watchdog = setInterval(() => this.abortOverdue(), Math.max(5, Math.min(250, this.timeoutMs / 8)));
    this.watchdog.unref();
  }

  /**
   * Parses one page. `task.body` is copied to the thread (structured clone), and the caller's
   * bytes are kept until the page settles, so a page lost with a thread that another page crashed
   * can be parsed again. Never rejects.
   */
  parse(task: ParseTask): Promise<PoolParseResult> {
    if (this.closed) return Promise.resolve({ ok: false, code: 'PARSE_FAILED', message: 'parse pool is closed' });
    return new Promise((settle) => {
      this.waiting.push({ task, settle, retries: 0 });
      this.waitingBytes += task.body.byteLength;
      this.pump();
    });
  }

  /** Tasks waiting for room on a thread (not yet handed to a worker). */
  get queueSize(): number {
    return this.waiting.length;
  }

  /** Body bytes of the tasks submitted and not yet settled: use for back-pressure. */
  get pendingBytes(): number {
    return this.waitingBytes + this.handedBytes;
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

  /** Thread ids of the live worker threads (proves parsing runs off the main thread). */
  threadIds(): number[] {
    return this.piscina.threads.map((w) => w.threadId);
  }

  /** Stops all threads. Tasks not yet started resolve as PARSE_FAILED. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    for (const q of this.waiting.splice(0)) q.settle({ ok: false, code: 'PARSE_FAILED', message: 'parse pool closed' });
    await this.piscina.destroy();
  }

  private pump(): void {
    while (this.waiting.length && this.hasRoomFor(this.waiting[0]!.task.body.byteLength)) {
      const next = this.waiting.shift()!;
      const bytes = next.task.body.byteLength;
      this.waitingBytes -= bytes;
      this.handedBytes += bytes;
      this.running++;
      void this.runOne(next.task).then((r) => {
        this.running--;
        this.handedBytes -= bytes;
        // Each death was caused by a page that did start; one that never starts is not at fault.
        if (r === RETRY && next.retries < TASKS_PER_THREAD && !this.closed) {
          next.retries++;
          this.waiting.unshift(next);
          this.waitingBytes += bytes;
        } else {
          next.settle(r === RETRY ? { ok: false, code: 'PARSE_FAILED', message: `parse worker exited before parsing ${next.task.url}` } : r);
        }
        this.pump();
      });
    }
  }

  /** A free thread takes any task; busy ones queue up to TASKS_PER_THREAD tasks and BYTES_PER_THREAD. */
  private hasRoomFor(bytes: number): boolean {
    if (this.running < this.workers) return true;
    return this.running < this.workers * TASKS_PER_THREAD && this.handedBytes + bytes <= this.workers * BYTES_PER_THREAD;
  }

  /** Terminates the threads whose current parse has run longer than the timeout (the watchdog). */
  private abortOverdue(): void {
    const now = BigInt(Date.now());
    for (const slot of this.active) {
      const started = Atomics.load(this.stamps, slot);
      if (started <= 0n || now - started <= BigInt(this.timeoutMs) || this.timedOut.has(slot)) continue; // not started, or parsed
      const threadId = Atomics.load(this.threadOf, slot);
      const thread = this.piscina.threads.find((t) => t.threadId === threadId);
      if (!thread) continue;
      this.timedOut.add(slot);
      // Piscina sees the thread exit, fails the tasks it held (the others are handed out again)
      // and starts a replacement.
      void thread.terminate();
    }
  }

  private async runOne(task: ParseTask): Promise<PoolParseResult | typeof RETRY> {
    const slot = this.freeSlots.pop()!;
    Atomics.store(this.stamps, slot, 0n);
    this.active.add(slot);
    try {
      // No AbortSignal: Piscina gives a thread at most one abortable task at a time.
      return await this.piscina.run({ url: task.url, body: task.body, charset: task.charset, slot });
    } catch (err) {
      if (this.timedOut.has(slot)) return { ok: false, code: 'PARSE_TIMEOUT', message: `parsing ${task.url} took longer than ${this.timeoutMs} ms` };
      // Its thread died (another page crashed or timed out on it) before this page started, or after
      // it was parsed but before its result was sent (a thread sends results between pages).
      if (Atomics.load(this.stamps, slot) <= 0n) return RETRY;
      const code = (err as { code?: unknown }).code;
      const why = code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'parse worker ran out of memory' : 'parse worker crashed';
      return { ok: false, code: 'PARSE_FAILED', message: `${why}: ${(err as Error).message ?? String(err)}` };
    } finally {
      this.active.delete(slot);
      this.timedOut.delete(slot);
      this.freeSlots.push(slot);
    }
  }
}

function toFileUrl(extract: string | null): string | null {
  if (!extract) return null;
  return extract.startsWith('file:') ? extract : pathToFileURL(resolve(extract)).href;
}
