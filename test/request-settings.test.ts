/**
 * Request settings against real local servers: --header, cookies (cookies.txt + jar), basic auth per
 * origin (config and netrc), a cross-origin redirect that must not carry credentials, robots.txt and
 * sitemaps fetched with the same settings, and --proxy / HTTP_PROXY through a local forward proxy.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { LookupFunction } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { BadInputError, ErrorCodes } from '../src/errors.js';
import { createFetcher } from '../src/fetch/create.js';
import { parseNetrc } from '../src/fetch/netrc.js';
import { parseCookiesTxt } from '../src/fetch/cookies-file.js';
import { redactOptions, resolveOptions, type CrawlOptions } from '../src/options/options.js';
import { RobotsPolicy } from '../src/polite/robots.js';
import { readSitemaps } from '../src/polite/sitemaps.js';
import type { RobotsRecord } from '../src/store/types.js';
import { startProxyServer } from './helpers/proxy-server.js';
import { startRouteServer } from './helpers/route-server.js';

/** Every name resolves to 127.0.0.1, so a.test and b.test are two origins (and two cookie hosts) on one machine. */
const toLoopback = ((_h: string, o: { all?: boolean }, cb: (...a: unknown[]) => void) =>
  o.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)) as unknown as LookupFunction;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crawl-reqset-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const BASIC_A = 'Basic ' + Buffer.from('alice:s3cret').toString('base64');

/** A server that records the request headers of each path and answers with them as JSON. */
async function recordingServer(extra: Record<string, (req: http.IncomingMessage, res: http.ServerResponse) => void> = {}) {
  const seen: { path: string; headers: http.IncomingHttpHeaders }[] = [];
  const echo = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(JSON.stringify(req.headers));
  };
  const routes: Record<string, (req: http.IncomingMessage, res: http.ServerResponse) => void> = { '/echo': echo };
  for (const [p, h] of Object.entries(extra)) routes[p] = (req, res) => { seen.push({ path: req.url ?? '', headers: req.headers }); h(req, res); };
  const srv = await startRouteServer(routes);
  const port = new URL(srv.origin).port;
  return { ...srv, port, seen, last: (p: string) => [...seen].reverse().find((s) => s.path === p)?.headers };
}

async function fetcherFor(options: Partial<CrawlOptions>, seeds: string[]) {
  const opts = resolveOptions({ ...options, seeds } as Partial<CrawlOptions> & Record<string, unknown>);
  return createFetcher(opts, { seeds, allowPrivateHost: () => true, lookup: toLoopback });
}

describe('--header, auth and the cross-origin rule', () => {
  test('custom headers go everywhere; Authorization/Cookie given with --header and config auth only to their origins', async () => {
    const a = await recordingServer({
      '/private': (req, res) => {
        res.writeHead(req.headers.authorization === BASIC_A ? 200 : 401, { 'content-type': 'text/plain' });
        res.end('ok');
      },
      '/redirect': (_req, res) => { res.writeHead(302, { location: `http://b.test:${b.port}/echo` }); res.end(); },
    });
    const b = await recordingServer();
    const A = `http://a.test:${a.port}`;
    const f = await fetcherFor({
      header: ['X-Team: crawl, tests', 'Cookie: pref=1', 'User-Agent: custom/2.0'],
      auth: { [A]: { username: 'alice', password: 's3cret' } },
    }, [`${A}/`]);
    try {
      assert.equal((await f.fetch({ url: `${A}/private` })).status, 200);
      const r = await f.fetch({ url: `${A}/redirect` });
      assert.equal(r.status, 302);
      // The crawl loop queues the target as a URL of its own: fetching it is what the loop does.
      assert.equal((await f.fetch({ url: r.location! })).status, 200);
    } finally {
      await f.close();
    }
    const toA = a.last('/private')!;
    assert.equal(toA['x-team'], 'crawl, tests', 'commas kept in a header value');
    assert.equal(toA['user-agent'], 'custom/2.0');
    assert.equal(toA.cookie, 'pref=1');
    const toB = b.last('/echo')!;
    assert.equal(toB['x-team'], 'crawl, tests', 'plain custom headers go to every origin');
    assert.equal(toB.authorization, undefined, 'no credentials after a cross-origin redirect');
    assert.equal(toB.cookie, undefined, 'no cookie after a cross-origin redirect');
  });

  test('~/.netrc (via $NETRC) gives basic auth to the machine it names only', async () => {
    const a = await recordingServer();
    const b = await recordingServer();
    const netrc = path.join(tmp, 'netrc');
    fs.writeFileSync(netrc, 'machine a.test login alice password s3cret\ndefault login anyone password everywhere\n');
    const saved = process.env.NETRC;
    process.env.NETRC = netrc;
    try {
      const f = await fetcherFor({ netrc: true }, [`http://a.test:${a.port}/`]);
      try {
        await f.fetch({ url: `http://a.test:${a.port}/echo` });
        await f.fetch({ url: `http://b.test:${b.port}/echo` });
      } finally {
        await f.close();
      }
    } finally {
      if (saved === undefined) delete process.env.NETRC; else process.env.NETRC = saved;
    }
    assert.equal(a.last('/echo')!.authorization, BASIC_A);
    assert.equal(b.last('/echo')!.authorization, undefined, 'the "default" entry is never used');
  });

  test('netrc parsing: tokens over lines, quotes, comments, macdef', () => {
    const m = parseNetrc('# comment\nmachine x.org\n  login "u v"\n  password p#1\nmacdef init\ncd /\n\nmachine y.org login w password q');
    assert.deepEqual(m.get('x.org'), { username: 'u v', password: 'p#1' });
    assert.deepEqual(m.get('y.org'), { username: 'w', password: 'q' });
  });
});

describe('cookies', () => {
  test('cookies.txt is loaded, server-set cookies are kept for the run, and neither goes to another host', async () => {
    const a = await recordingServer({
      '/login': (_req, res) => { res.writeHead(200, { 'set-cookie': ['session=xyz; Path=/; HttpOnly', 'theme=dark; Expires=Wed, 21 Oct 2099 07:28:00 GMT'] }); res.end('in'); },
      '/members': (req, res) => {
        res.writeHead(/(^|; )session=xyz/.test(req.headers.cookie ?? '') ? 200 : 403);
        res.end();
      },
    });
    const b = await recordingServer();
    const file = path.join(tmp, 'cookies.txt');
    fs.writeFileSync(file, [
      '# Netscape HTTP Cookie File',
      'a.test\tFALSE\t/\tFALSE\t0\tconsent\tyes',
      '#HttpOnly_a.test\tFALSE\t/\tFALSE\t4102444800\ttoken\tabc',
      '.b.test\tTRUE\t/\tFALSE\t1\texpired\tgone',
      '',
    ].join('\n'));
    const f = await fetcherFor({ cookies: file }, [`http://a.test:${a.port}/`]);
    try {
      assert.equal((await f.fetch({ url: `http://a.test:${a.port}/members` })).status, 403);
      await f.fetch({ url: `http://a.test:${a.port}/login` });
      assert.equal((await f.fetch({ url: `http://a.test:${a.port}/members` })).status, 200);
      await f.fetch({ url: `http://b.test:${b.port}/echo` });
    } finally {
      await f.close();
    }
    const cookies = a.last('/members')!.cookie!.split('; ').sort();
    assert.deepEqual(cookies, ['consent=yes', 'session=xyz', 'theme=dark', 'token=abc']);
    assert.equal(b.last('/echo')!.cookie, undefined);
  });

  test('a malformed cookies.txt line is a BAD_INPUT error naming the line', () => {
    assert.throws(() => parseCookiesTxt('a.test\tFALSE\t/\n', 'c.txt'), (e: unknown) => e instanceof BadInputError && /line 1/.test(e.message));
  });
});

describe('robots.txt and sitemaps use the same settings', () => {
  test('headers, auth and cookies reach robots.txt and sitemap requests', async () => {
    let a!: Awaited<ReturnType<typeof recordingServer>>;
    const guarded = (body: string, type: string) => (req: http.IncomingMessage, res: http.ServerResponse) => {
      const ok = req.headers.authorization === BASIC_A && req.headers['x-team'] === 't' && /consent=yes/.test(req.headers.cookie ?? '');
      res.writeHead(ok ? 200 : 401, { 'content-type': type });
      res.end(ok ? body : '');
    };
    a = await recordingServer({
      '/robots.txt': guarded('User-agent: *\nDisallow: /no\n', 'text/plain'),
      '/sitemap.xml': (req, res) => guarded(`<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://a.test:${a.port}/p</loc></url></urlset>`, 'application/xml')(req, res),
    });
    const A = `http://a.test:${a.port}`;
    const file = path.join(tmp, 'cookies-robots.txt');
    fs.writeFileSync(file, 'a.test\tFALSE\t/\tFALSE\t0\tconsent\tyes\n');
    const f = await fetcherFor({ header: ['X-Team: t'], cookies: file, auth: { [A]: { username: 'alice', password: 's3cret' } } }, [`${A}/`]);
    const map = new Map<string, RobotsRecord>();
    const store = { getRobots: async (o: string) => map.get(o), putRobots: async (r: RobotsRecord) => { map.set(r.origin, r); } };
    try {
      const robots = new RobotsPolicy({ fetcher: f, store, userAgent: 'crawl-test/1.0', maxCrawlDelayMs: 1000 });
      assert.deepEqual(await robots.check(`${A}/no`), { allowed: false, code: ErrorCodes.ROBOTS_DISALLOWED }, 'robots.txt was read (so it was authorised)');
      const urls: string[] = [];
      for await (const e of readSitemaps([`${A}/sitemap.xml`], { fetcher: f })) urls.push(e.url);
      assert.deepEqual(urls, [`${A}/p`]);
    } finally {
      await f.close();
    }
  });
});

describe('proxies', () => {
  test('--proxy: http URLs go as absolute-URI requests, https through CONNECT; proxy credentials from the URL', async () => {
    const proxy = await startProxyServer({ requireAuth: 'Basic ' + Buffer.from('pu:pp').toString('base64') });
    const a = await recordingServer();
    const proxyUrl = proxy.url.replace('http://', 'http://pu:pp@');
    const f = await fetcherFor({ proxy: proxyUrl }, [`http://a.test:${a.port}/`]);
    try {
      const r = await f.fetch({ url: `http://a.test:${a.port}/echo` });
      assert.equal(r.status, 200, r.errorMessage);
      // No TLS server is needed to see the tunnel being asked for: the CONNECT is logged either way.
      await f.fetch({ url: `https://secure.test:${a.port}/echo` });
    } finally {
      await f.close();
    }
    assert.equal(proxy.log[0].method, 'GET');
    assert.equal(proxy.log[0].url, `http://a.test:${a.port}/echo`);
    assert.ok(proxy.log.some((e) => e.method === 'CONNECT' && e.url === `secure.test:${a.port}`), JSON.stringify(proxy.log.map((e) => e.url)));
    assert.equal(a.last('/echo')!.host, `a.test:${a.port}`);
  });

  test('a proxy that drops a CONNECT fails the fetch (no reconnect loop, undici#3897)', { timeout: 30_000 }, async () => {
    const dropper = http.createServer();
    let connects = 0;
    dropper.on('connect', (_req: http.IncomingMessage, client: import('node:net').Socket) => { connects++; client.destroy(); });
    await new Promise<void>((r) => dropper.listen(0, '127.0.0.1', r));
    const f = await fetcherFor({ proxy: `http://127.0.0.1:${(dropper.address() as import('node:net').AddressInfo).port}` }, []);
    try {
      const r = await f.fetch({ url: 'https://secure.test:9/x' });
      assert.equal(r.errorCode, ErrorCodes.CONNECTION_RESET, r.errorMessage);
    } finally {
      await f.close();
      dropper.close();
    }
    assert.ok(connects < 5, `${connects} CONNECT attempts`);
  });

  test('HTTP_PROXY from the environment is used, NO_PROXY hosts go direct', async () => {
    const proxy = await startProxyServer();
    const a = await recordingServer();
    const b = await recordingServer();
    const keys = ['HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy', 'HTTPS_PROXY', 'https_proxy'];
    const saved = Object.fromEntries(keys.map((k) => [k, process.env[k]]));
    for (const k of keys) delete process.env[k];
    process.env.HTTP_PROXY = proxy.url;
    process.env.NO_PROXY = 'b.test';
    try {
      const f = await fetcherFor({}, [`http://a.test:${a.port}/`]);
      try {
        assert.equal((await f.fetch({ url: `http://a.test:${a.port}/echo` })).status, 200);
        assert.equal((await f.fetch({ url: `http://b.test:${b.port}/echo` })).status, 200);
      } finally {
        await f.close();
      }
    } finally {
      for (const k of keys) if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
    }
    assert.deepEqual(proxy.log.map((e) => e.url), [`http://a.test:${a.port}/echo`]);
  });

  test('through a proxy, private IP literals and localhost names are still refused unless allowed', async () => {
    const proxy = await startProxyServer();
    const opts = resolveOptions({ proxy: proxy.url, seeds: [] });
    const f = await createFetcher(opts, { seeds: [], allowPrivateHost: () => false });
    try {
      assert.equal((await f.fetch({ url: 'http://10.1.2.3/x' })).errorCode, ErrorCodes.PRIVATE_ADDRESS);
      assert.equal((await f.fetch({ url: 'http://localhost:9/x' })).errorCode, ErrorCodes.PRIVATE_ADDRESS);
    } finally {
      await f.close();
    }
    assert.equal(proxy.log.length, 0, 'nothing reached the proxy');
  });
});

describe('secrets stay out of stored options', () => {
  test('redactOptions() hides credential headers, auth passwords and proxy credentials', () => {
    const opts = resolveOptions({
      seeds: [], header: ['Authorization: Bearer tok123', 'X-Plain: visible', 'cookie: sid=abc'], proxy: 'http://pu:pp999@proxy.example:3128',
      auth: JSON.stringify({ 'https://example.com:443/': { username: 'alice', password: 'pw777' } }),
    });
    assert.deepEqual(Object.keys(opts.auth), ['https://example.com'], 'auth keys are origins');
    const json = JSON.stringify(redactOptions(opts));
    for (const secret of ['tok123', 'sid=abc', 'pp999', 'pw777']) assert.ok(!json.includes(secret), `${secret} redacted: ${json}`);
    assert.ok(json.includes('visible') && json.includes('alice') && json.includes('proxy.example'));
  });

  test('bad settings are BAD_INPUT errors that name the option', () => {
    assert.throws(() => resolveOptions({ header: ['no colon'] }), /--header "no colon" must look like "Name: value"/);
    assert.throws(() => resolveOptions({ header: ['Bad Name: x'] }), /not a valid HTTP header name/);
    assert.throws(() => resolveOptions({ auth: { 'not a url': { username: 'u', password: 'p' } } }), /is not an origin/);
    assert.throws(() => resolveOptions({ proxy: 'socks5://h:1' }), /only http:\/\/ and https:\/\/ proxies/);
    assert.throws(() => resolveOptions({ cookies: path.join(tmp, 'missing.txt') }), /--cookies .*no such file/);
    assert.deepEqual(resolveOptions({ headers: { 'X-A': 'b, c' } } as Record<string, unknown>).headers, [{ name: 'X-A', value: 'b, c' }], 'config "headers" object');
  });
});
