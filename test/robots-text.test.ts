/**
 * robots.txt whitespace per RFC 9309 (issue 16.9): only SP and HTAB are whitespace, so a byte
 * order mark in the middle of the file does not make a line into a rule; one at the very start
 * of the file is skipped. Checked through RobotsPolicy with the record in its cache store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RobotsPolicy, type RobotsCacheStore } from '../src/polite/robots.js';
import { rfc9309Text } from '../src/polite/robots-text.js';
import type { Fetcher } from '../src/fetch/types.js';
import type { RobotsRecord } from '../src/store/types.js';

const ORIGIN = 'http://r.test';

/** A policy whose store already holds `body` as a fresh robots.txt: nothing is fetched. */
function policyFor(body: string): RobotsPolicy {
  const rec: RobotsRecord = { origin: ORIGIN, fetchedAt: Date.now(), status: 200, body };
  const store: RobotsCacheStore = { getRobots: async () => rec, putRobots: async () => {} };
  const fetcher = { open: () => { throw new Error('no fetch expected'); } } as unknown as Fetcher;
  return new RobotsPolicy({ fetcher, store, userAgent: 'crawl/1.0', maxCrawlDelayMs: 10_000 });
}

async function allowed(body: string, path: string): Promise<boolean> {
  return (await policyFor(body).check(ORIGIN + path)).allowed;
}

test('a BOM in the middle of robots.txt does not make a Disallow rule', async () => {
  const body = 'User-agent: *\nDisallow: /private\n\uFEFFDisallow: /x\n';
  assert.equal(await allowed(body, '/x'), true);
  assert.equal(await allowed(body, '/private'), false);
  // Nor NBSP or another Unicode space before a key.
  assert.equal(await allowed('User-agent: *\n\u00a0Disallow: /x\n\u2003Disallow: /y', '/x'), true);
  assert.equal(await allowed('User-agent: *\n\u00a0Disallow: /x\n\u2003Disallow: /y', '/y'), true);
});

test('a BOM at the very start is skipped; SP and HTAB around keys and values still are whitespace', async () => {
  const body = '\uFEFFUser-agent: *\n \tDisallow \t: \t/x \t# comment\nDisallow:/y';
  assert.equal(await allowed(body, '/x'), false);
  assert.equal(await allowed(body, '/y'), false);
  assert.equal(await allowed(body, '/z'), true);
});

test('other whitespace at the end of a value is part of the path, not trimmed away', async () => {
  assert.equal(await allowed('User-agent: *\nDisallow: /x\u00a0\n', '/x'), true);
  assert.equal(await allowed('User-agent: *\nDisallow: /x\u00a0\n', '/x%C2%A0'), false);
});

test('rfc9309Text keeps one line per line', () => {
  assert.equal(rfc9309Text('\uFEFFa: 1\r\n\uFEFFb: 2\rc\n# only comment\nd : \t4 # c'), 'a: 1\n\n\n\nd: 4');
});
