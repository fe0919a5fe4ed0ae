/** Reads a response body with a byte cap, keeping or discarding it, without repeated copies. */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

/** What was read. `overflow` means the cap was passed and the stream was destroyed. */
export interface ReadOutcome {
  body: Uint8Array | null;
  bytes: number;
  overflow: boolean;
  /** SHA-256 (hex) of the whole body, when asked for and the cap was not passed. */
  hash?: string;
}

/** A read that failed part-way; `bytes` counts what arrived before the error. */
export class ReadError extends Error {
  constructor(cause: unknown, readonly bytes: number) {
    super('body read failed', { cause });
  }
}

/**
 * Reads `stream` to its end. With `keep`, chunks are collected and concatenated once at the end.
 * When more than `cap` bytes arrive the stream is destroyed at once (a bomb never inflates past
 * one chunk beyond the cap) and the outcome has `overflow: true`, `body: null`.
 * Rejects with ReadError on a stream error. Uses 'data' events: faster than async iteration.
 */
export function readCapped(stream: Readable, cap: number, keep: boolean, hash = false): Promise<ReadOutcome> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const hasher = hash ? createHash('sha256') : null;
    let bytes = 0;
    let done = false;
    const finish = (fn: () => void): void => {
      if (done) return;
      done = true;
      stream.off('data', onData);
      fn();
    };
    const onData = (chunk: Buffer): void => {
      bytes += chunk.length;
      if (bytes > cap) {
        finish(() => resolve({ body: null, bytes, overflow: true }));
        stream.destroy();
        return;
      }
      if (keep) chunks.push(chunk);
      hasher?.update(chunk);
    };
    stream.on('data', onData);
    stream.once('end', () => finish(() => resolve({
      body: keep ? concat(chunks, bytes) : null, bytes, overflow: false, ...(hasher ? { hash: hasher.digest('hex') } : {}),
    })));
    stream.once('error', (err) => finish(() => reject(new ReadError(err, bytes))));
    // A stream destroyed without an error (e.g. by a caller abort) emits only 'close'.
    stream.once('close', () => finish(() => reject(new ReadError(new Error('body stream closed early'), bytes))));
  });
}

/** One allocation for the whole body; a single chunk is returned as-is (no copy). */
function concat(chunks: Buffer[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Reads and throws away at most `cap` bytes so a keep-alive socket can be reused, then destroys
 * the stream if more remain. Never rejects: a failed drain only costs the connection.
 */
export async function drain(stream: Readable, cap: number): Promise<number> {
  try {
    const r = await readCapped(stream, cap, false);
    return r.bytes;
  } catch (err) {
    return err instanceof ReadError ? err.bytes : 0;
  }
}
