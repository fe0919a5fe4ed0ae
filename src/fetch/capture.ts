/**
 * What went over the wire for one request, gathered for the WARC writer: the request head as sent,
 * the status line and headers as received, and the body bytes before any Content-Encoding is undone
 * (capped like the decoded body). Only built when an archive is open, so a crawl without --warc
 * pays nothing for it.
 */
import { Transform, pipeline, type Readable, type TransformCallback } from 'node:stream';
import type { Exchange, Truncation } from '../warc/types.js';

export class Capture {
  private readonly date = new Date();
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  private ended = false;
  private over = false;
  private status = 0;
  private statusText = '';
  private rawHeaders: string[] = [];
  /** Why the body stopped short, when the fetcher knows (a cap, a timeout). */
  reason: Truncation | null = null;
  /** The response record's id, when chosen up front; the page record a sub-resource belongs to. */
  recordId?: string;
  concurrentTo?: string;

  constructor(private readonly url: URL, private readonly requestHead: string, private readonly cap: number) {}

  /** The request head as undici writes it: request line, Host, our headers (origin-form target). */
  static requestHead(url: URL, headers: Record<string, string>): string {
    let s = `GET ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n`;
    for (const k in headers) s += `${k}: ${headers[k]}\r\n`;
    return s + '\r\n';
  }

  response(status: number, statusText: string, rawHeaders: string[]): void {
    this.status = status;
    this.statusText = statusText;
    this.rawHeaders = rawHeaders;
  }

  /**
   * `raw` with a tap that keeps a copy of each chunk. Errors and early destroys pass through
   * (pipeline), so callers treat the result exactly like `raw`.
   */
  tap(raw: Readable): Readable {
    const tap = new Transform({
      transform: (chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) => {
        if (!this.over) {
          if (this.bytes + chunk.length > this.cap) {
            this.over = true;
            this.reason ??= 'length';
          } else {
            this.chunks.push(chunk);
            this.bytes += chunk.length;
          }
        }
        cb(null, chunk);
      },
      flush: (cb: TransformCallback) => {
        this.ended = true;
        cb();
      },
    });
    return pipeline(raw, tap, () => {}) as unknown as Readable;
  }

  /** The exchange, or null when no response arrived. */
  exchange(): Exchange | null {
    if (this.status === 0) return null;
    const complete = this.ended && !this.over;
    return {
      url: this.url.href, date: this.date, requestHead: this.requestHead, status: this.status, statusText: this.statusText,
      rawHeaders: this.rawHeaders, body: this.chunks, bodyBytes: this.bytes,
      truncated: complete ? undefined : (this.reason ?? 'unspecified'),
      ...(this.recordId ? { recordId: this.recordId } : {}), ...(this.concurrentTo ? { concurrentTo: this.concurrentTo } : {}),
    };
  }
}

/**
 * Lower-cased single-string headers from undici's raw [name, value, ...] list (multi-valued joined
 * with ", ", as undici's own parsing does), plus the Set-Cookie values kept apart: joining those
 * with commas would break their Expires dates.
 */
export function headersFromRaw(raw: string[]): { headers: Record<string, string>; setCookie: string[] } {
  const headers: Record<string, string> = {};
  const setCookie: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    const value = raw[i + 1];
    if (name === 'set-cookie') setCookie.push(value);
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { headers, setCookie };
}
