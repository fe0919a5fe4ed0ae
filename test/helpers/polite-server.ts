/**
 * A tiny route-table HTTP server for the politeness tests: it logs every request with server-side
 * timestamps, the User-Agent it carried, and how many requests were in flight at once, so a test
 * can assert what the crawler did to the server (spacing, concurrency, what was never fetched).
 * Listens on 127.0.0.1, port 0; close() destroys open sockets so no test hangs.
 */
import { after, before } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from './cli.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/** One request as the server saw it. */
export interface LoggedRequest {
  /** Path and query, exactly as requested. */
  path: string;
  /** Pathname only. */
  pathname: string;
  /** performance.now() when the request arrived. */
  at: number;
  /** Date.now() when the request arrived (for HTTP-date comparisons). */
  wall: number;
  userAgent: string;
}

/** Answers one request; may be async (slow routes). */
export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => void | Promise<void>;

/** A running server. */
export interface PoliteServer {
  /** http://127.0.0.1:PORT (no trailing slash). */
  url: string;
  /** host:port, as the crawler's host key. */
  host: string;
  log: LoggedRequest[];
  /** Most requests in flight at the same time (robots.txt excluded). */
  maxInflight: number;
  /** Requests for exactly `p` (path with query, as sent). */
  count(p: string): number;
  /** Arrival times (performance.now()) of requests other than robots.txt and sitemaps. */
  pageTimes(): number[];
  close(): Promise<void>;
}

/** Sends a small HTML page; `head` goes inside <head> (e.g. a meta robots tag). */
export function html(res: http.ServerResponse, body: string, headers: Record<string, string> = {}, head = ''): void {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...headers });
  res.end(`<!doctype html><html><head><title>t</title>${head}</head><body>${body}</body></html>`);
}

/** An HTML body with one link per href. */
export function links(hrefs: string[], extra = ''): string {
  return extra + hrefs.map((h) => `<a href="${h}">${h}</a>`).join(' ');
}

/** Sends a text body. */
export function text(res: http.ServerResponse, body: string | Buffer, type = 'text/plain', status = 200): void {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}

/**
 * Starts a server. `routes` maps exact pathnames to handlers; `fallback` answers the rest
 * (default: 404). /robots.txt without a route is a 404 (allow all).
 */
export async function startPoliteServer(routes: Record<string, Handler>, fallback?: Handler): Promise<PoliteServer> {
  const log: LoggedRequest[] = [];
  const sockets = new Set<Socket>();
  let inflight = 0;
  const state = { maxInflight: 0 };
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    log.push({ path: req.url ?? '/', pathname: u.pathname, at: performance.now(), wall: Date.now(), userAgent: String(req.headers['user-agent'] ?? '') });
    const counted = u.pathname !== '/robots.txt';
    if (counted) { inflight++; state.maxInflight = Math.max(state.maxInflight, inflight); }
    let ended = false;
    const done = () => { if (!ended && counted) { ended = true; inflight--; } };
    res.on('finish', done);
    res.on('close', done);
    const h = routes[u.pathname] ?? fallback;
    Promise.resolve()
      .then(() => (h ? h(req, res, u) : text(res, 'not found', 'text/html', 404)))
      .catch(() => { if (!res.headersSent) res.writeHead(500); res.end(); });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    log,
    get maxInflight() { return state.maxInflight; },
    count: (p) => log.filter((r) => r.path === p).length,
    pageTimes: () => log.filter((r) => r.pathname !== '/robots.txt' && !r.pathname.includes('sitemap')).map((r) => r.at),
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** Smallest gap between consecutive times (Infinity for fewer than two). */
export function minGap(times: number[]): number {
  const t = [...times].sort((a, b) => a - b);
  let min = Infinity;
  for (let i = 1; i < t.length; i++) min = Math.min(min, t[i] - t[i - 1]);
  return min;
}

/** Resolves after `ms` (slow routes). */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Per-file setup shared by the politeness suites: a temp dir, fresh database paths, and servers
 * that are all closed (and the dir removed) after the file.
 */
export function politeSuite(prefix: string) {
  let dir = '';
  const servers: PoliteServer[] = [];
  let dbSeq = 0;
  before(() => { dir = tempDir(`crawl-${prefix}-`); });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir: () => dir,
    newDb: () => path.join(dir, `${prefix}${++dbSeq}.db`),
    async serve(...args: Parameters<typeof startPoliteServer>): Promise<PoliteServer> {
      const s = await startPoliteServer(...args);
      servers.push(s);
      return s;
    },
  };
}
