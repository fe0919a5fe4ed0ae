/** The fetch stage's contract: one HTTP attempt in, one recorded outcome out. */
import type { Readable } from 'node:stream';
import type { ErrorCode } from '../errors.js';
import type { Conversion, WarcLocation } from '../warc/types.js';

/** Settings of the fetcher, taken from ResolvedOptions. */
export interface FetcherOptions {
  userAgent: string;
  /** Sockets per origin (undici pool size); the scheduler enforces the per-host limit too. */
  perHost: number;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  /** Longest silence between body chunks. */
  bodyTimeoutMs: number;
  /** Wall-clock cap for the whole attempt, body included. */
  totalTimeoutMs: number;
  /** Cap on decompressed body bytes. */
  maxBytes: number;
  /**
   * Private-network guard: called with the hostname (no port) when it resolves to, or is, a loopback,
   * private or link-local address. Return true to allow the connection.
   */
  allowPrivateHost: (hostname: string) => boolean;
  /** Proxy URL (--proxy); when unset, HTTP_PROXY / HTTPS_PROXY / NO_PROXY from the environment apply. */
  proxy?: string;
}

/** One GET request. */
export interface FetchRequest {
  url: string;
  /** Extra headers, e.g. If-None-Match / If-Modified-Since for recrawls. */
  headers?: Record<string, string>;
  /** Aborts the attempt (recorded as TOTAL_TIMEOUT if the fetcher's own deadline fired, else NETWORK_ERROR). */
  signal?: AbortSignal;
  /** With --warc: the response record of the page whose render made this request (WARC-Concurrent-To). */
  warcConcurrentTo?: string;
}

/** What happened to one attempt. Never thrown: errors are data. */
export interface FetchResult {
  url: string;
  /** HTTP status, or null when no response arrived. */
  status: number | null;
  /** Response headers, lower-cased names (multi-valued joined with ", "). Empty when no response. */
  headers: Record<string, string>;
  /** Media type without parameters, lower-cased (e.g. "text/html"), or null. */
  contentType: string | null;
  /** The Content-Type header's charset parameter, if any. */
  charset: string | null;
  /**
   * Decompressed body when it may be HTML (text/html, application/xhtml+xml, or a missing,
   * text/plain or application/octet-stream type that must be sniffed); null otherwise.
   */
  body: Uint8Array | null;
  /** SHA-256 (hex) of a decompressed body that was read but not kept (non-HTML types). */
  bodyHash?: string;
  /** Decompressed bytes received (or Content-Length for bodies not read). */
  bytes: number;
  /** Raw Location header of a 3xx response. */
  location: string | null;
  /** Time from request start to headers, and to the end of the body. */
  ttfbMs: number;
  durationMs: number;
  /** Set when the attempt failed (network, timeout, cap) — not for HTTP error statuses. */
  errorCode?: ErrorCode;
  errorMessage?: string;
  /** True for network errors, timeouts, 408, 429 and 5xx: worth another attempt. */
  retryable: boolean;
  /** Parsed Retry-After (seconds or HTTP date) in ms from now, when present on 429/503. */
  retryAfterMs?: number;
  /**
   * With --warc: where the response record of this attempt went (file name and byte offset), once
   * written; null when nothing was archived (no response) or writing failed.
   */
  warc?: Promise<WarcLocation | null>;
  /** With --warc: the WARC-Record-ID its response record gets (a rendered page's records refer to it). */
  warcRecordId?: string;
}

/** A streamed response, for sitemaps and robots.txt readers that must not load everything. */
export interface OpenedResponse {
  status: number;
  headers: Record<string, string>;
  contentType: string | null;
  location: string | null;
  /** Decompressed (Content-Encoding) body; caller must consume or destroy it. */
  body: Readable;
}

/** The fetch stage. The undici implementation lives in fetcher.ts; tests may supply another. */
export interface Fetcher {
  fetch(req: FetchRequest): Promise<FetchResult>;
  /** Opens a response as a stream (no redirects followed). Rejects with a CrawlError on network failure. */
  open(req: FetchRequest): Promise<OpenedResponse>;
  /** With --warc: archives a conversion record (a rendered DOM); null without an archive. */
  archiveConversion?(c: Conversion): Promise<WarcLocation | null>;
  close(): Promise<void>;
}
