/**
 * Answers one request a rendering page makes, through the crawler's own rules and fetcher: the
 * scope rules, robots.txt, per-host pacing and limits (./pacer.ts), the SSRF guard, request
 * settings and WARC writer (all inside the fetcher), within the page's budget of requests and bytes.
 * The browser itself never reaches the network: what is not answered here is refused.
 */
import type { Fetcher } from '../fetch/types.js';
import type { RobotsGate } from '../polite/robots-gate.js';
import type { Scope } from '../url/scope.js';
import { hostOf } from '../url/host.js';
import { readCapped } from '../fetch/read-body.js';
import type { ResourceCache, CachedResponse } from './cache.js';
import type { HostPacer, PageLane } from './pacer.js';
import { LIMITS, type OptionalType } from './types.js';

/** How one request is answered: a response, or refused with the reason (counted per page). */
export type Answer = { kind: 'fulfill'; response: CachedResponse } | { kind: 'refuse'; reason: string };

/** What a page has spent, and what it needs to ask for more. */
export interface PageBudget {
  pageHost: string;
  lane: PageLane;
  signal: AbortSignal;
  requests: number;
  bytes: number;
  refused: number;
  /** Requests held back by the host's pacing now: the page is not settled while the crawler itself delays its data. */
  waiting: number;
  /** Told when `waiting` changes (the page's settle clock restarts). */
  onWaiting?: () => void;
  /** With --warc: the page's response record, which its sub-resources' records name (WARC-Concurrent-To). */
  warcPage?: string;
}

/** Response headers the browser must not see: the body it gets is decoded and whole. */
const DROP_HEADERS = new Set(['content-encoding', 'content-length', 'transfer-encoding', 'connection', 'keep-alive']);
/** Types worth caching across pages: the bundles every page of a site loads. */
const CACHED_TYPES = new Set(['script', 'stylesheet']);

export interface SubFetchDeps {
  fetcher: Fetcher;
  gate: RobotsGate;
  scope: Scope;
  pacer: HostPacer;
  cache: ResourceCache;
  fetchTypes: readonly OptionalType[];
  /** Counts a request made (the run's request counter). */
  counted?: () => void;
}

export class SubFetcher {
  constructor(private readonly d: SubFetchDeps) {}

  /** Answers one sub-request of a page. Never throws. */
  async answer(url: string, method: string, type: string, b: PageBudget): Promise<Answer> {
    const refuse = (reason: string): Answer => { b.refused++; return { kind: 'refuse', reason }; };
    if (method !== 'GET' && method !== 'HEAD') return refuse('method'); // the crawler only reads
    if (!/^https?:/.test(url)) return refuse('scheme');
    if ((type === 'image' || type === 'media' || type === 'font') && !this.d.fetchTypes.includes(type)) return refuse('type');
    if (type === 'eventsource' || type === 'websocket' || type === 'manifest' || type === 'ping') return refuse('type');
    const cacheable = CACHED_TYPES.has(type);
    const hit = cacheable ? this.d.cache.get(url) : undefined;
    if (hit) return { kind: 'fulfill', response: hit };
    if (this.d.scope.check(url, 0)) return refuse('scope');
    if (b.requests >= LIMITS.subRequests) return refuse('budget');
    if (b.bytes >= LIMITS.subBytes) return refuse('budget');
    const host = hostOf(url);
    const gate = await this.d.gate.check(host, url);
    if (gate.kind !== 'go') return refuse('robots');
    b.requests++;
    let release: (() => void) | undefined;
    try {
      b.waiting++;
      b.onWaiting?.();
      try {
        release = await this.d.pacer.acquire(host, b.pageHost, b.lane, b.signal);
      } finally {
        b.waiting--;
        b.onWaiting?.();
      }
      const res = await this.d.fetcher.open({ url, signal: b.signal, warcConcurrentTo: b.warcPage });
      this.d.counted?.();
      const read = await readCapped(res.body, LIMITS.subBytes - b.bytes, true);
      b.bytes += read.bytes;
      if (read.overflow || !read.body) return refuse('budget');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (!DROP_HEADERS.has(k)) headers[k] = v;
      const response = { status: res.status, headers, body: Buffer.from(read.body) };
      if (cacheable && res.status === 200) this.d.cache.set(url, response);
      return { kind: 'fulfill', response };
    } catch {
      return refuse('failed');
    } finally {
      release?.();
    }
  }
}
