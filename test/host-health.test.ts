/** The host-health rules on their own (../src/crawler/host-health.ts): what counts, when a host is held, probed, given up. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HostHealth, HOST_DOWN_AFTER, type HostDown } from '../src/crawler/host-health.js';

const REFUSED = 'CONNECTION_REFUSED';

test('only connection-level failures count; any answer resets the count', () => {
  const h = new HostHealth(undefined, 1000);
  for (const code of ['HTTP_STATUS', 'BODY_TIMEOUT', 'CONNECTION_RESET', 'HEADERS_TIMEOUT', null]) {
    for (let i = 0; i < HOST_DOWN_AFTER + 2; i++) assert.notEqual(h.observe('a', code, 'x', 0, 0).kind, 'hold', `${code} does not make a host suspect`);
  }
  for (let i = 1; i < HOST_DOWN_AFTER; i++) assert.equal(h.observe('a', REFUSED, 'refused', 0, 0).kind, 'failing');
  assert.equal(h.observe('a', 'HTTP_STATUS', '503', 0, 0).kind, 'up', 'a 5xx is an answer');
  for (let i = 1; i < HOST_DOWN_AFTER; i++) assert.equal(h.observe('a', 'DNS_FAILED', 'dns', 0, 0).kind, 'failing', 'counted from 0 again');
  assert.deepEqual(h.list(), []);
});

test('suspect after HOST_DOWN_AFTER failures in a row; a late failure of an earlier request is no probe; the probe decides', () => {
  const downs: HostDown[] = [];
  const h = new HostHealth((d) => downs.push(d), 1000);
  for (let i = 1; i < HOST_DOWN_AFTER; i++) h.observe('a', REFUSED, 'refused', 0, 10);
  assert.deepEqual(h.observe('a', 'CONNECT_TIMEOUT', 'timeout', 0, 10), { kind: 'hold', until: 1010 });
  assert.equal(h.observe('a', REFUSED, 'refused', 5, 500).kind, 'failing', 'started before the hold ended: not the probe');
  assert.equal(h.observe('b', REFUSED, 'refused', 1010, 1010).kind, 'failing', 'hosts are counted apart');
  const v = h.observe('a', REFUSED, 'connect ECONNREFUSED', 1010, 1020);
  assert.equal(v.kind, 'down');
  assert.equal(downs.length, 1);
  assert.equal(downs[0].host, 'a');
  assert.equal(downs[0].code, REFUSED);
  assert.match(downs[0].message, /^host a is down \(CONNECTION_REFUSED: .*connect ECONNREFUSED\); its remaining URLs are not fetched this run$/);
  h.counted('a'); h.counted('a');
  assert.deepEqual(h.list().map((d) => [d.host, d.urls]), [['a', 2]]);
});

test('a suspect host that answers its probe is up again, and must fail HOST_DOWN_AFTER times anew', () => {
  const h = new HostHealth(undefined, 1000);
  for (let i = 1; i < HOST_DOWN_AFTER; i++) h.observe('a', REFUSED, 'x', 0, 0);
  assert.equal(h.observe('a', REFUSED, 'x', 0, 0).kind, 'hold');
  assert.equal(h.observe('a', null, null, 1000, 1001).kind, 'up');
  assert.equal(h.observe('a', REFUSED, 'x', 2000, 2000).kind, 'failing', 'not given up on one failure after coming back');
  assert.equal(h.down('a'), undefined);
});

test('robots.txt with no answer: the host is down at once, once', () => {
  const downs: HostDown[] = [];
  const h = new HostHealth((d) => downs.push(d));
  const d = h.robotsUnreachable('a', 'DNS_FAILED', 'getaddrinfo ENOTFOUND a');
  assert.match(d.message, /^host a is down \(DNS_FAILED: robots\.txt could not be fetched: getaddrinfo ENOTFOUND a\)/);
  h.robotsUnreachable('a', 'DNS_FAILED', 'again');
  assert.equal(downs.length, 1);
});
