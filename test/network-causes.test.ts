/**
 * A network failure keeps its real cause: the fetcher's codes stay distinct (HOST_UNREACHABLE
 * included), and a robots.txt that cannot be fetched says why (DNS, refused, timeout) instead of
 * one "host unreachable" for all.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { RobotsPolicy, type RobotsCacheStore, type RobotsVerdict } from '../src/polite/robots.js';
import type { RobotsRecord } from '../src/store/types.js';
import { UndiciFetcher } from '../src/fetch/fetcher.js';
import { classifyError } from '../src/fetch/classify.js';
import { ErrorCodes } from '../src/errors.js';
import { startRouteServer } from './helpers/route-server.js';

const OPTS = {
  userAgent: 'crawl/0.1 (+https://example.com/bot)', perHost: 2, connectTimeoutMs: 300, headersTimeoutMs: 5000,
  bodyTimeoutMs: 5000, totalTimeoutMs: 5000, maxBytes: 1 << 20, allowPrivateHost: () => true,
};
const fetchers: UndiciFetcher[] = [];
after(async () => { for (const f of fetchers) await f.close(); });

class MemoryStore implements RobotsCacheStore {
  readonly map = new Map<string, RobotsRecord>();
  async getRobots(origin: string) { return this.map.get(origin); }
  async putRobots(rec: RobotsRecord) { this.map.set(rec.origin, rec); }
}

async function verdict(url: string, lookup?: LookupFunction, timeoutMs = 5000): Promise<RobotsVerdict> {
  const fetcher = new UndiciFetcher(OPTS, lookup ? { lookup } : {});
  fetchers.push(fetcher);
  const p = new RobotsPolicy({ fetcher, store: new MemoryStore(), userAgent: OPTS.userAgent, maxCrawlDelayMs: 1000, timeoutMs });
  return p.check(url);
}

function causeOf(v: RobotsVerdict): string | undefined {
  assert.equal(v.allowed, false);
  assert.ok(!v.allowed && v.code === 'ROBOTS_UNAVAILABLE', JSON.stringify(v));
  assert.equal(v.status, 0);
  return v.cause;
}

test('robots.txt unreachable: the verdict names the cause (refused, DNS, connect timeout, total timeout)', async () => {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  assert.equal(causeOf(await verdict(`http://127.0.0.1:${port}/`)), ErrorCodes.CONNECTION_REFUSED);

  const noSuchHost = ((h: string, _o: unknown, cb: (e: Error) => void) =>
    cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${h}`), { code: 'ENOTFOUND' }))) as unknown as LookupFunction;
  const dns = await verdict('http://no-such-host.test/', noSuchHost);
  assert.equal(causeOf(dns), ErrorCodes.DNS_FAILED);
  assert.ok(!dns.allowed && 'causeMessage' in dns && /ENOTFOUND/.test(dns.causeMessage ?? ''), 'the message is kept too');

  const never = (() => {}) as unknown as LookupFunction;
  assert.equal(causeOf(await verdict('http://black-hole.test/', never)), ErrorCodes.CONNECT_TIMEOUT);

  const silent = await startRouteServer({ '/robots.txt': () => { /* never answers */ } });
  assert.equal(causeOf(await verdict(silent.origin + '/', undefined, 300)), ErrorCodes.TOTAL_TIMEOUT);
});

test('unreachable host or network (EHOSTUNREACH, ENETUNREACH) is HOST_UNREACHABLE, not NETWORK_ERROR', () => {
  for (const code of ['EHOSTUNREACH', 'ENETUNREACH']) {
    const err = Object.assign(new Error('connect failed'), { cause: Object.assign(new Error(`connect ${code} 10.0.0.1:80`), { code }) });
    assert.equal(classifyError(err, { deadline: false }), ErrorCodes.HOST_UNREACHABLE, code);
  }
});
