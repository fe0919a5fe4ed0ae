/**
 * Messages between ThreadedStore (main thread) and the SQLite writer thread. Every Store method
 * is one request; replies carry the value, or the error as data (an Error crossing the thread
 * boundary loses its class and `code`).
 */
import type { Store } from '../types.js';

/** workerData of the writer thread. */
export interface WriterInit {
  file: string;
  /** One shared BigInt64 slot: the writer adds the microseconds it spends serving requests. */
  busyUs: SharedArrayBuffer;
}

/**
 * The Store methods the writer thread serves ('flush' carries the batch of recorded outcomes), and
 * 'walAutocheckpoint' (the writer's WAL auto-checkpoint threshold, in pages).
 */
export type WriterMethod = Exclude<keyof Store, 'record' | 'pending'> | 'walAutocheckpoint';

export interface WriterRequest {
  id: number;
  method: WriterMethod;
  args: unknown[];
}

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
