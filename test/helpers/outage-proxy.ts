/**
 * A host that goes down and comes back: a TCP forwarder on 127.0.0.1 in front of a local site.
 * `down()` closes its listening socket and every open connection, so connections are refused
 * (ECONNREFUSED) as with a stopped nginx; `up()` listens again on the same port.
 */
import net from 'node:net';

export interface OutageProxy {
  /** Origin of the proxied host, e.g. http://127.0.0.1:40123 (the same before and after an outage). */
  readonly url: string;
  /** Connections accepted while up. */
  readonly connections: number;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

/** Forwards 127.0.0.1:<new port> to `targetOrigin` (http://127.0.0.1:PORT). */
export async function startOutageProxy(targetOrigin: string): Promise<OutageProxy> {
  const target = new URL(targetOrigin);
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;
  let connections = 0;

  const listen = () => new Promise<void>((resolve, reject) => {
    const s = net.createServer((client) => {
      connections++;
      const upstream = net.connect(Number(target.port), target.hostname);
      for (const sock of [client, upstream]) {
        sockets.add(sock);
        sock.on('close', () => sockets.delete(sock));
        sock.on('error', () => { client.destroy(); upstream.destroy(); });
      }
      client.pipe(upstream).pipe(client);
    });
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => {
      port = (s.address() as net.AddressInfo).port;
      server = s;
      resolve();
    });
  });
  const stop = () => new Promise<void>((resolve) => {
    const s = server;
    server = null;
    for (const sock of sockets) sock.destroy();
    if (!s) return resolve();
    s.close(() => resolve());
  });

  await listen();
  return {
    get url() { return `http://127.0.0.1:${port}`; },
    get connections() { return connections; },
    down: stop,
    up: listen,
    close: stop,
  };
}
