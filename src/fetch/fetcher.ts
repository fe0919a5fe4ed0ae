/**
 * The undici-backed fetcher: one GET attempt per call, every outcome recorded as data.
 * Reads top to bottom like the attempt: guard -> request -> headers -> body (decode, cap) -> result.
 */
import type { LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import { Agent, request } from './undici-agent.js';
import { CrawlError, ErrorCodes, type ErrorCode } from '../errors.js';
import { classifyError, errorMessage, isRetryableError, isRetryableStatus, type AbortState } from './classify.js';
import { decodeBody } from './decompress.js';
import { bareHostname, createGuardedLookup, isIpLiteral, isPrivateAddress, normalizedAllow } from './private-guard.js';
import { drain, readCapped, ReadError } from './read-body.js';
import { parseRetryAfter } from './retry-after.js';
import type { FetchRequest, FetchResult, Fetcher, FetcherOptions, OpenedResponse } from './types.js';

/** Accept header: HTML first, but take anything (we sniff untyped and text/plain bodies). */
const ACCEPT = 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.5';
const ACCEPT_ENCODING = 'gzip, deflate, br';
/** Error and redirect bodies are drained (for keep-alive) only up to this much. */
const DRAIN_CAP = 64 * 1024;
/** How long close() lets in-flight requests finish before destroying sockets. */
const CLOSE_GRACE_MS = 1000;

/** Injection points; defaults are the real thing. */
export interface FetcherDeps {
  /**
   * Base DNS lookup (dns.lookup signature) behind the private-network guard. Tests use it to map
   * made-up hostnames (site-a.test) to 127.0.0.1 or to simulate DNS failures.
   */
  lookup?: LookupFunction;
}

/** Media types whose body is kept: HTML, or types the caller must sniff. */
const KEPT_TYPES = new Set(['text/html', 'application/xhtml+xml', 'text/plain', 'application/octet-stream']);

/** undici Agent with keep-alive pools per origin, our timeouts, and the private-network guard. */
export class UndiciFetcher implements Fetcher {
  private readonly agent: Agent;
  private readonly baseHeaders: Record<string, string>;
  /** opts.allowPrivateHost, asked with hosts in one form (IPv6 with or without brackets). */
  private readonly allowPrivateHost: (hostname: string) => boolean;

  constructor(private readonly opts: FetcherOptions, deps: FetcherDeps = {}) {
    this.allowPrivateHost = normalizedAllow(opts.allowPrivateHost);
    this.baseHeaders = { 'user-agent': opts.userAgent, accept: ACCEPT, 'accept-encoding': ACCEPT_ENCODING };
    this.agent = new Agent({
      connections: opts.perHost,
      pipelining: 1,
      connectTimeout: opts.connectTimeoutMs,
      headersTimeout: opts.headersTimeoutMs,
      bodyTimeout: opts.bodyTimeoutMs,
      // Options here go to net.connect / tls.connect; the lookup is where resolved IPs are checked.
      connect: { lookup: createGuardedLookup(this.allowPrivateHost, deps.lookup) },
    });
  }

  /** One GET attempt. Never throws: failures come back as `errorCode` on the result. */
  async fetch(req: FetchRequest): Promise<FetchResult> {
    const t0 = performance.now();
    const r: FetchResult = {
      url: req.url, status: null, headers: {}, contentType: null, charset: null, body: null,
      bytes: 0, location: null, ttfbMs: 0, durationMs: 0, retryable: false,
    };
    const fail = (code: ErrorCode, message: string, retryable = isRetryableError(code)): FetchResult => {
      r.errorCode = code;
      r.errorMessage = message;
      r.retryable = retryable;
      r.durationMs = performance.now() - t0;
      return r;
    };
    let target: URL;
    try {
      target = this.check(req.url);
    } catch (err) {
      const code = err instanceof CrawlError ? err.code : ErrorCodes.NETWORK_ERROR;
      return fail(code, errorMessage(err), false);
    }
    const attempt = this.startAttempt(req.signal);
    try {
      const res = await request(this.agent, {
        origin: target.origin, path: target.pathname + target.search, method: 'GET',
        headers: req.headers ? { ...this.baseHeaders, ...req.headers } : this.baseHeaders,
        signal: attempt.signal,
      });
      r.ttfbMs = performance.now() - t0;
      r.status = res.statusCode;
      r.headers = flattenHeaders(res.headers);
      [r.contentType, r.charset] = parseContentType(r.headers['content-type']);
      const status = res.statusCode;
      if (status >= 300 && status < 400) r.location = r.headers.location ?? null;
      if ((status === 429 || status === 503) && r.headers['retry-after'] !== undefined) {
        r.retryAfterMs = parseRetryAfter(r.headers['retry-after']);
      }
      r.retryable = isRetryableStatus(status);
      const length = contentLength(r.headers);

      if (status < 200 || status >= 300 || status === 204) {
        // Only 2xx bodies matter; drain a little so the socket can be reused, never fail on it.
        if (length !== undefined && length > DRAIN_CAP) discard(res.body);
        else r.bytes = await drain(res.body, DRAIN_CAP);
        if (length !== undefined) r.bytes = length;
      } else {
        const keep = r.contentType === null || KEPT_TYPES.has(r.contentType);
        const encoding = r.headers['content-encoding'];
        if (!keep && length !== undefined) {
          r.bytes = length;
          discard(res.body);
        } else if (length !== undefined && length > this.opts.maxBytes && !encoding) {
          // Announced too large: refuse before reading a byte.
          discard(res.body);
          return fail(ErrorCodes.BODY_TOO_LARGE, `Content-Length ${length} exceeds maxBytes ${this.opts.maxBytes}`);
        } else {
          const decoded = decodeBody(res.body, encoding);
          const out = await readCapped(decoded, this.opts.maxBytes, keep);
          r.bytes = out.bytes;
          if (out.overflow) {
            return fail(ErrorCodes.BODY_TOO_LARGE, `body exceeds maxBytes ${this.opts.maxBytes}`);
          }
          r.body = out.body;
        }
      }
      r.durationMs = performance.now() - t0;
      return r;
    } catch (err) {
      const cause = err instanceof ReadError ? err.cause : err;
      if (err instanceof ReadError) r.bytes = err.bytes;
      return fail(classifyError(cause, attempt.state), errorMessage(cause));
    } finally {
      attempt.dispose();
    }
  }

  /** Opens a response as a decoded stream; the total deadline keeps running until the body ends. */
  async open(req: FetchRequest): Promise<OpenedResponse> {
    const target = this.check(req.url);
    const attempt = this.startAttempt(req.signal);
    const toCrawlError = (err: unknown): CrawlError =>
      err instanceof CrawlError ? err : new CrawlError(classifyError(err, attempt.state), errorMessage(err), { cause: err });
    let res;
    try {
      res = await request(this.agent, {
        origin: target.origin, path: target.pathname + target.search, method: 'GET',
        headers: req.headers ? { ...this.baseHeaders, ...req.headers } : this.baseHeaders,
        signal: attempt.signal,
      });
    } catch (err) {
      attempt.dispose();
      throw toCrawlError(err);
    }
    const headers = flattenHeaders(res.headers);
    let decoded: Readable;
    try {
      decoded = decodeBody(res.body, headers['content-encoding']);
    } catch (err) {
      discard(res.body);
      attempt.dispose();
      throw toCrawlError(err);
    }
    // Re-raise body errors as CrawlErrors (stable codes for the caller); end the deadline with the body.
    async function* mapped(): AsyncGenerator<Buffer> {
      try {
        for await (const chunk of decoded) yield chunk as Buffer;
      } catch (err) {
        throw toCrawlError(err);
      } finally {
        attempt.dispose();
      }
    }
    const status = res.statusCode;
    const body = Readable.from(mapped(), { objectMode: false });
    // A body destroyed before its first read never starts mapped(): release the socket and the deadline here.
    const raw = res.body;
    body.once('close', () => {
      decoded.on('error', () => {}).destroy();
      raw.on('error', () => {}).destroy();
      attempt.dispose();
    });
    return {
      status,
      headers,
      contentType: parseContentType(headers['content-type'])[0],
      location: status >= 300 && status < 400 ? (headers.location ?? null) : null,
      body,
    };
  }

  /** Stops accepting work; in-flight requests get a short grace, then sockets are destroyed. */
  async close(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => { timer = setTimeout(resolve, CLOSE_GRACE_MS); });
    await Promise.race([this.agent.close().catch(() => {}), grace]);
    clearTimeout(timer);
    await this.agent.destroy().catch(() => {});
  }

  /** Validates the URL and refuses private IP literals (they never reach the DNS lookup hook). */
  private check(url: string): URL {
    let target: URL;
    try {
      target = new URL(url);
    } catch (err) {
      throw new CrawlError(ErrorCodes.NETWORK_ERROR, `invalid URL: ${url}`, { cause: err });
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      throw new CrawlError(ErrorCodes.NETWORK_ERROR, `unsupported protocol ${target.protocol}`);
    }
    const host = bareHostname(target.hostname);
    if (isIpLiteral(host) && isPrivateAddress(host) && !this.allowPrivateHost(host)) {
      throw new CrawlError(ErrorCodes.PRIVATE_ADDRESS, `${host} is a private address; not allowed`);
    }
    return target;
  }

  /** One attempt's abort signal: fires on our total deadline or on the caller's signal. */
  private startAttempt(outer: AbortSignal | undefined): { signal: AbortSignal; state: AbortState; dispose(): void } {
    const ctl = new AbortController();
    const state: AbortState = { deadline: false };
    const timer = setTimeout(() => {
      state.deadline = true;
      ctl.abort(new CrawlError(ErrorCodes.TOTAL_TIMEOUT, `attempt exceeded ${this.opts.totalTimeoutMs} ms`));
    }, this.opts.totalTimeoutMs);
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
}

/**
 * Destroys an unread body. undici turns a plain destroy into a RequestAbortedError 'error' event
 * (closing the socket), so a listener must be there or it becomes an uncaught exception.
 */
function discard(body: Readable): void {
  body.on('error', () => {});
  body.destroy();
}

/** undici's header object to lower-cased single strings (multi-valued joined with ", "). */
function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key in raw) {
    const v = raw[key];
    if (v === undefined) continue;
    out[key.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** Splits Content-Type into [media type lower-cased, charset param or null]. */
export function parseContentType(value: string | undefined): [string | null, string | null] {
  if (!value) return [null, null];
  const semi = value.indexOf(';');
  const type = (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase();
  const m = semi === -1 ? null : /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(value.slice(semi));
  const charset = m ? (m[1] ?? m[2] ?? '').trim() || null : null;
  return [type || null, charset];
}

/** Content-Length as a number, or undefined when absent or malformed. */
function contentLength(headers: Record<string, string>): number | undefined {
  const v = headers['content-length'];
  if (v === undefined || !/^\d+$/.test(v.trim())) return undefined;
  return Number(v);
}
