/**
 * The undici-backed fetcher: one GET attempt per call, every outcome recorded as data.
 * Reads top to bottom like the attempt: guard -> request -> headers -> body (decode, cap) -> result.
 */
import type { LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import type { Agent as UndiciAgent, Dispatcher } from 'undici';
import { Agent, request } from './undici-agent.js';
import { Capture, headersFromRaw } from './capture.js';
import { createProxyAgent, proxyInEffect } from './proxy.js';
import type { RequestSettings } from './request-settings.js';
import type { ArchiveSink, Conversion, WarcLocation } from '../warc/types.js';
import { recordId } from '../warc/record.js';
import { CrawlError, ErrorCodes, type ErrorCode } from '../errors.js';
import { classifyError, errorMessage, isRetryableError, isRetryableStatus } from './classify.js';
import { decodeBody } from './decompress.js';
import { discard, startAttempt } from './attempt.js';
import { bareHostname, createGuardedLookup, isIpLiteral, isPrivateAddress, normalizedAllow } from './private-guard.js';
import { drain, readCapped, ReadError } from './read-body.js';
import { parseRetryAfter } from './retry-after.js';
import { contentLength, flattenHeaders, parseContentType } from './headers.js';

export { parseContentType } from './headers.js';
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
  /** Headers, auth and cookies per request (request-settings.ts). */
  settings?: RequestSettings;
  /** Where every exchange is archived (the WARC writer); closed by close(). */
  archive?: ArchiveSink;
}

/** Media types whose body is kept: HTML, or types the caller must sniff. */
const KEPT_TYPES = new Set(['text/html', 'application/xhtml+xml', 'text/plain', 'application/octet-stream']);

/** undici Agent with keep-alive pools per origin, our timeouts, and the private-network guard. */
export class UndiciFetcher implements Fetcher {
  private readonly agent: Dispatcher;
  private readonly baseHeaders: Record<string, string>;
  private readonly settings: RequestSettings | null;
  private readonly archive: ArchiveSink | null;
  /** Raw response headers are asked for when Set-Cookie values or the WARC record need them. */
  private readonly rawHeaders: boolean;
  /** Whether requests go through a proxy (which then resolves names, see check()). */
  private readonly proxied: boolean;
  /** opts.allowPrivateHost, asked with hosts in one form (IPv6 with or without brackets). */
  private readonly allowPrivateHost: (hostname: string) => boolean;

  constructor(private readonly opts: FetcherOptions, deps: FetcherDeps = {}) {
    this.allowPrivateHost = normalizedAllow(opts.allowPrivateHost);
    this.baseHeaders = { 'user-agent': opts.userAgent, accept: ACCEPT, 'accept-encoding': ACCEPT_ENCODING };
    this.settings = deps.settings && !deps.settings.empty ? deps.settings : null;
    this.archive = deps.archive ?? null;
    this.rawHeaders = this.archive !== null || this.settings?.jar != null;
    const agentOpts: UndiciAgent.Options = {
      connections: opts.perHost,
      pipelining: 1,
      connectTimeout: opts.connectTimeoutMs,
      headersTimeout: opts.headersTimeoutMs,
      bodyTimeout: opts.bodyTimeoutMs,
      // Options here go to net.connect / tls.connect; the lookup is where resolved IPs are checked.
      connect: { lookup: createGuardedLookup(this.allowPrivateHost, deps.lookup) },
    };
    this.proxied = proxyInEffect(opts.proxy) !== null;
    this.agent = this.proxied ? createProxyAgent(agentOpts, opts.proxy) : new Agent(agentOpts);
  }

  /** The headers of one request: ours, the user's settings for this URL, then the caller's (conditional GETs). */
  private headersFor(target: URL, extra: Record<string, string> | undefined): Record<string, string> {
    if (!this.settings && !extra) return this.baseHeaders;
    const h = { ...this.baseHeaders };
    this.settings?.apply(target, h);
    if (extra) Object.assign(h, extra);
    return h;
  }

  /** Sends the request; with raw headers on, also returns them parsed (and keeps cookies set). */
  private async send(target: URL, headers: Record<string, string>, signal: AbortSignal, capture: Capture | null) {
    const res = await request(this.agent, {
      origin: target.origin, path: target.pathname + target.search, method: 'GET', headers, signal,
      ...(this.rawHeaders ? { responseHeaders: 'raw' as const } : {}),
    });
    let flat: Record<string, string>;
    if (this.rawHeaders) {
      const raw = res.headers as unknown as string[];
      const parsed = headersFromRaw(raw);
      flat = parsed.headers;
      if (parsed.setCookie.length) this.settings?.storeCookies(target, parsed.setCookie);
      capture?.response(res.statusCode, (res as { statusText?: string }).statusText ?? '', raw);
    } else {
      flat = flattenHeaders(res.headers);
    }
    return { status: res.statusCode, headers: flat, body: capture ? capture.tap(res.body) : res.body };
  }

  /** Hands a finished exchange to the archive; resolves when the archive can take more. */
  private archiveExchange(capture: Capture | null, r?: FetchResult): Promise<void> | null {
    const ex = capture?.exchange();
    if (!ex || !this.archive) return null;
    const { location, ready } = this.archive.add(ex);
    if (r) r.warc = location;
    else location.catch(() => {});
    return ready;
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
    const attempt = startAttempt(req.signal, this.opts.totalTimeoutMs);
    const headers = this.headersFor(target, req.headers);
    const capture = this.archive ? new Capture(target, Capture.requestHead(target, headers), this.opts.maxBytes) : null;
    if (capture) r.warcRecordId = capture.recordId = recordId();
    try {
      const res = await this.send(target, headers, attempt.signal, capture);
      r.ttfbMs = performance.now() - t0;
      r.status = res.status;
      r.headers = res.headers;
      [r.contentType, r.charset] = parseContentType(r.headers['content-type']);
      const status = res.status;
      if (status >= 300 && status < 400) r.location = r.headers.location ?? null;
      if ((status === 429 || status === 503) && r.headers['retry-after'] !== undefined) {
        r.retryAfterMs = parseRetryAfter(r.headers['retry-after']);
      }
      r.retryable = isRetryableStatus(status);
      const length = contentLength(r.headers);

      if (status < 200 || status >= 300 || status === 204) {
        // Only 2xx bodies matter; drain a little so the socket can be reused, never fail on it.
        if (length !== undefined && length > DRAIN_CAP) { discard(res.body); if (capture) capture.reason = 'length'; }
        else r.bytes = await drain(res.body, DRAIN_CAP);
        if (length !== undefined) r.bytes = length;
      } else {
        const keep = r.contentType === null || KEPT_TYPES.has(r.contentType);
        const encoding = r.headers['content-encoding'];
        if (!keep && length !== undefined && length > this.opts.maxBytes) {
          r.bytes = length; // too large to read for a hash: recorded by its size
          discard(res.body);
          if (capture) capture.reason = 'length';
        } else if (length !== undefined && length > this.opts.maxBytes && !encoding) {
          // Announced too large: refuse before reading a byte.
          discard(res.body);
          if (capture) capture.reason = 'length';
          return fail(ErrorCodes.BODY_TOO_LARGE, `Content-Length ${length} exceeds maxBytes ${this.opts.maxBytes}`);
        } else {
          const decoded = decodeBody(res.body, encoding);
          // Bodies that are not parsed are read for their hash only (change detection on recrawl).
          const out = await readCapped(decoded, this.opts.maxBytes, keep, !keep);
          r.bytes = out.bytes;
          r.bodyHash = out.hash;
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
      const code = classifyError(cause, attempt.state);
      if (capture) capture.reason ??= code === ErrorCodes.TOTAL_TIMEOUT || code === ErrorCodes.BODY_TIMEOUT ? 'time' : 'disconnect';
      return fail(code, errorMessage(cause));
    } finally {
      attempt.dispose();
      // Back-pressure: the fetch waits for the disk only when the archive's queue is full.
      const ready = this.archiveExchange(capture, r);
      if (ready) await ready;
    }
  }

  /** Opens a response as a decoded stream; the total deadline keeps running until the body ends. */
  async open(req: FetchRequest): Promise<OpenedResponse> {
    const target = this.check(req.url);
    const attempt = startAttempt(req.signal, this.opts.totalTimeoutMs);
    const toCrawlError = (err: unknown): CrawlError =>
      err instanceof CrawlError ? err : new CrawlError(classifyError(err, attempt.state), errorMessage(err), { cause: err });
    const sent = this.headersFor(target, req.headers);
    const capture = this.archive ? new Capture(target, Capture.requestHead(target, sent), this.opts.maxBytes) : null;
    if (capture && req.warcConcurrentTo) capture.concurrentTo = req.warcConcurrentTo;
    let res;
    try {
      res = await this.send(target, sent, attempt.signal, capture);
    } catch (err) {
      attempt.dispose();
      throw toCrawlError(err);
    }
    const headers = res.headers;
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
    const status = res.status;
    const body = Readable.from(mapped(), { objectMode: false });
    // A body destroyed before its first read never starts mapped(): release the socket and the deadline here.
    const raw = res.body;
    body.once('close', () => {
      decoded.on('error', () => {}).destroy();
      raw.on('error', () => {}).destroy();
      attempt.dispose();
      // robots.txt and sitemaps are archived once their reader is done with them.
      this.archiveExchange(capture);
    });
    return {
      status,
      headers,
      contentType: parseContentType(headers['content-type'])[0],
      location: status >= 300 && status < 400 ? (headers.location ?? null) : null,
      body,
    };
  }

  /** Archives a conversion record (a rendered DOM), when there is an archive. */
  archiveConversion(c: Conversion): Promise<WarcLocation | null> {
    return this.archive?.addConversion?.(c) ?? Promise.resolve(null);
  }

  /** Stops accepting work; in-flight requests get a short grace, then sockets are destroyed. */
  async close(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => { timer = setTimeout(resolve, CLOSE_GRACE_MS); });
    await Promise.race([this.agent.close().catch(() => {}), grace]);
    clearTimeout(timer);
    await this.agent.destroy().catch(() => {});
    await this.archive?.close();
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
    // Through a proxy our DNS guard never runs (the proxy resolves names): localhost names are refused here.
    const localName = this.proxied && /(^|\.)localhost\.?$/i.test(host);
    if (((isIpLiteral(host) && isPrivateAddress(host)) || localName) && !this.allowPrivateHost(host)) {
      throw new CrawlError(ErrorCodes.PRIVATE_ADDRESS, `${host} is a private address; not allowed`);
    }
    return target;
  }
}
