/**
 * The README's request-settings and WARC command lines, run exactly as printed against local servers,
 * plus the pages table's pointers into the archive and the redaction of runs.options.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { crawl } from '../src/crawler/crawl.js';
import { ROOT, runCli, tempDir } from './helpers/cli.js';
import { startRouteServer } from './helpers/route-server.js';
import { readWarcGz, splitHttp } from './helpers/warc-reader.js';


const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
/** The README's code block that contains `marker`. */
function readmeBlock(marker: string): string {
  const blocks = [...readme.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1]);
  const b = blocks.find((x) => x.includes(marker));
  assert.ok(b, `README block with ${marker}`);
  return b;
}
/** The README command line that starts with `prefix`, split into argv (single quotes as the shell reads them). */
function readmeCommand(prefix: string): string[] {
  const line = readme.split('\n').find((l) => l.startsWith(prefix));
  assert.ok(line, `README line ${prefix}`);
  const args = [...line.replace(/\s+#.*$/, '').matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
  assert.equal(args.shift(), 'crawl');
  return args;
}

const PAGE = (links: string): Buffer => Buffer.from(`<html><head><title>p</title></head><body>${'text '.repeat(200)}${links}</body></html>`);

describe('WARC end to end', () => {
  test('README: crawl --warc, then crawl query shows where each page is archived', async () => {
    const home = PAGE('<a href="/a">a</a><a href="/gz">gz</a><a href="/gone">x</a>');
    const gz = zlib.gzipSync(PAGE('<a href="/">home</a>'));
    const srv = await startRouteServer({
      '/robots.txt': (_q, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('User-agent: *\nAllow: /\n'); },
      '/': (_q, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(home); },
      '/a': (_q, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(PAGE('')); },
      '/gz': (_q, res) => { res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' }); res.end(gz); },
    });
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'seeds.txt'), `${srv.origin}/\n`);
    const run = await runCli(readmeCommand('crawl --urls seeds.txt --db data/site.db --warc data/warc'), { cwd });
    assert.equal(run.code, 0, run.stderr);
    const q = await runCli(readmeCommand('crawl query --db data/site.db "SELECT url, warc_file'), { cwd });
    assert.equal(q.code, 0, q.stderr);
    assert.match(q.stdout, /\.warc\.gz/);

    const db = new Database(path.join(cwd, 'data/site.db'), { readonly: true });
    const rows = db.prepare('SELECT url, status, warc_file, warc_offset FROM pages ORDER BY url').all() as { url: string; status: number; warc_file: string; warc_offset: number }[];
    db.close();
    assert.equal(rows.length, 4);
    const files = fs.readdirSync(path.join(cwd, 'data/warc'));
    assert.equal(files.length, 1);
    const records = readWarcGz(path.join(cwd, 'data/warc', files[0]));
    for (const r of rows) {
      assert.equal(r.warc_file, files[0], r.url);
      const rec = records.find((x) => x.offset === r.warc_offset);
      assert.ok(rec, `a record starts at ${r.url}'s offset`);
      assert.equal(rec.headers.get('warc-type'), 'response');
      assert.equal(rec.headers.get('warc-target-uri'), r.url);
      assert.equal(Number(splitHttp(rec.block).startLine.split(' ')[1]), r.status);
    }
    const gzRec = records.find((x) => x.headers.get('warc-target-uri') === `${srv.origin}/gz` && x.headers.get('warc-type') === 'response')!;
    assert.ok(splitHttp(gzRec.block).payload.equals(gz), 'the gzip bytes as sent');
    assert.ok(records.some((x) => x.headers.get('warc-target-uri') === `${srv.origin}/robots.txt`), 'robots.txt archived');
  });

  test('runs.options never holds credentials', async () => {
    const srv = await startRouteServer({ '/': (_q, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(PAGE('')); } });
    const db = path.join(tempDir(), 'r.db');
    await crawl({ seeds: [`${srv.origin}/`], db, ignoreRobots: true, header: ['Authorization: Bearer t0k3n'], proxy: undefined,
      auth: { [srv.origin]: { username: 'u', password: 'pw9876' } } });
    const d = new Database(db, { readonly: true });
    const options = (d.prepare('SELECT options FROM runs').get() as { options: string }).options;
    d.close();
    assert.ok(!options.includes('t0k3n') && !options.includes('pw9876'), options);
    assert.ok(options.includes('[redacted]'));
  });
});

describe('request settings end to end', () => {
  test('README: --header, --cookies and --netrc reach their origin; a cross-origin redirect carries no credentials', async () => {
    const seen = new Map<string, http.IncomingHttpHeaders>();
    let other = '';
    const b = await startRouteServer({
      '/landing': (req, res) => { seen.set('b', req.headers); res.writeHead(200, { 'content-type': 'text/html' }); res.end(PAGE('')); },
      '/robots.txt': (_q, res) => { res.writeHead(404); res.end(); },
    });
    other = b.origin.replace('127.0.0.1', 'localhost');
    const a = await startRouteServer({
      '/robots.txt': (req, res) => { seen.set('robots', req.headers); res.writeHead(404); res.end(); },
      '/': (req, res) => {
        seen.set('a', req.headers);
        const ok = req.headers.authorization === 'Basic ' + Buffer.from('alice:s3cret').toString('base64')
          && req.headers['x-crawl-team'] === 'docs' && /consent=yes/.test(req.headers.cookie ?? '');
        res.writeHead(ok ? 200 : 401, { 'content-type': 'text/html' });
        res.end(PAGE('<a href="/go">go</a>'));
      },
      '/go': (_q, res) => { res.writeHead(302, { location: `${other}/landing` }); res.end(); },
    });
    const cwd = tempDir();
    // The README's cookies.txt and netrc, pointed at the local server instead of intranet.example.
    const local = (text: string): string => text.replaceAll('intranet.example', '127.0.0.1');
    fs.writeFileSync(path.join(cwd, 'cookies.txt'), local(readmeBlock('# cookies.txt')));
    fs.writeFileSync(path.join(cwd, 'netrc'), local(readmeBlock('# ~/.netrc')));
    fs.writeFileSync(path.join(cwd, 'seeds.txt'), `${a.origin}/\n${other}/landing\n`);
    const run = await runCli(readmeCommand("crawl --urls seeds.txt --header 'X-Crawl-Team: docs'"), { cwd, env: { NETRC: path.join(cwd, 'netrc') } });
    assert.equal(run.code, 0, run.stderr);
    const toA = seen.get('a')!;
    assert.equal(toA['x-crawl-team'], 'docs');
    assert.ok(toA.authorization);
    assert.equal(seen.get('robots')!['x-crawl-team'], 'docs', 'robots.txt gets the same headers');
    const toB = seen.get('b')!;
    assert.equal(toB['x-crawl-team'], 'docs');
    assert.equal(toB.authorization, undefined);
    assert.equal(toB.cookie, undefined);
    const db = new Database(path.join(cwd, 'data/crawl.db'), { readonly: true });
    const status = (db.prepare('SELECT status FROM pages WHERE url = ?').get(`${a.origin}/`) as { status: number }).status;
    db.close();
    assert.equal(status, 200, 'the authorised page was fetched');
  });
});
