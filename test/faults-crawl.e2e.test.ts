/**
 * Crawl-level faults beyond the fault server's index: parse workers that throw, hang or run out of
 * memory; a redirect loop reached through a redirect; retry backoff as the server sees it; and the
 * private-network guard for discovered links. The real CLI, real servers, real SQLite file.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { startFaultServer } from './helpers/fault-server.js';
import { FAST, runCli, seedFile, tempDir } from './helpers/cli.js';

const dir = tempDir('crawl-faults2-');
const servers: http.Server[] = [];
after(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => { s.closeAllConnections(); s.close(r); })));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A plain server on `host`, port 0, that records request times per path; closed in after(). */
async function serve(host: string, handler: http.RequestListener): Promise<{ url: string; port: number; hits: Map<string, number[]> }> {
  const hits = new Map<string, number[]>();
  const s = http.createServer((req, res) => {
    const p = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(p, [...(hits.get(p) ?? []), performance.now()]);
    handler(req, res);
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, host, r));
  const port = (s.address() as AddressInfo).port;
  return { url: `http://${host}:${port}`, port, hits };
}

const page = (title: string, links: string[] = []): string =>
  `<!doctype html><title>${title}</title><h1>${title}</h1>${links.map((l) => `<a href="${l}">${l}</a>`).join(' ')}`;

function query<T>(db: string, sql: string, ...args: unknown[]): T[] {
  const d = new Database(db, { readonly: true });
  try { return d.prepare(sql).all(...args) as T[]; } finally { d.close(); }
}

/**
 * Filling a 64 MB worker heap takes 0.3–3 s depending on the machine's load, so the out-of-memory page
 * is parsed with a parse timeout it cannot reach (no race with PARSE_TIMEOUT); the hung page, which
 * must reach it, gets its own crawl with a short one.
 */
for (const c of [
  { name: 'throw or run out of memory', hooks: ['__crawl_test_parse_throw__', '__crawl_test_parse_oom__'], timeout: '120s', codes: ['PARSE_FAILED', 'PARSE_FAILED'] },
  { name: 'hang', hooks: ['__crawl_test_parse_hang__'], timeout: '500ms', codes: ['PARSE_TIMEOUT'] },
]) test(`parse workers that ${c.name} are recorded; every other page is still parsed`, async () => {
  const hooks = c.hooks.map((h) => `/${h}`);
  const normal = Array.from({ length: 20 }, (_, i) => `/p${i}`);
  const html = (t: string, links: string[] = []) => (_q: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page(t, links));
  };
  const routes: Record<string, ReturnType<typeof html>> = {
    // Hooks first, so the broken pages reach the (single) worker before most normal ones.
    '/': html('hooks', [...hooks, '/redirect-loop-a', ...normal]),
  };
  for (const h of hooks) routes[h] = html(h);
  for (const p of normal) routes[p] = html(p, ['/']);
  const srv = await startFaultServer({ routes });
  try {
    const db = path.join(dir, `workers-${c.hooks.length}.db`);
    const r = await runCli(['--urls', seedFile(dir, [srv.url + '/'], 'hooks.txt'), '--db', db, ...FAST,
      '--workers', '1', '--parse-timeout', c.timeout, '--worker-memory', '64'], { env: { CRAWL_TEST_HOOKS: '1' } });
    assert.equal(r.code, 0, r.stderr);
    const rows = new Map(query<{ url: string; status: number; error_code: string | null; title: string | null }>(db,
      'SELECT url, status, error_code, title FROM pages').map((x) => [x.url.slice(srv.url.length), x]));
    assert.deepEqual(hooks.map((h) => rows.get(h)?.error_code), c.codes);
    for (const h of hooks) assert.equal(rows.get(h)?.status, 200, h);
    for (const p of ['/', ...normal]) assert.deepEqual([rows.get(p)?.error_code, rows.get(p)?.title], [null, p === '/' ? 'hooks' : p], p);

    // Reached through a redirect, the loop is closed by b (-> a, already in the chain).
    const a = rows.get('/redirect-loop-a'), b = rows.get('/redirect-loop-b');
    assert.deepEqual([a?.status, a?.error_code], [302, null]);
    assert.deepEqual([b?.status, b?.error_code], [302, 'REDIRECT_LOOP']);
    const chain = query<{ url: string; redirect_to: string; error_message: string | null }>(db,
      "SELECT url, redirect_to, error_message FROM pages WHERE url LIKE '%redirect-loop%' ORDER BY url");
    assert.deepEqual(chain.map((c) => [c.url, c.redirect_to]), [
      [srv.url + '/redirect-loop-a', srv.url + '/redirect-loop-b'], [srv.url + '/redirect-loop-b', srv.url + '/redirect-loop-a']]);
    assert.match(chain[1].error_message ?? '', /redirect-loop-a -> .*redirect-loop-b -> .*redirect-loop-a/);
    assert.equal(srv.requests.get('/redirect-loop-a'), 1, 'the loop is not followed around again');
  } finally {
    await srv.close();
  }
});

test('retries back off exponentially with jitter; every attempt is counted', async () => {
  // One host per failing URL, so the backoff hold of one URL cannot delay another's retry.
  const hosts = await Promise.all(Array.from({ length: 4 }, () => serve('127.0.0.1', (_q, res) => { res.writeHead(500); res.end('no'); })));
  const db = path.join(dir, 'backoff.db');
  const base = 100;
  const r = await runCli(['--urls', seedFile(dir, hosts.map((h) => h.url + '/fail'), 'backoff.txt'), '--db', db, ...FAST,
    '--ignore-robots', '--retries', '3', '--retry-delay', `${base}ms`]);
  assert.equal(r.code, 0, r.stderr);
  const factors: number[] = [];
  for (const h of hosts) {
    const times = h.hits.get('/fail') ?? [];
    assert.equal(times.length, 4, 'retries + 1 requests');
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    gaps.forEach((g, i) => {
      // Jitter draws from [0.5, 1.5) of base x 2^i: the lower bounds (50, 100, 200 ms) show the growth;
      // no upper bound, since a loaded machine only makes gaps longer.
      const expected = base * 2 ** i;
      assert.ok(g >= expected * 0.5 - 5, `gap ${i + 1} ${g.toFixed(0)} ms: the backoff was honoured`);
      factors.push(g / expected);
    });
  }
  // Jitter: the gaps are not a fixed multiple of the base.
  assert.ok(Math.max(...factors) - Math.min(...factors) > 0.1, `jitter factors ${factors.map((f) => f.toFixed(2)).join(' ')}`);
  const rows = query<{ status: number; error_code: string; attempts: number }>(db, 'SELECT status, error_code, attempts FROM pages');
  assert.deepEqual(rows, hosts.map(() => ({ status: 500, error_code: 'HTTP_STATUS', attempts: 4 })));
  assert.deepEqual(query(db, 'SELECT requests, pages FROM runs'), [{ requests: 16, pages: 4 }]);
});

test('private-network guard: links to other loopback hosts are PRIVATE_ADDRESS unless --allow-private', async () => {
  const ok = (_q: http.IncomingMessage, res: http.ServerResponse) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(page('other')); };
  const named = await serve('localhost', ok);
  const loop2 = await serve('127.0.0.2', ok);
  const targets = [`http://localhost:${named.port}/`, `${loop2.url}/`];
  const seedSrv = await serve('127.0.0.1', (_q, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(page('seed', targets)); });
  const seeds = seedFile(dir, [seedSrv.url + '/'], 'private.txt');

  const db1 = path.join(dir, 'private.db');
  const r1 = await runCli(['--urls', seeds, '--db', db1, ...FAST, '--scope', 'any']);
  assert.equal(r1.code, 0, r1.stderr);
  const guarded = query<{ url: string; status: number | null; error_code: string | null }>(db1, 'SELECT url, status, error_code FROM pages ORDER BY url');
  assert.deepEqual(guarded, [
    { url: seedSrv.url + '/', status: 200, error_code: null }, // the seed's own loopback host is allowed
    ...targets.map((url) => ({ url, status: null, error_code: 'PRIVATE_ADDRESS' })),
  ].sort((x, y) => (x.url < y.url ? -1 : 1)));
  assert.equal(named.hits.size, 0, 'localhost server saw no request');
  assert.equal(loop2.hits.size, 0, '127.0.0.2 server saw no request');

  const db2 = path.join(dir, 'allowed.db');
  const r2 = await runCli(['--urls', seeds, '--db', db2, ...FAST, '--scope', 'any', '--allow-private']);
  assert.equal(r2.code, 0, r2.stderr);
  for (const url of targets) {
    assert.deepEqual(query(db2, 'SELECT status, error_code FROM pages WHERE url = ?', url), [{ status: 200, error_code: null }], url);
  }
  assert.equal(named.hits.get('/')?.length, 1);
  assert.equal(loop2.hits.get('/')?.length, 1);
});
