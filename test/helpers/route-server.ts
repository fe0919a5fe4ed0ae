/** A local server whose routes a test supplies (and may replace); counts requests per path; closed after the test file. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after } from 'node:test';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** `host`: the loopback address to listen on (127.0.0.2 etc. give a test several hosts on one machine). */
export async function startRouteServer(routes: Record<string, Handler>, host = '127.0.0.1') {
  const hits = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const h = routes[path];
    if (h) h(req, res);
    else { res.statusCode = 404; res.end('not found'); }
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const origin = `http://${host}:${(server.address() as AddressInfo).port}`;
  after(() => { server.closeAllConnections(); server.close(); });
  return { origin, routes, hits, count: (p: string) => hits.get(p) ?? 0 };
}
