/** The fetch stage against a misbehaving local server: successes, statuses, caps, encodings, open(). */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CrawlError, ErrorCodes } from '../src/errors.js';
import { UndiciFetcher } from '../src/fetch/fetcher.js';
import { FIXTURE_TEXT, startFaultServer, TEST_FETCHER_OPTIONS, type FaultServer } from './helpers/fault-server.js';

const MiB = 1024 * 1024;
const OPTS = TEST_FETCHER_OPTIONS;

let srv: FaultServer;
let f: UndiciFetcher;
before(async () => {
  srv = await startFaultServer({
    routes: {
      '/echo-headers': (req, res) => {
        const body = JSON.stringify(req.headers);
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      },
      '/port': (req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(String(req.socket.remotePort));
      },
      '/big-404': (_q, res) => {
        res.writeHead(404, { 'content-type': 'text/html' });
        res.end(Buffer.alloc(300_000, 'x'));
      },
    },
  });
  f = new UndiciFetcher(OPTS);
});
after(async () => {
  await f.close();
  await srv.close();
});

const text = (b: Uint8Array | null, enc = 'utf-8'): string => new TextDecoder(enc).decode(b ?? new Uint8Array());

describe('successful fetches', () => {
  test('/ok: status, headers, type, charset, body and bytes', async () => {
    const r = await f.fetch({ url: `${srv.url}/ok` });
    assert.equal(r.status, 200);
    assert.equal(r.errorCode, undefined);
    assert.equal(r.retryable, false);
    assert.equal(r.contentType, 'text/html');
    assert.equal(r.charset, 'utf-8');
    assert.match(text(r.body), /<h1>ok<\/h1>/);
    assert.equal(r.bytes, r.body!.length);
    assert.equal(r.headers['content-length'], String(r.bytes));
    assert.ok(Object.keys(r.headers).every((k) => k === k.toLowerCase()));
    assert.ok(r.ttfbMs >= 0 && r.durationMs >= r.ttfbMs);
  });

  test('sends User-Agent, Accept, Accept-Encoding and extra headers', async () => {
    const r = await f.fetch({ url: `${srv.url}/echo-headers`, headers: { 'if-none-match': '"abc"' } });
    const seen = JSON.parse(text(r.body)) as Record<string, string>;
    assert.equal(seen['user-agent'], OPTS.userAgent);
    assert.equal(seen.accept, 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.5');
    assert.equal(seen['accept-encoding'], 'gzip, deflate, br');
    assert.equal(seen['if-none-match'], '"abc"');
  });

  test('keep-alive: sequential requests reuse pooled connections', async () => {
    const ports = new Set<string>();
    for (let i = 0; i < 10; i++) ports.add(text((await f.fetch({ url: `${srv.url}/port` })).body));
    // undici may open a second socket while the first is settling, but never one per request.
    assert.ok(ports.size <= OPTS.perHost, [...ports].join(' '));
  });

  test('no Content-Type: body kept for sniffing, contentType null', async () => {
    const r = await f.fetch({ url: `${srv.url}/no-type-html` });
    assert.equal(r.contentType, null);
    assert.equal(r.charset, null);
    assert.match(text(r.body), /untyped/);
  });

  test('application/pdf: body not kept, bytes from Content-Length', async () => {
    const r = await f.fetch({ url: `${srv.url}/pdf` });
    assert.equal(r.status, 200);
    assert.equal(r.contentType, 'application/pdf');
    assert.equal(r.body, null);
    assert.equal(r.bytes, 20_009);
    assert.equal(r.errorCode, undefined);
  });
});

describe('redirects are returned, not followed', () => {
  test('/redirect: 301 with location, target not requested', async () => {
    const r = await f.fetch({ url: `${srv.url}/redirect` });
    assert.equal(r.status, 301);
    assert.equal(r.location, '/ok');
    assert.equal(r.body, null);
    assert.equal(r.retryable, false);
  });

  test('/redirect-loop-a: one request, location to b', async () => {
    const before = srv.requests.get('/redirect-loop-b') ?? 0;
    const r = await f.fetch({ url: `${srv.url}/redirect-loop-a` });
    assert.equal(r.status, 302);
    assert.equal(r.location, '/redirect-loop-b');
    assert.equal(srv.requests.get('/redirect-loop-b') ?? 0, before);
  });
});

describe('HTTP status outcomes', () => {
  test('404 with a big body: drained/discarded, no error, not retryable', async () => {
    const r = await f.fetch({ url: `${srv.url}/big-404` });
    assert.equal(r.status, 404);
    assert.equal(r.errorCode, undefined);
    assert.equal(r.retryable, false);
    assert.equal(r.body, null);
  });

  test('/429-storm: retryable with Retry-After 1 s', async () => {
    const r = await f.fetch({ url: `${srv.url}/429-storm` });
    assert.equal(r.status, 429);
    assert.equal(r.retryable, true);
    assert.equal(r.retryAfterMs, 1000);
    assert.equal(r.errorCode, undefined);
  });

  test('/500-then-200: 500 retryable, then 200', async () => {
    const a = await f.fetch({ url: `${srv.url}/500-then-200` });
    assert.equal(a.status, 500);
    assert.equal(a.retryable, true);
    const b = await f.fetch({ url: `${srv.url}/500-then-200` });
    assert.equal(b.status, 200);
    assert.match(text(b.body), /recovered/);
  });

  test('/503-retry-after-date: Retry-After HTTP date parsed', async () => {
    const r = await f.fetch({ url: `${srv.url}/503-retry-after-date` });
    assert.equal(r.status, 503);
    assert.equal(r.retryable, true);
    assert.ok(r.retryAfterMs !== undefined && r.retryAfterMs >= 0 && r.retryAfterMs <= 3000, String(r.retryAfterMs));
  });
});

describe('size caps and decompression', () => {
  test('/gzip-bomb (200 MiB of zeros): BODY_TOO_LARGE, stopped at the cap, small memory', async () => {
    // Patient timeouts: the server builds the bomb on first request (a few hundred ms).
    const g = new UndiciFetcher({ ...OPTS, headersTimeoutMs: 10_000, totalTimeoutMs: 20_000 });
    let r;
    let grew;
    try {
      await g.fetch({ url: `${srv.url}/gzip-bomb` });
      const rss0 = process.memoryUsage().rss;
      r = await g.fetch({ url: `${srv.url}/gzip-bomb` });
      grew = process.memoryUsage().rss - rss0;
    } finally {
      await g.close();
    }
    assert.equal(r.errorCode, ErrorCodes.BODY_TOO_LARGE, r.errorMessage);
    assert.equal(r.retryable, false);
    assert.equal(r.body, null);
    assert.ok(r.bytes > OPTS.maxBytes && r.bytes <= OPTS.maxBytes + 256 * 1024, String(r.bytes));
    assert.ok(grew < 100 * MiB, `rss grew ${(grew / MiB).toFixed(1)} MiB`);
  });

  test('/big (50 MiB chunked): BODY_TOO_LARGE just past the cap', async () => {
    const r = await f.fetch({ url: `${srv.url}/big` });
    assert.equal(r.errorCode, ErrorCodes.BODY_TOO_LARGE, r.errorMessage);
    assert.ok(r.bytes > OPTS.maxBytes && r.bytes <= OPTS.maxBytes + 256 * 1024, String(r.bytes));
  });

  test('/big with Content-Length: refused before reading', async () => {
    const r = await f.fetch({ url: `${srv.url}/big?length=1` });
    assert.equal(r.errorCode, ErrorCodes.BODY_TOO_LARGE);
    assert.equal(r.bytes, 0);
  });

  test('/never-ending: BODY_TOO_LARGE', async () => {
    const r = await f.fetch({ url: `${srv.url}/never-ending` });
    assert.equal(r.errorCode, ErrorCodes.BODY_TOO_LARGE, r.errorMessage);
  });

  test('gzip, raw deflate, zlib deflate, br and stacked gzip+br decode to the same HTML', async () => {
    const bodies: string[] = [];
    for (const p of ['/gzip', '/deflate-raw', '/deflate-zlib', '/br', '/stacked']) {
      const r = await f.fetch({ url: `${srv.url}${p}` });
      assert.equal(r.errorCode, undefined, `${p}: ${r.errorMessage}`);
      const t = text(r.body);
      assert.match(t, /^<!doctype html>.*<\/html>$/s, p);
      assert.equal(r.bytes, r.body!.length, p);
      bodies.push(t);
    }
    assert.equal(new Set(bodies).size, 1);
    assert.equal(bodies[0].split('compressible text ').length - 1, 200);
  });

  test('/corrupt-gzip: DECODE_FAILED, not retryable', async () => {
    const r = await f.fetch({ url: `${srv.url}/corrupt-gzip` });
    assert.equal(r.errorCode, ErrorCodes.DECODE_FAILED, r.errorMessage);
    assert.equal(r.retryable, false);
  });
});

describe('charsets: bytes kept as sent, charset reported', () => {
  test('/windows-1252: charset reported, bytes untouched', async () => {
    const r = await f.fetch({ url: `${srv.url}/windows-1252` });
    assert.equal(r.charset, 'windows-1252');
    // Byte check, not TextDecoder: Node 20.20's TextDecoder('windows-1252') maps 0x80-0x9F to C1
    // controls (latin1), so it cannot verify "€" and "–" here.
    assert.ok(Buffer.from(r.body!).includes(Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x20, 0x80, 0x20, 0x96])));
    assert.ok(FIXTURE_TEXT.windows1252.startsWith('Caf'));
  });

  const cases: [string, string | null, string, string][] = [
    ['/shift-jis-meta', null, 'shift_jis', FIXTURE_TEXT.shiftJis],
    ['/gbk', 'gbk', 'gbk', FIXTURE_TEXT.gbk],
    ['/mislabelled', 'iso-8859-1', 'utf-8', FIXTURE_TEXT.mislabelled],
  ];
  for (const [path, charset, decodeAs, expected] of cases) {
    test(`${path}: charset ${charset}, decodes to the fixture text`, async () => {
      const r = await f.fetch({ url: `${srv.url}${path}` });
      assert.equal(r.charset, charset);
      assert.ok(text(r.body, decodeAs).includes(expected));
    });
  }

  test('/invalid-utf8 and /binary-junk: bodies kept byte for byte', async () => {
    const a = await f.fetch({ url: `${srv.url}/invalid-utf8` });
    assert.ok(Buffer.from(a.body!).includes(Buffer.from([0xc3, 0x28, 0xff])));
    const b = await f.fetch({ url: `${srv.url}/binary-junk` });
    assert.equal(b.body!.length, 4096);
    assert.equal(b.contentType, 'text/html');
  });
});

describe('open(): streamed responses', () => {
  test('decodes the body and reports status and type', async () => {
    const o = await f.open({ url: `${srv.url}/stacked` });
    assert.equal(o.status, 200);
    assert.equal(o.contentType, 'text/html');
    const chunks: Buffer[] = [];
    for await (const c of o.body) chunks.push(c as Buffer);
    assert.match(Buffer.concat(chunks).toString(), /^<!doctype html>.*compressible text.*<\/html>$/s);
  });

  test('returns redirects without following', async () => {
    const o = await f.open({ url: `${srv.url}/redirect` });
    assert.equal(o.status, 301);
    assert.equal(o.location, '/ok');
    o.body.destroy();
  });

  test('network failures reject with coded CrawlErrors', async () => {
    await assert.rejects(f.open({ url: `${srv.url}/no-headers` }),
      (e: CrawlError) => e instanceof CrawlError && e.code === ErrorCodes.HEADERS_TIMEOUT);
    const o = await f.open({ url: `${srv.url}/reset-mid-body` });
    await assert.rejects((async () => { for await (const _ of o.body) { /* drain */ } })(),
      (e: CrawlError) => e instanceof CrawlError && e.code === ErrorCodes.CONNECTION_RESET);
  });
});

