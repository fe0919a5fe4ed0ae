/**
 * A local HTTP server that misbehaves on purpose: resets, truncation, stalls, trickles, bombs,
 * odd encodings and charsets, retry storms. Shared by the fetcher tests and the crawl-level fault
 * suite. Listens on 127.0.0.1, port 0; close() destroys every open socket so no test hangs.
 *
 * Routes (GET; every request is counted in `requests` under its pathname, query excluded):
 *   /                      HTML page linking to every route below
 *   /ok                    small HTML page (text/html; charset=utf-8, Content-Length)
 *   /redirect              301 -> /ok
 *   /redirect-loop-a|b     302 to each other, forever
 *   /reset-mid-body        Content-Length 100000, sends 1000 bytes, then TCP RST (ECONNRESET)
 *   /short-body            Content-Length 100000, sends 1000 bytes, then a clean FIN
 *   /truncated-chunked     chunked body whose connection closes inside a chunk (no final 0-chunk)
 *   /never-ending          chunked HTML streamed as fast as the client reads, forever
 *   /trickle               chunked, 1 byte per second (?ms=N to change the interval)
 *   /stall-body            headers + 1 KiB of body, then silence (body idle timeout)
 *   /no-headers            accepts the request and never answers
 *   /gzip                  small HTML, Content-Encoding: gzip
 *   /gzip-bomb             ?mb=N (default 200) MiB of zeros as HTML, gzipped (~1 KiB/MiB on the wire)
 *   /big                   50 MiB HTML streamed on the fly, chunked (?length=1 adds Content-Length)
 *   /deflate-raw           HTML, Content-Encoding: deflate, raw deflate (no zlib header)
 *   /deflate-zlib          HTML, Content-Encoding: deflate, zlib-wrapped (RFC-correct)
 *   /br                    HTML, Content-Encoding: br
 *   /stacked               HTML gzipped then brotli'd: Content-Encoding: gzip, br
 *   /corrupt-gzip          Content-Encoding: gzip with a damaged deflate stream
 *   /windows-1252          bytes in windows-1252, charset in Content-Type only
 *   /shift-jis-meta        Shift_JIS bytes, charset only in <meta charset>
 *   /gbk                   GBK bytes, charset=gbk in Content-Type
 *   /invalid-utf8          charset=utf-8 but with invalid byte sequences
 *   /binary-junk           4 KiB of (seeded) random bytes labelled text/html
 *   /mislabelled           UTF-8 bytes labelled charset=iso-8859-1
 *   /429-storm             always 429, Retry-After: 1
 *   /500-then-200          first request per server instance 500, later ones 200 HTML
 *   /503-retry-after-date  503 with Retry-After as an HTTP date 2 s ahead
 *   /pdf                   application/pdf with Content-Length
 *   /no-type-html          HTML without any Content-Type header
 *   anything else          404 HTML
 * Extra routes can be passed to startFaultServer({ routes }) and win over the built-in ones.
 */
import type { FetcherOptions } from '../../src/fetch/types.js';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import zlib from 'node:zlib';

/** A route handler; gets the parsed URL too. */
export type FaultRoute = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => void;

/** A running fault server. */
export interface FaultServer {
  /** Base URL without trailing slash, e.g. http://127.0.0.1:40123 */
  url: string;
  port: number;
  /** pathname -> number of requests received. */
  requests: Map<string, number>;
  close(): Promise<void>;
}

/** Decoded text the charset fixtures carry, for parse/charset tests to assert against. */
export const FIXTURE_TEXT = {
  windows1252: 'Café € – naïve',
  shiftJis: '日本語のページ',
  gbk: '中文网页',
  mislabelled: 'naïve café ☃',
} as const;

const html = (title: string, body = ''): string =>
  `<!doctype html><html><head><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;

const OK_HTML = Buffer.from(html('ok', '<p>fine</p><a href="/">home</a>'));
const ENCODED_HTML = Buffer.from(html('encoded', '<p>' + 'compressible text '.repeat(200) + '</p>'));

/** Gzip bombs by size in MiB, built once per process (streamed, never held uncompressed). */
const bombs = new Map<number, Promise<Buffer>>();
function gzipBomb(mb: number): Promise<Buffer> {
  let p = bombs.get(mb);
  if (!p) {
    p = new Promise((resolve, reject) => {
      const gz = zlib.createGzip({ level: 9 });
      const out: Buffer[] = [];
      gz.on('data', (c: Buffer) => out.push(c));
      gz.on('end', () => resolve(Buffer.concat(out)));
      gz.on('error', reject);
      const zeros = Buffer.alloc(1 << 20);
      let left = mb;
      const pump = (): void => {
        while (left > 0) {
          left--;
          if (!gz.write(zeros)) return void gz.once('drain', pump);
        }
        gz.end();
      };
      pump();
    });
    bombs.set(mb, p);
  }
  return p;
}

/** Fetcher options the fetch tests share: short timeouts, a 1 MiB cap, loopback allowed. */
export const TEST_FETCHER_OPTIONS: FetcherOptions = {
  userAgent: 'crawl-test/1.0 (+https://example.invalid/bot)',
  perHost: 4,
  connectTimeoutMs: 1000,
  headersTimeoutMs: 500,
  bodyTimeoutMs: 800,
  totalTimeoutMs: 1500,
  maxBytes: 1024 * 1024,
  allowPrivateHost: () => true,
};

/** Builds the default /gzip-bomb ahead of time, so a crawl under load does not see the build as a slow server. */
export async function warmGzipBomb(mb = 200): Promise<void> {
  await gzipBomb(mb);
}

/** Deterministic pseudo-random bytes (xorshift), so failures reproduce. */
function junk(n: number): Buffer {
  const b = Buffer.alloc(n);
  let x = 0x2545f491;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

function send(res: http.ServerResponse, status: number, type: string | null, body: Buffer | string, extra: http.OutgoingHttpHeaders = {}): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  const headers: http.OutgoingHttpHeaders = { 'content-length': buf.length, ...extra };
  if (type) headers['content-type'] = type;
  res.writeHead(status, headers);
  res.end(buf);
}

/** Streams `chunk` repeatedly with backpressure until `total` bytes (Infinity = forever) or the client leaves. */
function stream(res: http.ServerResponse, chunk: Buffer, total: number): void {
  let sent = 0;
  let closed = false;
  res.on('close', () => { closed = true; });
  const pump = (): void => {
    while (!closed && sent < total) {
      const piece = total - sent < chunk.length ? chunk.subarray(0, total - sent) : chunk;
      sent += piece.length;
      if (!res.write(piece)) return void res.once('drain', pump);
    }
    if (!closed) res.end();
  };
  pump();
}

const BIG_SIZE = 50 * 1024 * 1024;
const BIG_CHUNK = Buffer.from('<p>' + 'x'.repeat(64 * 1024 - 7) + '</p>\n');

function builtinRoutes(state: { served500: boolean }): Record<string, FaultRoute> {
  const routes: Record<string, FaultRoute> = {
    '/ok': (_q, res) => send(res, 200, 'text/html; charset=utf-8', OK_HTML),
    '/redirect': (_q, res) => send(res, 301, 'text/html', html('moved'), { location: '/ok' }),
    '/redirect-loop-a': (_q, res) => send(res, 302, 'text/html', html('a'), { location: '/redirect-loop-b' }),
    '/redirect-loop-b': (_q, res) => send(res, 302, 'text/html', html('b'), { location: '/redirect-loop-a' }),
    '/reset-mid-body': (req, res) => {
      res.writeHead(200, { 'content-type': 'text/html', 'content-length': 100_000 });
      res.write(Buffer.alloc(1000, 'a'), () => setTimeout(() => req.socket.resetAndDestroy(), 20));
    },
    '/short-body': (req, res) => {
      res.writeHead(200, { 'content-type': 'text/html', 'content-length': 100_000 });
      res.write(Buffer.alloc(1000, 'a'), () => setTimeout(() => req.socket.end(), 20));
    },
    '/truncated-chunked': (req) => {
      // Raw bytes: a chunk header promising 0x100 bytes, 7 delivered, then FIN.
      req.socket.end('HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n' +
        '6\r\n<html>\r\n100\r\npartial');
    },
    '/never-ending': (_q, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      stream(res, BIG_CHUNK, Infinity);
    },
    '/trickle': (_q, res, url) => {
      const ms = Number(url.searchParams.get('ms') ?? 1000);
      res.writeHead(200, { 'content-type': 'text/html' });
      res.write('<');
      const t = setInterval(() => res.write('x'), ms);
      res.on('close', () => clearInterval(t));
    },
    '/stall-body': (_q, res) => {
      res.writeHead(200, { 'content-type': 'text/html', 'content-length': 100_000 });
      res.write(Buffer.alloc(1024, 'a'));
    },
    '/no-headers': () => { /* never answer */ },
    '/gzip': (_q, res) => send(res, 200, 'text/html', zlib.gzipSync(ENCODED_HTML), { 'content-encoding': 'gzip' }),
    '/gzip-bomb': (_q, res, url) => {
      const mb = Math.max(1, Math.min(2048, Number(url.searchParams.get('mb') ?? 200) || 200));
      gzipBomb(mb).then((b) => send(res, 200, 'text/html', b, { 'content-encoding': 'gzip' }), () => res.destroy());
    },
    '/big': (_q, res, url) => {
      const headers: http.OutgoingHttpHeaders = { 'content-type': 'text/html' };
      if (url.searchParams.get('length')) headers['content-length'] = BIG_SIZE;
      res.writeHead(200, headers);
      stream(res, BIG_CHUNK, BIG_SIZE);
    },
    '/deflate-raw': (_q, res) => send(res, 200, 'text/html', zlib.deflateRawSync(ENCODED_HTML), { 'content-encoding': 'deflate' }),
    '/deflate-zlib': (_q, res) => send(res, 200, 'text/html', zlib.deflateSync(ENCODED_HTML), { 'content-encoding': 'deflate' }),
    '/br': (_q, res) => send(res, 200, 'text/html', zlib.brotliCompressSync(ENCODED_HTML), { 'content-encoding': 'br' }),
    '/stacked': (_q, res) =>
      send(res, 200, 'text/html', zlib.brotliCompressSync(zlib.gzipSync(ENCODED_HTML)), { 'content-encoding': 'gzip, br' }),
    '/corrupt-gzip': (_q, res) => {
      const gz = Buffer.from(zlib.gzipSync(ENCODED_HTML));
      for (let i = 12; i < gz.length - 8; i += 3) gz[i] ^= 0x5a;
      send(res, 200, 'text/html', gz, { 'content-encoding': 'gzip' });
    },
    '/windows-1252': (_q, res) => send(res, 200, 'text/html; charset=windows-1252',
      Buffer.from(html('cp1252', `<p>Caf\xe9 \x80 \x96 na\xefve</p>`), 'latin1')),
    '/shift-jis-meta': (_q, res) => send(res, 200, 'text/html', Buffer.concat([
      Buffer.from('<!doctype html><html><head><meta charset="shift_jis"><title>sjis</title></head><body><p>'),
      // 日本語のページ in Shift_JIS
      Buffer.from('93fa967b8cea82cc8379815b8357', 'hex'),
      Buffer.from('</p></body></html>'),
    ])),
    '/gbk': (_q, res) => send(res, 200, 'text/html; charset=gbk', Buffer.concat([
      Buffer.from('<!doctype html><html><head><title>gbk</title></head><body><p>'),
      Buffer.from('d6d0cec4cdf8d2b3', 'hex'), // 中文网页
      Buffer.from('</p></body></html>'),
    ])),
    '/invalid-utf8': (_q, res) => send(res, 200, 'text/html; charset=utf-8', Buffer.concat([
      Buffer.from('<html><body><p>bad '), Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0xe2, 0x82]), Buffer.from('</p></body></html>'),
    ])),
    '/binary-junk': (_q, res) => send(res, 200, 'text/html', junk(4096)),
    '/mislabelled': (_q, res) => send(res, 200, 'text/html; charset=iso-8859-1', html('mislabelled', `<p>${FIXTURE_TEXT.mislabelled}</p>`)),
    '/429-storm': (_q, res) => send(res, 429, 'text/html', html('slow down'), { 'retry-after': '1' }),
    '/500-then-200': (_q, res) => {
      if (!state.served500) {
        state.served500 = true;
        send(res, 500, 'text/html', html('oops'));
      } else send(res, 200, 'text/html; charset=utf-8', html('recovered'));
    },
    '/503-retry-after-date': (_q, res) =>
      send(res, 503, 'text/html', html('maintenance'), { 'retry-after': new Date(Date.now() + 2000).toUTCString() }),
    '/pdf': (_q, res) => send(res, 200, 'application/pdf', Buffer.concat([Buffer.from('%PDF-1.4\n'), junk(20_000)])),
    '/no-type-html': (_q, res) => send(res, 200, null, html('untyped', '<a href="/ok">ok</a>')),
  };
  const index = Object.keys(routes).map((p) => `<li><a href="${p}">${p}</a></li>`).join('');
  routes['/'] = (_q, res) => send(res, 200, 'text/html; charset=utf-8', html('fault index', `<ul>${index}</ul>`));
  return routes;
}

/** Starts a fault server on 127.0.0.1 with a free port. Always close() it (e.g. in after()). */
export async function startFaultServer(opts: { routes?: Record<string, FaultRoute> } = {}): Promise<FaultServer> {
  const routes = { ...builtinRoutes({ served500: false }), ...opts.routes };
  const requests = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.set(url.pathname, (requests.get(url.pathname) ?? 0) + 1);
    const route = routes[url.pathname];
    if (route) route(req, res, url);
    else send(res, 404, 'text/html', html('not found'));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // Client-side resets show up here; they are the point of some routes, not a test failure.
  server.on('clientError', (_e, s) => s.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
