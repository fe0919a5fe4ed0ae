/**
 * Content-Encoding decoding as streams, so a caller can stop a decompression bomb as soon as the
 * output passes its cap: nothing here ever inflates a whole body at once.
 */
import { Readable, Transform, pipeline, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';

/** Thrown (as a stream error) for a Content-Encoding we cannot decode. */
export class UnsupportedEncodingError extends Error {
  readonly code = 'UNSUPPORTED_ENCODING';
  constructor(encoding: string) {
    super(`unsupported Content-Encoding: ${encoding}`);
    this.name = 'UnsupportedEncodingError';
  }
}

// Lenient flushes: many servers cut the gzip trailer or the final deflate block; browsers still
// render what arrived, so we keep decoded output instead of failing on a missing trailer.
const ZLIB_OPTS: zlib.ZlibOptions = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
const BROTLI_OPTS: zlib.BrotliOptions = { finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH };

/**
 * "deflate" means zlib-wrapped deflate (RFC 9110), but many servers send raw deflate. Peeks at the
 * first two bytes: a valid zlib header (CM = 8, header checksum divisible by 31) picks inflate,
 * anything else picks inflateRaw.
 */
export class AutoInflate extends Transform {
  private inner: zlib.Inflate | zlib.InflateRaw | null = null;
  private head: Buffer | null = null;
  private pendingCb: TransformCallback | null = null;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.inner) return this.feed(chunk, cb);
    this.head = this.head ? Buffer.concat([this.head, chunk]) : chunk;
    if (this.head.length < 2) return cb();
    const first = this.head;
    this.head = null;
    this.start(first);
    this.feed(first, cb);
  }

  override _flush(cb: TransformCallback): void {
    if (!this.inner) {
      if (!this.head || this.head.length === 0) return cb();
      this.start(this.head);
      this.inner!.write(this.head);
      this.head = null;
    }
    this.inner!.once('end', () => cb());
    this.inner!.end();
  }

  override _destroy(err: Error | null, cb: (error: Error | null) => void): void {
    this.inner?.destroy();
    cb(err);
  }

  private start(head: Buffer): void {
    const zlibWrapped = (head[0] & 0x0f) === 8 && ((head[0] << 8) | head[1]) % 31 === 0;
    const inner = zlibWrapped ? zlib.createInflate(ZLIB_OPTS) : zlib.createInflateRaw(ZLIB_OPTS);
    inner.on('data', (out: Buffer) => {
      // Backpressure: stop the inner inflater while our reader is full (keeps bombs small in memory).
      if (!this.push(out)) inner.pause();
    });
    inner.on('error', (err) => this.destroy(err));
    inner.on('drain', () => {
      const cb = this.pendingCb;
      this.pendingCb = null;
      cb?.();
    });
    this.inner = inner;
  }

  override _read(size: number): void {
    this.inner?.resume();
    super._read(size);
  }

  private feed(chunk: Buffer, cb: TransformCallback): void {
    if (this.inner!.write(chunk)) cb();
    else this.pendingCb = cb;
  }
}

/** One decoder stream for one Content-Encoding token, or null for identity. */
function decoderFor(token: string): Transform | null {
  switch (token) {
    case 'gzip':
    case 'x-gzip':
      return zlib.createGunzip(ZLIB_OPTS);
    case 'deflate':
      return new AutoInflate();
    case 'br':
      return zlib.createBrotliDecompress(BROTLI_OPTS);
    case 'identity':
    case '':
      return null;
    default:
      throw new UnsupportedEncodingError(token);
  }
}

/**
 * Wraps `raw` in the decoders its Content-Encoding header names. Encodings are listed in the
 * order they were applied, so they are undone last-first ("gzip, br" = br-decode, then gunzip).
 * Returns `raw` itself when there is nothing to decode. Errors of any stage (transport or
 * decoder) surface on the returned stream; destroying it destroys `raw` too.
 * Throws UnsupportedEncodingError for an unknown coding.
 */
export function decodeBody(raw: Readable, contentEncoding: string | undefined | null): Readable {
  if (!contentEncoding) return raw;
  const tokens = contentEncoding.toLowerCase().split(',').map((t) => t.trim()).reverse();
  const decoders = tokens.map(decoderFor).filter((d): d is Transform => d !== null);
  if (decoders.length === 0) return raw;
  const streams: NodeJS.ReadWriteStream[] = decoders;
  // pipeline destroys every stage when any fails or the last one is destroyed early.
  return pipeline(raw, ...(streams as [Transform]), () => {}) as unknown as Readable;
}

/** True when `err` came from a decoder (zlib/brotli data errors, unknown coding), not the network. */
export function isDecodeError(err: unknown): boolean {
  if (err instanceof UnsupportedEncodingError) return true;
  const e = err as { code?: unknown; errno?: unknown } | null;
  return !!e && typeof e.errno === 'number' && typeof e.code === 'string' && /^(Z_|ERR__)/.test(e.code);
}
