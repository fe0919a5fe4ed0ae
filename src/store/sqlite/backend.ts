/**
 * SqliteBackend: the SQLite backend the crawl uses (the default for a file path or sqlite: URL). It
 * holds the run lock (one writing process per database), and hands every port call to a SqliteStore
 * on a thread of its own (./writer-thread.ts), resolving with its answer, so the ~0.6 ms of SQLite
 * work per page (pages, links, frontier, full-text index) does not compete with fetching. Calls are
 * served in the order they are made, one at a time, on one connection.
 */
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { DatabaseError, ErrorCodes } from '../../errors.js';
import type { Backend, OutcomeBatch, WriteResult } from '../types.js';
import type { VerdictStore } from '../types.js';
import { transferableBuffer } from '../../transfer.js';
import { acquireRunLock, type RunLock } from './lock.js';
import {
  WRITER_METHODS, type ErrorData, type WriterCalls, type WriterInit, type WriterMethod, type WriterProxy, type WriterReply,
  type WriterRequest, type WriterResult, type WriterStartup,
} from './writer-protocol.js';

/**
 * Young-generation size of the writer thread: a batch of outcomes is short-lived garbage. As for
 * the parse threads (src/parse/pool.ts), a balance between RSS and time spent in scavenges.
 */
const WRITER_YOUNG_GENERATION_MB = 4;

/** How often the main thread copies the WAL into the database file (a passive checkpoint). */
const CHECKPOINT_EVERY_MS = 100;
/** WAL pages (8 KiB on new databases: 64 MiB) after which the writer checkpoints itself. */
const WRITER_CHECKPOINT_PAGES = 8192;

interface Call {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/** Every store method but `write` and `close` (which move page text and end the thread) is forwarded as is, below the class. */
export interface SqliteBackend extends Omit<WriterProxy, 'write' | 'close' | 'walAutocheckpoint'> {}

export class SqliteBackend implements Backend {
  readonly kind = 'sqlite';
  private readonly calls = new Map<number, Call>();
  private nextId = 1;
  /** Set once the thread is gone: every later call fails with it. */
  private dead: Error | null = null;
  private readonly exited: Promise<void>;
  private readonly startedAt = performance.now();

  /**
   * Takes the run lock of `file`, then opens it (creating and migrating if needed) on a new writer
   * thread; rejects with LockedError or DatabaseError.
   */
  static async open(file: string): Promise<SqliteBackend> {
    const lock = acquireRunLock(file);
    try {
      return await SqliteBackend.openLocked(file, lock);
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  private static async openLocked(file: string, lock: RunLock): Promise<SqliteBackend> {
    const busyUs = new BigInt64Array(new SharedArrayBuffer(8));
    const worker = new Worker(new URL('./writer-thread.js', import.meta.url), {
      workerData: { file, busyUs: busyUs.buffer as SharedArrayBuffer } satisfies WriterInit,
      resourceLimits: { maxYoungGenerationSizeMb: WRITER_YOUNG_GENERATION_MB },
    });
    let onMessage!: (m: WriterStartup) => void, onError!: (e: Error) => void, onExit!: (code: number) => void;
    const startup = await new Promise<WriterStartup>((resolve, reject) => {
      onMessage = resolve;
      onError = reject;
      onExit = (code) => reject(new Error(`the database writer thread exited (code ${code}) while opening ${file}`));
      worker.once('message', onMessage).once('error', onError).once('exit', onExit);
    }).catch((err: Error) => ({ ready: false as const, error: { name: err.name, message: err.message } }));
    // Only our own listeners: removeAllListeners() would also drop the Worker's internal ones.
    worker.off('message', onMessage).off('error', onError).off('exit', onExit);
    if (!startup.ready) {
      await worker.terminate();
      throw toError(startup.error);
    }
    const store = new SqliteBackend(worker, file, busyUs, lock);
    await store.startCheckpoints();
    return store;
  }

  private checkpointer: Database.Database | null = null;
  private checkpointTimer: NodeJS.Timeout | null = null;

  /**
   * Copying the WAL into the database file (a checkpoint) and its fsync took ~30% of the writer
   * thread's time when SQLite did it every 1000 pages of WAL; a passive checkpoint on a connection
   * of the main thread (whose event loop has time to spare) never blocks the writer. The writer
   * still checkpoints once its WAL reaches WRITER_CHECKPOINT_PAGES: by then nearly every frame is
   * copied, and only a checkpoint by the writer lets its next transaction start the WAL over, so
   * the WAL file stays bounded. If the connection cannot be opened, the writer checkpoints as usual.
   */
  private async startCheckpoints(): Promise<void> {
    try {
      this.checkpointer = new Database(this.file, { timeout: 0 });
      await this.call('walAutocheckpoint', WRITER_CHECKPOINT_PAGES);
    } catch {
      this.checkpointer?.close();
      this.checkpointer = null;
      return;
    }
    this.checkpointTimer = setInterval(() => {
      try { this.checkpointer?.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy or I/O: the next one catches up */ }
    }, CHECKPOINT_EVERY_MS);
    this.checkpointTimer.unref();
  }

  private constructor(private readonly worker: Worker, readonly file: string, private readonly busyUs: BigInt64Array, private readonly lock: RunLock) {
    worker.on('message', (reply: WriterReply) => {
      const call = this.calls.get(reply.id);
      if (!call) return;
      this.calls.delete(reply.id);
      if (reply.ok) call.resolve(reply.value);
      else call.reject(toError(reply.error));
    });
    worker.on('error', (err) => this.fail(new DatabaseError(`database ${file}: the writer thread failed: ${err.message}`, { cause: err })));
    this.exited = new Promise((resolve) => worker.once('exit', () => {
      this.fail(new DatabaseError(`database ${file}: the writer thread stopped`));
      resolve();
    }));
  }

  get location(): string { return this.file; }

  readonly verdicts: VerdictStore = { loadVerdicts: () => this.call('loadVerdicts'), saveVerdicts: (rows) => this.call('saveVerdicts', rows) };

  /** Share of the writer thread's time spent serving requests since it opened, 0..1, as it measures itself. */
  utilization(): number {
    const ms = performance.now() - this.startedAt;
    return ms > 0 ? Math.min(1, Number(Atomics.load(this.busyUs, 0)) / 1000 / ms) : 0;
  }

  /**
   * Writes one batch in one transaction on the writer thread. Page text moves there, not copied:
   * the caller does not read an outcome once it is handed over.
   */
  write(batch: OutcomeBatch): Promise<WriteResult> {
    const texts = new Set<ArrayBuffer>();
    for (const o of batch.outcomes) {
      const buffer = o.content ? transferableBuffer(o.content.text) : null;
      if (buffer) texts.add(buffer);
    }
    return this.send({ id: this.nextId++, method: 'write', args: [batch] }, [...texts]);
  }

  /** Closes the database, ends the thread and releases the run lock. */
  async close(): Promise<void> {
    let failure: unknown = null;
    if (!this.dead) {
      await this.call('close').catch((err) => { failure ??= err; });
      await Promise.race([this.exited, new Promise((r) => setTimeout(r, 1000).unref())]);
    }
    await this.worker.terminate();
    // Last: the last connection to close folds the WAL into the database file and removes it.
    if (this.checkpointTimer) clearInterval(this.checkpointTimer);
    this.checkpointer?.close();
    this.checkpointer = null;
    this.lock.release();
    if (failure) throw failure;
  }

  private call<K extends WriterMethod>(method: K, ...args: Parameters<WriterCalls[K]>): Promise<WriterResult<K>> {
    return this.send({ id: this.nextId++, method, args } as WriterRequest, []);
  }

  private send<T>(req: WriterRequest, transfer: ArrayBuffer[]): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise<T>((resolve, reject) => {
      this.calls.set(req.id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage(req, transfer);
    });
  }

  private fail(err: Error): void {
    this.dead ??= err;
    for (const c of this.calls.values()) c.reject(this.dead);
    this.calls.clear();
  }
}

// The generic proxy: each writer method not defined above asks the thread by name.
for (const method of WRITER_METHODS) {
  if (Object.prototype.hasOwnProperty.call(SqliteBackend.prototype, method) || method === 'walAutocheckpoint') continue;
  Object.defineProperty(SqliteBackend.prototype, method, {
    value(this: { call(m: WriterMethod, ...a: unknown[]): Promise<unknown> }, ...args: unknown[]) { return this.call(method, ...args); },
    writable: true, configurable: true,
  });
}

/** An error from the writer, as the class the crawl's exit codes know. */
function toError(e: ErrorData): Error {
  if (e.code === ErrorCodes.DB_ERROR) return new DatabaseError(e.message);
  const err = new Error(e.message);
  err.name = e.name;
  if (e.code) (err as Error & { code?: string }).code = e.code;
  return err;
}
