/**
 * --warc: every exchange archived as WARC/1.1 and read back by an independent reader
 * (test/helpers/warc-reader.ts): payloads byte-equal to what the server sent (gzip bytes for a
 * gzip-encoded response), digests, request/response pairing, robots.txt via open(), revisit for
 * 304, credentials redacted, rotation, and the torn-record cut on reopen.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, describe, test } from 'node:test';
import { createFetcher } from '../src/fetch/create.js';
import { resolveOptions, type CrawlOptions } from '../src/options/options.js';
import { WarcWriter } from '../src/warc/writer.js';
import { startRouteServer } from './helpers/route-server.js';
import { readWarcGz, sha1Base32, splitHttp, type ReadRecord } from './helpers/warc-reader.js';

const HTML = Buffer.from('<html><head><title>t</title></head><body>' + 'héllo wörld '.repeat(500) + '</body></html>');
const GZ = zlib.gzipSync(HTML);
const BINARY = crypto.randomBytes(3000);

const routes: Record<string, (req: http.IncomingMessage, res: http.ServerResponse) => void> = {
  '/plain': (_q, res) => { res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'x-dup': ['one', 'two'] }); res.end(HTML); },
  '/gzip': (_q, res) => { res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip', 'content-length': GZ.length }); res.end(GZ); },
  '/chunked': (_q, res) => { res.writeHead(200, { 'content-type': 'application/octet-stream' }); res.write(BINARY.subarray(0, 1000)); res.end(BINARY.subarray(1000)); },
  '/missing': (_q, res) => { res.writeHead(404, { 'content-type': 'text/html' }); res.end('<p>no</p>'); },
  '/moved': (_q, res) => { res.writeHead(301, { location: '/plain' }); res.end(); },
  '/cached': (req, res) => {
    if (req.headers['if-none-match'] === '"v1"') { res.writeHead(304, { etag: '"v1"' }); res.end(); return; }
    res.writeHead(200, { 'content-type': 'text/html', etag: '"v1"' }); res.end(HTML);
  },
  '/robots.txt': (_q, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('User-agent: *\nDisallow:\n'); },
};

const made: string[] = [];
after(() => { for (const d of made) fs.rmSync(d, { recursive: true, force: true }); });
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'crawl-warc-'));
  made.push(d);
  return d;
}

async function archivingFetcher(dir: string, extra: Partial<CrawlOptions> = {}, seeds: string[] = []) {
  const opts = resolveOptions({ warc: dir, seeds, ...extra } as Partial<CrawlOptions> & Record<string, unknown>);
  return createFetcher(opts, { seeds, allowPrivateHost: () => true });
}

function allRecords(dir: string): { file: string; records: ReadRecord[] }[] {
  return fs.readdirSync(dir).sort().map((file) => ({ file, records: readWarcGz(path.join(dir, file)) }));
}

const byType = (rs: ReadRecord[], type: string, url?: string) =>
  rs.filter((r) => r.headers.get('warc-type') === type && (url === undefined || r.headers.get('warc-target-uri') === url));

describe('WARC records', () => {
  test('every exchange is archived with the bytes the server sent, paired and digested', async () => {
    const srv = await startRouteServer(routes);
    const dir = tmpDir();
    const f = await archivingFetcher(dir);
    const results = new Map<string, Awaited<ReturnType<typeof f.fetch>>>();
    for (const p of ['/plain', '/gzip', '/chunked', '/missing', '/moved']) results.set(p, await f.fetch({ url: srv.origin + p }));
    const robots = await f.open({ url: srv.origin + '/robots.txt' });
    for await (const _ of robots.body) { /* read it all */ }
    const locations = new Map<string, { file: string; offset: number } | null>();
    for (const [p, r] of results) locations.set(p, (await r.warc) ?? null);
    await f.close();

    const files = allRecords(dir);
    assert.equal(files.length, 1);
    assert.match(files[0].file, /^crawl-\d{17}-00000\.warc\.gz$/);
    const rs = files[0].records;
    assert.equal(rs[0].headers.get('warc-type'), 'warcinfo');
    assert.equal(rs[0].headers.get('warc-filename'), files[0].file);
    assert.match(rs[0].block.toString(), /software: crawl\//);
    for (const r of rs) {
      assert.equal(r.version, 'WARC/1.1');
      assert.match(r.headers.get('warc-record-id')!, /^<urn:uuid:[0-9a-f-]{36}>$/);
      assert.match(r.headers.get('warc-date')!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.equal(r.headers.get('warc-block-digest'), sha1Base32(r.block), 'block digest');
    }

    const expected: Record<string, Buffer> = { '/plain': HTML, '/gzip': GZ, '/chunked': BINARY, '/missing': Buffer.from('<p>no</p>'), '/moved': Buffer.alloc(0), '/robots.txt': Buffer.from('User-agent: *\nDisallow:\n') };
    for (const [p, body] of Object.entries(expected)) {
      const url = srv.origin + p;
      const [resp] = byType(rs, 'response', url);
      assert.ok(resp, `response record for ${p}`);
      const http = splitHttp(resp.block);
      assert.ok(http.payload.equals(body), `payload of ${p} is the bytes the server sent`);
      assert.equal(resp.headers.get('warc-payload-digest'), sha1Base32(body));
      assert.equal(resp.headers.get('content-type'), 'application/http;msgtype=response');
      assert.equal(resp.headers.get('warc-truncated'), undefined, `${p} complete`);
      const [req] = byType(rs, 'request', url);
      assert.equal(req.headers.get('warc-concurrent-to'), resp.headers.get('warc-record-id'));
      assert.match(req.block.toString(), new RegExp(`^GET ${p.replace('.', '\\.')} HTTP/1\\.1\\r\\nhost: 127\\.0\\.0\\.1:\\d+\\r\\n`));
      if (p !== '/robots.txt') assert.deepEqual(locations.get(p), { file: files[0].file, offset: resp.offset }, `FetchResult.warc of ${p}`);
    }
    const plain = splitHttp(byType(rs, 'response', srv.origin + '/plain')[0].block);
    assert.equal(plain.startLine, 'HTTP/1.1 200 OK');
    assert.deepEqual(plain.headers.filter(([k]) => k.toLowerCase() === 'x-dup').map(([, v]) => v), ['one', 'two'], 'headers as received, repeated ones kept');
    assert.equal(splitHttp(byType(rs, 'response', srv.origin + '/gzip')[0].block).headers.find(([k]) => k.toLowerCase() === 'content-encoding')?.[1], 'gzip');
    assert.equal(splitHttp(byType(rs, 'response', srv.origin + '/moved')[0].block).startLine, 'HTTP/1.1 301 Moved Permanently');
    assert.equal(results.get('/gzip')!.body!.length, HTML.length, 'the fetcher still hands on the decoded body');
  });

  test('a 304 is a revisit record (server-not-modified profile)', async () => {
    const srv = await startRouteServer(routes);
    const dir = tmpDir();
    const f = await archivingFetcher(dir);
    const r = await f.fetch({ url: srv.origin + '/cached', headers: { 'if-none-match': '"v1"' } });
    assert.equal(r.status, 304);
    const loc = await r.warc;
    await f.close();
    const rs = allRecords(dir)[0].records;
    const [rev] = byType(rs, 'revisit', srv.origin + '/cached');
    assert.ok(rev);
    assert.equal(rev.offset, loc!.offset);
    assert.equal(rev.headers.get('warc-profile'), 'http://netpreserve.org/warc/1.1/revisit/server-not-modified');
    assert.equal(splitHttp(rev.block).startLine, 'HTTP/1.1 304 Not Modified');
    assert.match(byType(rs, 'request', srv.origin + '/cached')[0].block.toString(), /if-none-match: "v1"/);
  });

  test('credentials are redacted in request records unless --warc-keep-auth', async () => {
    const srv = await startRouteServer(routes);
    for (const keep of [false, true]) {
      const dir = tmpDir();
      const f = await archivingFetcher(dir, { header: ['Authorization: Bearer t0k3n', 'Cookie: sid=s3cr3t'], warcKeepAuth: keep }, [srv.origin + '/']);
      await f.fetch({ url: srv.origin + '/plain' });
      await f.close();
      const req = byType(allRecords(dir)[0].records, 'request')[0].block.toString();
      assert.equal(req.includes('t0k3n'), keep);
      assert.equal(req.includes('sid=s3cr3t'), keep);
      if (!keep) assert.match(req, /authorization: \[redacted\]\r\n/);
    }
  });

  test('a body past the cap is archived as far as it was read, marked WARC-Truncated: length', async () => {
    const srv = await startRouteServer(routes);
    const dir = tmpDir();
    const f = await archivingFetcher(dir, { maxBytes: 1000 });
    const r = await f.fetch({ url: srv.origin + '/chunked' });
    assert.equal(r.errorCode, 'BODY_TOO_LARGE');
    await f.close();
    const [resp] = byType(allRecords(dir)[0].records, 'response');
    assert.equal(resp.headers.get('warc-truncated'), 'length');
    assert.ok(BINARY.subarray(0, 1000).equals(splitHttp(resp.block).payload));
  });
});

describe('WARC files', () => {
  test('files rotate at --warc-max-size; each starts with warcinfo; serials increase', async () => {
    const srv = await startRouteServer(routes);
    const dir = tmpDir();
    const f = await archivingFetcher(dir, { warcMaxSize: 4000, warcPrefix: 'site' });
    for (let i = 0; i < 4; i++) await f.fetch({ url: `${srv.origin}/chunked` }); // 3,000 incompressible bytes each
    await f.close();
    const files = allRecords(dir);
    assert.equal(files.length, 4, 'one record pair per 4,000-byte file');
    files.forEach(({ file, records }, i) => {
      assert.match(file, new RegExp(`^site-\\d{17}-${String(i).padStart(5, '0')}\\.warc\\.gz$`));
      assert.equal(records[0].headers.get('warc-type'), 'warcinfo');
    });
    assert.equal(files.flatMap((x) => byType(x.records, 'response')).length, 4);
  });

  test('a torn last record is cut when the archive is opened again; later records go to the next file', async () => {
    const srv = await startRouteServer(routes);
    const dir = tmpDir();
    const f = await archivingFetcher(dir);
    await f.fetch({ url: `${srv.origin}/plain` });
    await f.fetch({ url: `${srv.origin}/gzip` });
    await f.close();
    const [first] = fs.readdirSync(dir);
    const full = path.join(dir, first);
    const good = fs.statSync(full).size;
    // A crawl killed mid-write: half of one more gzip member at the end.
    const torn = zlib.gzipSync(Buffer.from('WARC/1.1\r\nWARC-Type: response\r\n' + 'x'.repeat(5000)));
    fs.appendFileSync(full, torn.subarray(0, torn.length >> 1));
    assert.throws(() => readWarcGz(full), 'torn file does not read');

    const w = await WarcWriter.open({ dir, prefix: 'crawl', maxSize: 1e9, keepAuth: false, info: { software: 'test' } });
    await w.close();
    assert.equal(fs.statSync(full).size, good, 'cut back to the last complete record');
    assert.equal(readWarcGz(full).length, 5, 'warcinfo + 2 pairs');
    const names = fs.readdirSync(dir).sort();
    assert.equal(names.length, 2);
    assert.match(names[1], /-00001\.warc\.gz$/);
  });
});

describe('schema', () => {
  test('migration v2 adds pages.warc_file and pages.warc_offset to a v1 database, keeping its rows', async () => {
    const { default: Database } = await import('better-sqlite3');
    const { MIGRATIONS } = await import('../src/store/sqlite/schema.js');
    const { migrate } = await import('../src/store/sqlite/open.js');
    const file = path.join(tmpDir(), 'v1.db');
    const db = new Database(file);
    db.exec(MIGRATIONS[0]);
    db.pragma('user_version = 1');
    db.exec("INSERT INTO urls (id, url, host, first_seen_at) VALUES (1, 'http://a/', 'a', '2026-01-01T00:00:00.000Z')");
    migrate(db, file);
    assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
    const cols = (db.prepare('PRAGMA table_info(pages)').all() as { name: string; type: string }[]).map((c) => `${c.name} ${c.type}`);
    assert.ok(cols.includes('warc_file TEXT') && cols.includes('warc_offset INTEGER'), cols.join());
    assert.equal((db.prepare('SELECT count(*) AS n FROM urls').get() as { n: number }).n, 1);
    db.close();
  });
});
