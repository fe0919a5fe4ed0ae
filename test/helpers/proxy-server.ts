/**
 * A tiny forward proxy on 127.0.0.1 port 0: absolute-URI requests (plain http) are forwarded with
 * http.request, CONNECT opens a raw TCP tunnel. Every request is logged for assertions; closed after
 * the test file. Test-only: no access control beyond an optional Proxy-Authorization check.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after } from 'node:test';

export interface ProxyLogEntry { method: string; url: string; headers: http.IncomingHttpHeaders }

export async function startProxyServer(opts: { requireAuth?: string } = {}) {
  const log: ProxyLogEntry[] = [];
  const sockets = new Set<net.Socket>();
  const denied = (headers: http.IncomingHttpHeaders): boolean =>
    opts.requireAuth !== undefined && headers['proxy-authorization'] !== opts.requireAuth;
  const server = http.createServer((req, res) => {
    log.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (denied(req.headers)) { res.writeHead(407, { 'proxy-authenticate': 'Basic realm="p"' }); res.end(); return; }
    let target: URL;
    try { target = new URL(req.url ?? ''); } catch { res.writeHead(400); res.end('absolute URI required'); return; }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const up = http.request({ host: '127.0.0.1', port: target.port || 80, path: target.pathname + target.search, method: req.method, headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.rawHeaders);
      upRes.pipe(res);
    });
    up.on('error', () => { res.writeHead(502); res.end(); });
    req.pipe(up);
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    log.push({ method: 'CONNECT', url: req.url ?? '', headers: req.headers });
    if (denied(req.headers)) { client.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n'); return; }
    const [, port] = (req.url ?? '').split(':');
    // Every test hostname lives on 127.0.0.1 (the tests map *.test there).
    const up = net.connect(Number(port), '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    sockets.add(up).add(client);
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  after(() => { for (const s of sockets) s.destroy(); server.closeAllConnections(); server.close(); });
  return { url, log };
}
