/** The fetch stage's failure paths: timeouts, resets, refused, DNS, TLS, the private-network guard. */
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, LookupFunction } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { CrawlError, ErrorCodes } from '../src/errors.js';
import { UndiciFetcher } from '../src/fetch/fetcher.js';
import { isPrivateAddress } from '../src/fetch/private-guard.js';
import { parseRetryAfter } from '../src/fetch/retry-after.js';
import { SELF_SIGNED_CERT, SELF_SIGNED_KEY } from './helpers/self-signed.js';
import { startFaultServer, TEST_FETCHER_OPTIONS, type FaultServer } from './helpers/fault-server.js';

const OPTS = TEST_FETCHER_OPTIONS;

/** dns.lookup-shaped function mapping every name to 127.0.0.1. */
const toLoopback = ((_h: string, o: { all?: boolean }, cb: (...a: unknown[]) => void) =>
  o.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)) as unknown as LookupFunction;

let srv: FaultServer;
let f: UndiciFetcher;
before(async () => {
  srv = await startFaultServer();
  f = new UndiciFetcher(OPTS);
});
after(async () => {
  await f.close();
  await srv.close();
});

describe('network failures and timeouts', () => {
  test('/reset-mid-body: CONNECTION_RESET, retryable', async () => {
    const r = await f.fetch({ url: `${srv.url}/reset-mid-body` });
    assert.equal(r.errorCode, ErrorCodes.CONNECTION_RESET, r.errorMessage);
    assert.equal(r.status, 200);
    assert.equal(r.retryable, true);
    assert.equal(r.body, null);
  });

  test('/short-body (FIN before Content-Length): CONNECTION_RESET', async () => {
    const r = await f.fetch({ url: `${srv.url}/short-body` });
    assert.equal(r.errorCode, ErrorCodes.CONNECTION_RESET, r.errorMessage);
    assert.equal(r.retryable, true);
  });

  test('/truncated-chunked: CONNECTION_RESET', async () => {
    const r = await f.fetch({ url: `${srv.url}/truncated-chunked` });
    assert.equal(r.errorCode, ErrorCodes.CONNECTION_RESET, r.errorMessage);
    assert.equal(r.retryable, true);
  });

  test('/no-headers: HEADERS_TIMEOUT', async () => {
    const t0 = Date.now();
    const r = await f.fetch({ url: `${srv.url}/no-headers` });
    assert.equal(r.errorCode, ErrorCodes.HEADERS_TIMEOUT, r.errorMessage);
    assert.equal(r.status, null);
    assert.equal(r.retryable, true);
    assert.ok(Date.now() - t0 < 1400);
  });

  test('/stall-body: BODY_TIMEOUT', async () => {
    const r = await f.fetch({ url: `${srv.url}/stall-body` });
    assert.equal(r.errorCode, ErrorCodes.BODY_TIMEOUT, r.errorMessage);
    assert.equal(r.status, 200);
    assert.equal(r.bytes, 1024);
    assert.equal(r.retryable, true);
  });

  test('/trickle (1 byte/s, body idle timeout longer): TOTAL_TIMEOUT near the deadline', async () => {
    const slow = new UndiciFetcher({ ...OPTS, bodyTimeoutMs: 5000, totalTimeoutMs: 1500 });
    try {
      const t0 = Date.now();
      const r = await slow.fetch({ url: `${srv.url}/trickle` });
      const took = Date.now() - t0;
      assert.equal(r.errorCode, ErrorCodes.TOTAL_TIMEOUT, r.errorMessage);
      assert.equal(r.retryable, true);
      assert.ok(r.bytes >= 1 && r.bytes <= 3, String(r.bytes));
      assert.ok(took >= 1400 && took < 3000, `took ${took} ms`);
    } finally {
      await slow.close();
    }
  });

  test('ECONNREFUSED: CONNECTION_REFUSED', async () => {
    const s = http.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    const r = await f.fetch({ url: `http://127.0.0.1:${port}/` });
    assert.equal(r.errorCode, ErrorCodes.CONNECTION_REFUSED, r.errorMessage);
    assert.equal(r.retryable, true);
  });

  test('DNS failure (ENOTFOUND, EAI_AGAIN): DNS_FAILED', async () => {
    for (const code of ['ENOTFOUND', 'EAI_AGAIN']) {
      const failing = ((h: string, _o: unknown, cb: (e: Error) => void) =>
        cb(Object.assign(new Error(`getaddrinfo ${code} ${h}`), { code }))) as unknown as LookupFunction;
      const d = new UndiciFetcher(OPTS, { lookup: failing });
      try {
        const r = await d.fetch({ url: 'http://no-such-host.test/' });
        assert.equal(r.errorCode, ErrorCodes.DNS_FAILED, r.errorMessage);
        assert.equal(r.retryable, true);
      } finally {
        await d.close();
      }
    }
  });

  test('DNS that never answers: CONNECT_TIMEOUT', async () => {
    const hang = (() => {}) as unknown as LookupFunction;
    const d = new UndiciFetcher({ ...OPTS, connectTimeoutMs: 300 }, { lookup: hang });
    try {
      const r = await d.fetch({ url: 'http://black-hole.test/' });
      assert.equal(r.errorCode, ErrorCodes.CONNECT_TIMEOUT, r.errorMessage);
      assert.equal(r.retryable, true);
    } finally {
      await d.close();
    }
  });

  test('self-signed certificate: TLS_FAILED, not retryable, no request served', async () => {
    let served = 0;
    const s = https.createServer({ cert: SELF_SIGNED_CERT, key: SELF_SIGNED_KEY }, (_q, res) => { served++; res.end('hi'); });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    try {
      const r = await f.fetch({ url: `https://localhost:${(s.address() as AddressInfo).port}/` });
      assert.equal(r.errorCode, ErrorCodes.TLS_FAILED, r.errorMessage);
      assert.equal(r.retryable, false);
      assert.equal(served, 0);
    } finally {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  });

  test('caller abort: NETWORK_ERROR (not a timeout)', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const r = await f.fetch({ url: `${srv.url}/no-headers`, signal: ac.signal });
    assert.equal(r.errorCode, ErrorCodes.NETWORK_ERROR, r.errorMessage);
  });
});

describe('private-network guard', () => {
  test('refuses 127.0.0.1 and localhost before any request reaches the server', async () => {
    const seen: string[] = [];
    const g = new UndiciFetcher({ ...OPTS, allowPrivateHost: (h) => (seen.push(h), false) });
    try {
      const count = srv.requests.get('/ok') ?? 0;
      for (const host of ['127.0.0.1', 'localhost']) {
        const r = await g.fetch({ url: `http://${host}:${srv.port}/ok` });
        assert.equal(r.errorCode, ErrorCodes.PRIVATE_ADDRESS, `${host}: ${r.errorMessage}`);
        assert.equal(r.retryable, false);
        assert.equal(r.status, null);
      }
      assert.equal(srv.requests.get('/ok') ?? 0, count);
      assert.deepEqual(seen, ['127.0.0.1', 'localhost']);
      await assert.rejects(g.open({ url: `http://localhost:${srv.port}/ok` }), (e: CrawlError) => e.code === ErrorCodes.PRIVATE_ADDRESS);
    } finally {
      await g.close();
    }
  });

  test('checks the RESOLVED address of a public-looking name', async () => {
    const g = new UndiciFetcher({ ...OPTS, allowPrivateHost: () => false }, { lookup: toLoopback });
    const ok = new UndiciFetcher({ ...OPTS, allowPrivateHost: (h) => h === 'site-a.test' }, { lookup: toLoopback });
    try {
      const r = await g.fetch({ url: `http://site-a.test:${srv.port}/ok` });
      assert.equal(r.errorCode, ErrorCodes.PRIVATE_ADDRESS, r.errorMessage);
      const r2 = await ok.fetch({ url: `http://site-a.test:${srv.port}/ok` });
      assert.equal(r2.status, 200, r2.errorMessage);
    } finally {
      await g.close();
      await ok.close();
    }
  });

  test('allowPrivateHost true: localhost works', async () => {
    const r = await f.fetch({ url: `http://localhost:${srv.port}/ok` });
    assert.equal(r.status, 200, r.errorMessage);
  });

  test('isPrivateAddress classifies ranges', () => {
    const priv = ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254',
      '100.64.0.1', '0.0.0.0', '255.255.255.255', '224.0.0.1', '::1', '::', 'fe80::1', 'fc00::1', 'fd12::1',
      '::ffff:127.0.0.1', '::ffff:10.0.0.1', '[::1]', 'fe80::1%eth0', 'not-an-ip'];
    const pub = ['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'];
    for (const ip of priv) assert.equal(isPrivateAddress(ip), true, ip);
    for (const ip of pub) assert.equal(isPrivateAddress(ip), false, ip);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  test('delta seconds, dates, junk', () => {
    assert.equal(parseRetryAfter('0', now), 0);
    assert.equal(parseRetryAfter(' 120 ', now), 120_000);
    assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('', now), undefined);
    assert.equal(parseRetryAfter('-5', now), undefined);
    assert.equal(parseRetryAfter('1.5', now), undefined);
    assert.equal(parseRetryAfter('soon', now), undefined);
  });
});
