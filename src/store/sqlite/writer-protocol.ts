/**
 * Messages between SqliteBackend (main thread) and the SQLite writer thread, typed per method:
 * a request names a SqliteStore method and carries exactly its arguments; a reply carries its
 * return value, or the error as data (an Error crossing the thread boundary loses its class and `code`).
 */
import type { SqliteStore } from './store.js';

/** workerData of the writer thread. */
export interface WriterInit {
  file: string;
  /** One shared BigInt64 slot: the writer adds the microseconds it spends serving requests. */
  busyUs: SharedArrayBuffer;
}

/**
 * The store methods the writer serves, listed once: SqliteBackend forwards each (as a promise of its
 * answer) and the thread calls it by name.
 */
export const WRITER_METHODS = [
  'lastRun', 'getRun', 'openRun', 'finishRun', 'summarize', 'enqueue', 'enqueueDue', 'queuedByHost', 'claim', 'renew',
  'release', 'requeueExpired', 'write', 'getRobots', 'putRobots', 'loadVerdicts', 'saveVerdicts', 'walAutocheckpoint', 'close',
] as const satisfies readonly (keyof SqliteStore)[];

export type WriterMethod = (typeof WRITER_METHODS)[number];

/** The calls the writer serves, as the store declares them. */
export type WriterCalls = Pick<SqliteStore, WriterMethod>;

/** The same calls seen from the main thread: each answers with a promise. */
export type WriterProxy = { [K in WriterMethod]: (...args: Parameters<WriterCalls[K]>) => Promise<ReturnType<WriterCalls[K]>> };

/** One request: a method and its own argument types. */
export type WriterRequest = { [K in WriterMethod]: { id: number; method: K; args: Parameters<WriterCalls[K]> } }[WriterMethod];

/** What a method's reply carries. */
export type WriterResult<K extends WriterMethod> = ReturnType<WriterCalls[K]>;

/** An error as data: `code` is a crawl ErrorCode (DB_ERROR, ...) when the error had one. */
export interface ErrorData {
  name: string;
  message: string;
  code?: string;
}

export type WriterReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: ErrorData };

/** First message of the thread: the database is open (migrated), or it could not be. */
export type WriterStartup = { ready: true } | { ready: false; error: ErrorData };

export function errorToData(err: unknown): ErrorData {
  const e = err as { name?: unknown; message?: unknown; code?: unknown };
  return {
    name: typeof e?.name === 'string' ? e.name : 'Error',
    message: typeof e?.message === 'string' ? e.message : String(err),
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
  };
}
