/**
 * The ParsePool's behaviour around the pages: custom extractors running in the workers,
 * failures inside a worker (throw, hang, out of memory) via the CRAWL_TEST_HOOKS hooks,
 * buffer transfer and the pending count used for back-pressure.
 */

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { threadId } from 'node:worker_threads';
import { ParsePool } from '../src/parse/pool.js';
import type { ParseOk } from '../src/parse/protocol.js';

const GOOD = '<html><head><title>Good</title></head><body><h1>Fine</h1><a href="/next">next</a></body></html>';
const body = (html = GOOD): Uint8Array => new TextEncoder().encode(html);

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'crawl-parse-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function module(name: string, source: string): string {
  const file = join(dir, name);
  writeFileSync(file, source);
  return file;
}

describe('custom extractor', () => {
  test('runs in a worker thread and its JSON result is returned', async (t) => {
    const file = module('ok.mjs', `
      import { threadId, isMainThread } from 'node:worker_threads';
      export default async function ($, url) {
        return { threadId, isMainThread, url, h1: $('h1').text(), when: new Date(0) };
      }`);
    const pool = new ParsePool({ workers: 1, parseTimeoutMs: 30_000, workerMemoryMb: 256, stripParams: [], extract: file });
    t.after(() => pool.close());
    const r = (await pool.parse({ url: 'http://example.com/p', body: body(), charset: null })) as ParseOk;
    assert.equal(r.ok, true);
    assert.equal(r.extractError, undefined);
    const x = r.extract as { threadId: number; isMainThread: boolean; url: string; h1: string; when: string };
    assert.equal(x.isMainThread, false);
    assert.notEqual(x.threadId, threadId);
    assert.deepEqual(pool.threadIds(), [x.threadId]);
    assert.equal(x.url, 'http://example.com/p');
    assert.equal(x.h1, 'Fine');
    assert.equal(x.when, '1970-01-01T00:00:00.000Z', 'the result went through JSON');
    assert.equal(r.title, 'Good');
  });

  test('examples/extractor.mjs returns headings, image count and JSON-LD types', async (t) => {
    const example = new URL('../../examples/extractor.mjs', import.meta.url).href; // from dist/test/
    const pool = new ParsePool({ workers: 1, parseTimeoutMs: 30_000, workerMemoryMb: 256, stripParams: [], extract: example });
    t.after(() => pool.close());
    const html = `<h2> Pricing </h2><h2>FAQ</h2><img src=a><img src=b>
      <script type="application/ld+json">{"@graph":[{"@type":"Product"},{"@type":["Offer","Thing"]}]}</script>
      <script type="application/ld+json">{broken</script>`;
    const r = (await pool.parse({ url: 'http://example.com/p', body: body(html), charset: null })) as ParseOk;
    assert.equal(r.extractError, undefined);
    assert.deepEqual(r.extract, { url: 'http://example.com/p', headings: ['Pricing', 'FAQ'], images: 2, jsonLd: ['Product', 'Offer', 'Thing'] });
  });

  test('an extractor that throws or returns non-JSON sets extractError, the page is still parsed', async (t) => {
    const file = module('throws.mjs', `
      export default function ($, url) {
        if (url.endsWith('/bigint')) return { n: 1n };
        throw new Error('extractor exploded');
      }`);
    const pool = new ParsePool({ workers: 1, parseTimeoutMs: 30_000, workerMemoryMb: 256, stripParams: [], extract: pathToFileURL(file).href });
    t.after(() => pool.close());
    const r = (await pool.parse({ url: 'http://example.com/p', body: body(), charset: null })) as ParseOk;
    assert.equal(r.ok, true);
    assert.equal(r.extractError, 'extractor exploded');
    assert.equal(r.extract, undefined);
    assert.equal(r.h1, 'Fine');
    assert.deepEqual(r.links.map((l) => l.url), ['http://example.com/next']);
    const b = (await pool.parse({ url: 'http://example.com/bigint', body: body(), charset: null })) as ParseOk;
    assert.equal(b.ok, true);
    assert.match(b.extractError ?? '', /BigInt/);
  });

  test('a module that fails to load gives every page an extractError', async (t) => {
    const missing = module('bad.mjs', 'export default 42;');
    const pool = new ParsePool({ workers: 1, parseTimeoutMs: 30_000, workerMemoryMb: 256, stripParams: [], extract: missing });
    t.after(() => pool.close());
    for (let i = 0; i < 2; i++) {
      const r = (await pool.parse({ url: `http://example.com/${i}`, body: body(), charset: null })) as ParseOk;
      assert.equal(r.ok, true);
      assert.match(r.extractError ?? '', /no default export function/);
    }
    const pool2 = new ParsePool({ workers: 1, parseTimeoutMs: 30_000, workerMemoryMb: 256, stripParams: [], extract: join(dir, 'nope.mjs') });
    t.after(() => pool2.close());
    const r2 = (await pool2.parse({ url: 'http://example.com/', body: body(), charset: null })) as ParseOk;
    assert.equal(r2.ok, true);
    assert.match(r2.extractError ?? '', /nope\.mjs/);
  });
});

describe('failures inside a worker (CRAWL_TEST_HOOKS)', () => {
  let pool: ParsePool;
  const saved = process.env.CRAWL_TEST_HOOKS;
  before(() => {
    // Set before the pool starts: worker threads copy the environment when they are created.
    process.env.CRAWL_TEST_HOOKS = '1';
    pool = new ParsePool({ workers: 1, parseTimeoutMs: 3000, workerMemoryMb: 48, stripParams: [], extract: null });
  });
  after(async () => {
    await pool.close();
    if (saved === undefined) delete process.env.CRAWL_TEST_HOOKS;
    else process.env.CRAWL_TEST_HOOKS = saved;
  });

  async function assertStillWorks(): Promise<void> {
    const r = await pool.parse({ url: 'http://example.com/after', body: body(), charset: null });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal((r as ParseOk).title, 'Good');
  }

  test('an exception while parsing is PARSE_FAILED', async () => {
    const r = await pool.parse({ url: 'http://example.com/__crawl_test_parse_throw__', body: body(), charset: null });
    assert.deepEqual([r.ok, !r.ok && r.code], [false, 'PARSE_FAILED']);
    await assertStillWorks();
  });

  test('a parse that never ends is PARSE_TIMEOUT and the thread is replaced', async () => {
    const before = pool.threadIds();
    const r = await pool.parse({ url: 'http://example.com/x/__crawl_test_parse_hang__', body: body(), charset: null });
    assert.deepEqual([r.ok, !r.ok && r.code], [false, 'PARSE_TIMEOUT']);
    await assertStillWorks();
    assert.notDeepEqual(pool.threadIds(), before);
  });

  test('a page that exhausts the worker heap is PARSE_FAILED and the pool recovers', async () => {
    const r = await pool.parse({ url: 'http://example.com/__crawl_test_parse_oom__', body: body(), charset: null });
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.code, 'PARSE_FAILED');
    assert.match(!r.ok ? r.message : '', /memory/i);
    await assertStillWorks();
  });

  test('a page waiting on a thread that dies (out of memory) is parsed on its replacement', async () => {
    const oom = pool.parse({ url: 'http://example.com/__crawl_test_parse_oom__', body: body(), charset: null });
    const next = pool.parse({ url: 'http://example.com/next', body: body(), charset: null });
    assert.equal(pool.queueSize, 0, 'both are on the thread');
    assert.equal((await oom).ok, false);
    const r = await next;
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal((r as ParseOk).title, 'Good');
  });

  test('pages on a thread with a hung page: those before it keep their own outcome, those after it are parsed after it is killed', async () => {
    // Submitted together to an idle thread, they reach it in one batch: the thread parses the
    // first two, then hangs before it has sent their results.
    const before = pool.parse({ url: 'http://example.com/before', body: body(), charset: null });
    const thrown = pool.parse({ url: 'http://example.com/__crawl_test_parse_throw__', body: body(), charset: null });
    const hung = pool.parse({ url: 'http://example.com/__crawl_test_parse_hang__', body: body(), charset: null });
    const queued = [1, 2, 3].map((i) => pool.parse({ url: `http://example.com/q${i}`, body: body(), charset: null }));
    assert.equal(pool.pending, 6);
    assert.equal(pool.queueSize, 0, 'the thread holds all six');
    const h = await hung;
    assert.deepEqual([h.ok, !h.ok && h.code], [false, 'PARSE_TIMEOUT']);
    assert.equal((await before).ok, true, 'parsed before the hang: not a timeout');
    const t = await thrown;
    assert.deepEqual([t.ok, !t.ok && t.code], [false, 'PARSE_FAILED'], JSON.stringify(t));
    for (const r of await Promise.all(queued)) assert.equal(r.ok, true);
    assert.equal(pool.pending, 0);
  });
});

describe('buffers and threads', () => {
  let pool: ParsePool;
  before(() => {
    pool = new ParsePool({ workers: 2, parseTimeoutMs: 30_000, workerMemoryMb: 256, stripParams: [], extract: null });
  });
  after(() => pool.close());

  test('bodies are copied to the threads: the caller\'s bytes stay intact, views on a shared buffer too', async () => {
    const own = new TextEncoder().encode(GOOD);
    assert.equal((await pool.parse({ url: 'http://example.com/a', body: own, charset: null })).ok, true);
    assert.equal(new TextDecoder().decode(own), GOOD, 'not detached');

    // Two views on one ArrayBuffer, as a buffer pool hands out: transferring one would detach both.
    const encoded = new TextEncoder().encode(GOOD);
    const shared = new ArrayBuffer(16 + encoded.length);
    const neighbour = new Uint8Array(shared, 0, 16).fill(7);
    const view = new Uint8Array(shared, 16, encoded.length);
    view.set(encoded);
    const r = await pool.parse({ url: 'http://example.com/b', body: view, charset: null });
    assert.equal(r.ok, true);
    assert.equal(neighbour.byteLength, 16, 'the shared buffer was not detached');
    assert.equal(neighbour[15], 7);
    assert.equal(new TextDecoder().decode(view), GOOD);
  });

  test('parsing runs on worker threads, not the main thread', async () => {
    const ids = pool.threadIds();
    assert.equal(ids.length, 2);
    assert.ok(!ids.includes(threadId));
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.parse({ url: `http://example.com/${i}`, body: body(), charset: null })));
    assert.ok(results.every((r) => r.ok));
    assert.ok(pool.utilization > 0 && pool.utilization <= 1, String(pool.utilization));
  });

  test('a closed pool answers PARSE_FAILED instead of hanging', async () => {
    const p = new ParsePool({ workers: 1, parseTimeoutMs: 1000, workerMemoryMb: 64, stripParams: [], extract: null });
    await p.close();
    const r = await p.parse({ url: 'http://example.com/', body: body(), charset: null });
    assert.equal(!r.ok && r.code, 'PARSE_FAILED');
  });
});
