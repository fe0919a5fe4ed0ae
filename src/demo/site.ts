/**
 * A deterministic synthetic website on 127.0.0.1 (port 0), shared by the tests, `npm run demo`
 * and `npm run bench`. Pages are generated per request (site-model.ts), so 100k pages cost
 * little memory; the server counts every request so callers can check, from the server's side,
 * that a crawler fetched each page exactly once.
 *
 * With `extras` (the default) the site also has: a 301 chain /r/1 -> /r/2 -> /p/5, a 302
 * /r/tmp -> /p/7, 404 links (/missing/...), a PDF (/files/doc.pdf), links to a second server
 * ("the other host", out of scope for a host-scoped crawl) and /robots.txt. Pages carry ETag and
 * Last-Modified and answer conditional requests with 304. Tests can change the site while it runs
 * with setPage / removePage / touch.
 */
import http from 'node:http';
import { SiteModel, maxDepthFor } from './site-model.js';
import { etagOf, listen, nextMtime, redirect, send, sendPage } from './site-http.js';

/** Options of startSite(). Every field is optional. */
export interface SiteOptions {
  /** Number of HTML pages (page 0 is `/`). @default 200 */
  pages?: number;
  /** Approximate size of each page's HTML in bytes. @default 8192 */
  pageBytes?: number;
  /** Tree children per page (each page also has nav links and ceil(fanOut/4) cross links). @default 10 */
  fanOut?: number;
  /** Delay before every response, in ms. @default 0 */
  latencyMs?: number;
  /** Seed of the generated titles, text and cross links. @default 1 */
  seed?: number;
  /** Redirects, 404 links, a PDF, the other host and robots.txt. @default true */
  extras?: boolean;
  /** Content of /robots.txt (served even without extras when set). @default allow all */
  robots?: string;
  /** Share of pages (picked by index, 0..1) whose first request answers 500; later ones succeed. @default 0 */
  transientErrorRate?: number;
}

/** Non-page paths linked from the site (only with `extras`). */
export interface ExtraPaths {
  /** Redirecting paths (301 /r/1, 301 /r/2, 302 /r/tmp). */
  redirects: string[];
  /** Linked paths that answer 404. */
  notFound: string[];
  /** Linked non-HTML files. */
  files: string[];
  /** Paths linked on the other host (out of scope for a host-scoped crawl). */
  otherHost: string[];
}

/** A running synthetic site. */
export interface Site {
  /** Origin of the site, e.g. `http://127.0.0.1:40123` (no trailing slash). */
  readonly url: string;
  /** Origin of the second, out-of-scope server. */
  readonly otherHostUrl: string;
  /** Requests per raw request path (path + query), all methods, all statuses. */
  readonly requests: Map<string, number>;
  /** Requests received by the site. */
  readonly totalRequests: number;
  /** Requests per path received by the other host. */
  readonly otherHostRequests: Map<string, number>;
  /** Requests received by the other host. */
  readonly otherHostTotalRequests: number;
  /** The resolved options. */
  readonly options: Readonly<Required<Omit<SiteOptions, 'robots'>>> & { robots?: string };
  /** Depth (links from `/`) of the deepest generated page. */
  readonly maxDepth: number;
  /** Longest time between two page (200) responses since the first one, ms: a stall shows here. */
  readonly longestGapMs: number;
  /** Most requests the site had open at one moment (its per-host concurrency, seen by the server). */
  readonly maxInFlight: number;
  /** Pages that answered a transient 500 (transientErrorRate). */
  readonly transientPaths: Set<string>;
  /** Every in-scope HTML page path reachable from `/`, in BFS order (the exactly-once ground truth). */
  reachablePaths(): string[];
  /** The redirect, 404, file and other-host paths linked from the site. */
  extraPaths(): ExtraPaths;
  /** Serves `html` at `path` from now on (a new page or a replacement). */
  setPage(path: string, html: string): void;
  /** Makes `path` answer `status` (404 or 410) from now on. */
  removePage(path: string, status?: 404 | 410): void;
  /** Changes the content, ETag and Last-Modified of `path`. */
  touch(path: string): void;
  /** Forgets the request counts (e.g. between two crawls). */
  resetCounts(): void;
  /** Closes both servers and their keep-alive connections. */
  close(): Promise<void>;
}

const DEFAULT_ROBOTS = 'User-agent: *\nAllow: /\n';
/** Last-Modified of untouched pages: a fixed date, so it is deterministic. */
const BASE_MTIME = Date.UTC(2024, 0, 1) / 1000;
const PDF = Buffer.from('%PDF-1.4\n% synthetic brochure\n' + 'x'.repeat(2000) + '\n%%EOF\n');

interface Override { html?: string; status?: number; etag: string; mtime: number }

/** Starts the site and its other host; resolves once both listen. */
export async function startSite(opts: SiteOptions = {}): Promise<Site> {
  const options = {
    pages: opts.pages ?? 200,
    pageBytes: opts.pageBytes ?? 8192,
    fanOut: opts.fanOut ?? 10,
    latencyMs: opts.latencyMs ?? 0,
    seed: opts.seed ?? 1,
    extras: opts.extras ?? true,
    robots: opts.robots,
    transientErrorRate: opts.transientErrorRate ?? 0,
  };
  if (!Number.isInteger(options.pages) || options.pages < 1) throw new RangeError(`pages must be an integer >= 1, got ${options.pages}`);
  if (!Number.isInteger(options.fanOut) || options.fanOut < 1) throw new RangeError(`fanOut must be an integer >= 1, got ${options.fanOut}`);
  const model = new SiteModel(options);
  const requests = new Map<string, number>();
  const otherRequests = new Map<string, number>();
  const overrides = new Map<string, Override>();
  const versions = new Map<number, { version: number; mtime: number }>();
  let total = 0;
  let otherTotal = 0;
  let base = '';
  let otherBase = '';
  let lastServed = 0, longestGap = 0, inFlight = 0, maxInFlight = 0;
  const transientPaths = new Set<string>();

  const server = http.createServer((req, res) => {
    total++;
    if (++inFlight > maxInFlight) maxInFlight = inFlight;
    res.once('close', () => { inFlight--; });
    const raw = req.url ?? '/';
    requests.set(raw, (requests.get(raw) ?? 0) + 1);
    if (options.latencyMs > 0) setTimeout(() => respond(req, res, raw), options.latencyMs);
    else respond(req, res, raw);
  });

  function respond(req: http.IncomingMessage, res: http.ServerResponse, raw: string): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(req, res, 405, 'text/plain', 'method not allowed\n');
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    const o = overrides.get(path);
    if (o) {
      if (o.status) return send(req, res, o.status, 'text/html; charset=utf-8', `<html><body><h1>${o.status}</h1></body></html>\n`);
      return sendPage(req, res, o.html!, o.etag, o.mtime);
    }
    const i = model.pageIndex(path);
    if (i >= 0) {
      // 1 in 1/rate pages fails its first request (a scattered transient error, as real sites have).
      const rate = options.transientErrorRate;
      if (rate > 0 && i > 0 && i % Math.round(1 / rate) === 0 && !transientPaths.has(path)) {
        transientPaths.add(path);
        return send(req, res, 500, 'text/plain', 'try again\n');
      }
      const now = performance.now();
      if (lastServed) longestGap = Math.max(longestGap, now - lastServed);
      lastServed = now;
      const v = versions.get(i);
      const version = v?.version ?? 0;
      const etag = `"${options.seed.toString(36)}-${i}-${version}"`;
      return sendPage(req, res, model.html(i, base, otherBase, version), etag, v?.mtime ?? BASE_MTIME + (i % 86400));
    }
    if (path === '/robots.txt' && (options.extras || options.robots !== undefined)) {
      return send(req, res, 200, 'text/plain; charset=utf-8', options.robots ?? DEFAULT_ROBOTS);
    }
    if (options.extras) {
      const target = (k: number) => model.pagePath(k < options.pages ? k : 0);
      if (path === '/r/1') return redirect(res, 301, '/r/2');
      if (path === '/r/2') return redirect(res, 301, target(5));
      if (path === '/r/tmp') return redirect(res, 302, target(7));
      if (path === '/files/doc.pdf') return send(req, res, 200, 'application/pdf', PDF);
    }
    send(req, res, 404, 'text/html; charset=utf-8', '<html><head><title>Not found</title></head><body><h1>404</h1></body></html>\n');
  }

  const other = http.createServer((req, res) => {
    otherTotal++;
    const raw = req.url ?? '/';
    otherRequests.set(raw, (otherRequests.get(raw) ?? 0) + 1);
    send(req, res, 200, 'text/html; charset=utf-8',
      `<!doctype html><html lang="en"><head><title>Partner site</title></head><body><h1>Partner</h1><a href="/elsewhere">More</a></body></html>\n`);
  });

  for (const s of [server, other]) s.keepAliveTimeout = 30_000;
  base = `http://127.0.0.1:${await listen(server)}`;
  otherBase = `http://127.0.0.1:${await listen(other)}`;

  const site: Site = {
    url: base,
    otherHostUrl: otherBase,
    requests,
    get totalRequests() { return total; },
    otherHostRequests: otherRequests,
    get otherHostTotalRequests() { return otherTotal; },
    options,
    maxDepth: maxDepthFor(options.pages, options.fanOut),
    get longestGapMs() { return longestGap; },
    get maxInFlight() { return maxInFlight; },
    transientPaths,
    reachablePaths: () => reachable(model, overrides, base),
    extraPaths: () => {
      if (!options.extras) return { redirects: [], notFound: [], files: [], otherHost: [] };
      const t = model.extraTargets();
      return { redirects: ['/r/1', '/r/2', '/r/tmp'], notFound: t.notFound, files: ['/files/doc.pdf'], otherHost: t.otherHost };
    },
    setPage(path, html) {
      overrides.set(path, { html, etag: etagOf(html), mtime: nextMtime(overrides.get(path)?.mtime) });
    },
    removePage(path, status = 404) {
      overrides.set(path, { status, etag: '', mtime: 0 });
    },
    touch(path) {
      const o = overrides.get(path);
      if (o?.html !== undefined) {
        const html = o.html + `\n<!-- touched ${Date.now()} ${Math.random()} -->\n`;
        overrides.set(path, { html, etag: etagOf(html), mtime: nextMtime(o.mtime) });
        return;
      }
      const i = model.pageIndex(path);
      if (i < 0 || o) throw new Error(`touch: ${path} is not a page of this site`);
      const v = versions.get(i);
      versions.set(i, { version: (v?.version ?? 0) + 1, mtime: nextMtime(v?.mtime ?? BASE_MTIME + (i % 86400)) });
    },
    resetCounts() {
      requests.clear();
      otherRequests.clear();
      total = 0;
      otherTotal = 0;
      lastServed = 0;
      longestGap = 0;
      maxInFlight = inFlight;
      transientPaths.clear();
    },
    async close() {
      await Promise.all([server, other].map((s) => new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      })));
    },
  };
  return site;
}

function reachable(model: SiteModel, overrides: Map<string, Override>, base: string): string[] {
  const seen = new Set<string>(['/']);
  const order: string[] = [];
  const queue: string[] = ['/'];
  for (let h = 0; h < queue.length; h++) {
    const path = queue[h];
    const o = overrides.get(path);
    if (o?.status) continue;
    const i = model.pageIndex(path);
    if (!o && i < 0) continue; // not an HTML page
    order.push(path);
    const next: string[] = [];
    if (o) {
      for (const m of o.html!.matchAll(/href\s*=\s*["']([^"'#]*)/gi)) {
        try {
          const u = new URL(m[1], base + path);
          if (u.origin === base) next.push(u.pathname);
        } catch { /* not a URL: skip */ }
      }
    } else {
      const { nav, children, cross } = model.links(i);
      for (const j of [...nav, ...children, ...cross]) next.push(model.pagePath(j));
    }
    for (const p of next) {
      if (seen.has(p)) continue;
      seen.add(p);
      queue.push(p);
    }
  }
  return order;
}
