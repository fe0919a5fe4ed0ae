/**
 * Sitemap reader: streams sitemaps (XML, sitemap index, plain text; gzip by magic bytes) and yields
 * the page URLs they list, breadth-first through index files, each sitemap fetched once.
 *
 * Scope (sitemaps.org "Sitemap file location"): a sitemap at http://host/path/sitemap.xml may
 * only list URLs under http://host/path/. A sitemap listed in robots.txt may list any URL of the
 * robots.txt's origin — pass it as `{ url, robotsOrigin }`. The sitemaps of an index inherit its
 * robotsOrigin (the index was vouched for by robots.txt) and must be on the index's own origin.
 * URLs out of scope are dropped silently (counted in the 'sitemap' event).
 */
import { Readable, pipeline } from 'node:stream';
import zlib from 'node:zlib';
import type { Fetcher, OpenedResponse } from '../fetch/types.js';
import { normalizeUrl } from '../url/normalize.js';
import { SitemapParser, normalizeLastmod, type SitemapFormat } from './sitemap-parser.js';

export { normalizeLastmod } from './sitemap-parser.js';

/** A sitemap to read. A bare string is a sitemap with path scope (e.g. given by the user). */
export type SitemapStart = string | { url: string; robotsOrigin?: string };

/** A page URL found in a sitemap. `lastmod` is ISO 8601 (UTC) or null. */
export interface SitemapEntry {
  url: string;
  lastmod: string | null;
  /** The sitemap that listed it. */
  sitemap: string;
}

/** Progress, for logs and request counters: one event per sitemap read or skipped. */
export type SitemapEvent =
  | {
      type: 'sitemap';
      url: string;
      status: number;
      format: SitemapFormat;
      /** Page URLs yielded, and those dropped as invalid or out of scope. */
      urls: number;
      dropped: number;
      /** Child sitemaps queued (index files). */
      children: number;
      /** Uncompressed bytes read. */
      bytes: number;
      /** Reading stopped at maxUrlsPerSitemap or maxBytes, or the stream failed midway. */
      truncated: boolean;
    }
  | { type: 'skipped'; url: string; reason: string };

/** Options of readSitemaps. */
export interface ReadSitemapsOptions {
  fetcher: Fetcher;
  /** URLs (or child sitemaps) read from one file; protocol limit. @default 50_000 */
  maxUrlsPerSitemap?: number;
  /** Uncompressed bytes read from one file; protocol limit. @default 52_428_800 (50 MiB) */
  maxBytes?: number;
  /** Sitemap files opened in total, index children included. @default 1000 */
  maxSitemaps?: number;
  /** Stops reading (the generator returns quietly). */
  signal?: AbortSignal;
  onEvent?: (event: SitemapEvent) => void;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

interface Queued {
  url: string;
  robotsOrigin: string | undefined;
}

/**
 * Yields every in-scope page URL of the given sitemaps and of the sitemaps their index files list.
 * 404s, network errors and broken files are skipped (reported through onEvent), never thrown.
 */
export async function* readSitemaps(starts: SitemapStart[], opts: ReadSitemapsOptions): AsyncGenerator<SitemapEntry> {
  const maxSitemaps = opts.maxSitemaps ?? 1000;
  const queue: Queued[] = [];
  const seen = new Set<string>();
  const enqueue = (raw: string, robotsOrigin: string | undefined, base?: string): boolean => {
    const url = normalizeUrl(raw, base);
    if (!url) {
      opts.onEvent?.({ type: 'skipped', url: raw, reason: 'not an http(s) URL' });
      return false;
    }
    if (seen.has(url)) return false;
    seen.add(url);
    queue.push({ url, robotsOrigin });
    return true;
  };
  for (const s of starts) {
    if (typeof s === 'string') enqueue(s, undefined);
    else enqueue(s.url, s.robotsOrigin ? new URL(s.robotsOrigin).origin : undefined);
  }

  let opened = 0;
  while (queue.length > 0) {
    if (opts.signal?.aborted) return;
    const item = queue.shift()!;
    if (opened >= maxSitemaps) {
      opts.onEvent?.({ type: 'skipped', url: item.url, reason: `maxSitemaps (${maxSitemaps}) reached` });
      continue;
    }
    opened++;
    yield* readOne(item, opts, enqueue);
  }
}

/** Reads one sitemap file, yielding its page URLs and queueing its child sitemaps. */
async function* readOne(
  item: Queued,
  opts: ReadSitemapsOptions,
  enqueue: (raw: string, robotsOrigin: string | undefined, base?: string) => boolean,
): AsyncGenerator<SitemapEntry> {
  const maxUrls = opts.maxUrlsPerSitemap ?? 50_000;
  const maxBytes = opts.maxBytes ?? 50 * 1024 * 1024;
  const skip = (reason: string) => opts.onEvent?.({ type: 'skipped', url: item.url, reason });

  const opened = await openFollowing(opts.fetcher, item.url, opts.signal);
  if (typeof opened === 'string') return skip(opened);
  const { res, finalUrl } = opened;
  if (res.status < 200 || res.status >= 300) {
    res.body.destroy();
    return skip(`HTTP ${res.status}`);
  }

  const scopes = [new URL(item.url), new URL(finalUrl)];
  const inScope = (u: URL) =>
    (item.robotsOrigin !== undefined && u.origin === item.robotsOrigin) ||
    scopes.some((s) => u.origin === s.origin && u.pathname.startsWith(s.pathname.slice(0, s.pathname.lastIndexOf('/') + 1)));

  const parser = new SitemapParser(maxUrls);
  const decoder = new TextDecoder('utf-8');
  const ev = { urls: 0, dropped: 0, children: 0, bytes: 0, truncated: false };
  const chunks = decompressed(res.body);
  try {
    let ended = false;
    while (!ended) {
      const next = await chunks.next();
      let items;
      if (next.done) {
        items = parser.write(decoder.decode()).concat(parser.end());
        ended = true;
      } else {
        const room = maxBytes - ev.bytes;
        const part = next.value.length > room ? next.value.subarray(0, room) : next.value;
        ev.bytes += part.length;
        items = parser.write(decoder.decode(part, { stream: true }));
        if (parser.full || ev.bytes >= maxBytes) ev.truncated = ended = true;
      }
      for (const it of items) {
        if (it.kind === 'sitemap') {
          // Protocol: an index may only list sitemaps of its own site.
          const child = normalizeUrl(it.loc, finalUrl);
          const ok = child !== undefined && scopes.some((s) => new URL(child).origin === s.origin);
          if (ok && enqueue(child, item.robotsOrigin)) ev.children++;
          else if (!ok) opts.onEvent?.({ type: 'skipped', url: it.loc, reason: 'child sitemap on another origin' });
          continue;
        }
        const url = normalizeUrl(it.loc);
        if (url === undefined || !inScope(new URL(url))) {
          ev.dropped++;
          continue;
        }
        ev.urls++;
        yield { url, lastmod: normalizeLastmod(it.lastmod), sitemap: item.url };
      }
    }
  } catch {
    // A broken gzip stream or a connection cut midway: keep what was read, go on with the others.
    ev.truncated = true;
  } finally {
    await chunks.return(undefined);
    res.body.destroy();
  }
  opts.onEvent?.({ type: 'sitemap', url: item.url, status: res.status, format: parser.format, ...ev });
}

/** GET with up to five redirects; returns the final response or why it failed. */
async function openFollowing(
  fetcher: Fetcher,
  start: string,
  signal: AbortSignal | undefined,
): Promise<{ res: OpenedResponse; finalUrl: string } | string> {
  let url = start;
  for (let hop = 0; ; hop++) {
    let res: OpenedResponse;
    try {
      res = await fetcher.open({ url, signal });
    } catch (err) {
      return `fetch failed: ${(err as { code?: string }).code ?? (err as Error).message}`;
    }
    const location = res.location ?? res.headers['location'];
    if (!REDIRECTS.has(res.status) || !location) return { res, finalUrl: url };
    res.body.destroy();
    const next = normalizeUrl(location, url);
    if (hop >= MAX_REDIRECTS || next === undefined) return hop >= MAX_REDIRECTS ? 'too many redirects' : 'bad redirect';
    url = next;
  }
}

/** The body's bytes, gunzipped when they start with the gzip magic 1f 8b (whatever the headers say). */
async function* decompressed(body: Readable): AsyncGenerator<Buffer, void, undefined> {
  const it = body[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const toBuf = (c: Buffer | string) => (typeof c === 'string' ? Buffer.from(c) : c);
  let head = Buffer.alloc(0);
  let done = false;
  while (head.length < 2 && !done) {
    const r = await it.next();
    if (r.done) done = true;
    else head = Buffer.concat([head, toBuf(r.value)]);
  }
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    while (!done) {
      const r = await it.next();
      if (r.done) return;
      yield toBuf(r.value);
    }
  }
  if (!(head[0] === 0x1f && head[1] === 0x8b)) {
    yield* rest();
    return;
  }
  const source = Readable.from(rest());
  // Pull-based: gunzip inflates only as fast as we read, so a gzip bomb stops at maxBytes.
  const gunzip = pipeline(source, zlib.createGunzip(), () => {});
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } finally {
    gunzip.destroy();
    source.destroy();
  }
}
