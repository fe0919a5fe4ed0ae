/**
 * Several small sites on 127.0.0.1, one port each (several ports = several hosts for the crawler),
 * that record on the server side what politeness means: per host, the most requests in flight at
 * once and the start time of every request; per URL, how many times it was fetched.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HostStats {
  origin: string;
  /** Page path -> requests. */
  hits: Map<string, number>;
  /** Most requests in flight at once. */
  maxInflight: number;
  /** performance.now() of every page request's start. */
  starts: number[];
  /** Client port of each start (one connection per worker process and host, for diagnosis). */
  ports: number[];
}

export interface MultiHostSite {
  hosts: HostStats[];
  /** Every page URL of every host. */
  pages: string[];
  close(): Promise<void>;
}

/**
 * `hostCount` servers with `pagesPerHost` pages each in a tree of fan-out `fanOut` from `/` (1: a
 * chain, whose queue holds one URL at a time); each answers after `latencyMs`.
 */
export async function startMultiHostSite(hostCount: number, pagesPerHost: number, latencyMs = 20, fanOut = 4): Promise<MultiHostSite> {
  const servers: http.Server[] = [];
  const hosts: HostStats[] = [];
  const pages: string[] = [];
  const pathOf = (i: number) => (i === 0 ? '/' : `/p/${i}`);
  for (let h = 0; h < hostCount; h++) {
    const stats: HostStats = { origin: '', hits: new Map(), maxInflight: 0, starts: [], ports: [] };
    let inflight = 0;
    const server = http.createServer((req, res) => {
      const path = req.url ?? '/';
      if (/^\/(p\/\d+)?$/.test(path)) { stats.starts.push(performance.now()); stats.ports.push(req.socket.remotePort ?? 0); } // pages only: robots.txt and sitemaps are not paced as pages
      stats.maxInflight = Math.max(stats.maxInflight, ++inflight);
      stats.hits.set(path, (stats.hits.get(path) ?? 0) + 1);
      setTimeout(() => {
        inflight--;
        const m = /^\/(?:p\/(\d+))?$/.exec(path);
        const i = m ? Number(m[1] ?? 0) : -1;
        if (i < 0 || i >= pagesPerHost) { res.statusCode = 404; res.end('not found'); return; }
        const links = Array.from({ length: fanOut }, (_, k) => i * fanOut + k + 1).filter((k) => k < pagesPerHost).map((k) => `<a href="${pathOf(k)}">page ${k}</a>`);
        res.setHeader('content-type', 'text/html; charset=utf-8');
        res.end(`<!doctype html><html><head><title>Host ${h} page ${i}</title></head><body><h1>Page ${i}</h1><p>words of host ${h}</p>${links.join(' ')}</body></html>`);
      }, latencyMs);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    stats.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (let i = 0; i < pagesPerHost; i++) pages.push(stats.origin + pathOf(i));
    servers.push(server);
    hosts.push(stats);
  }
  return {
    hosts, pages,
    close: async () => { for (const s of servers) { s.closeAllConnections(); await new Promise((r) => s.close(r)); } },
  };
}

/** Smallest gap between two request starts on one host, ms (Infinity with fewer than two). */
export function minGap(starts: number[]): number {
  const s = [...starts].sort((a, b) => a - b);
  let min = Infinity;
  for (let i = 1; i < s.length; i++) min = Math.min(min, s[i] - s[i - 1]);
  return min;
}
