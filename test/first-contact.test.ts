/**
 * What a new user meets first: the README's crontab line and library example run as pasted,
 * `crawl report` without or with a wrong name, "seeds" in a config file, repeated list options,
 * and an IPv6 loopback seed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { startSite, type Site } from '../src/demo/site.js';
import { crawl } from '../src/index.js';
import { FAST, ROOT, runCli, seedFile, tempDir } from './helpers/cli.js';

const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
let site: Site;
let dir: string;
before(async () => {
  site = await startSite({ pages: 20, fanOut: 4, pageBytes: 1500, extras: false });
  dir = tempDir('crawl-first-');
});
after(async () => {
  await site.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function sh(command: string, cwd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { cwd, env: { PATH: '/usr/bin:/bin', HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('close', (code) => resolve({ code, out }));
  });
}

test('the README crontab line works as pasted (its command part, run by /bin/sh as cron does)', async () => {
  const line = /^15 2 \* \* \*\s+(.+)$/m.exec(readme);
  assert.ok(line, 'the crontab line is in the README, on one line');
  // An install like the README's /srv/crawl: the checkout (bin/, dist/, node_modules) and a seed file.
  const srv = fs.mkdtempSync(path.join(dir, 'srv-'));
  fs.symlinkSync(path.join(ROOT, 'bin'), path.join(srv, 'bin'));
  fs.mkdirSync(path.join(srv, 'seeds'));
  fs.writeFileSync(path.join(srv, 'seeds', 'docs.txt'), site.url + '/\n');
  const command = line[1]!.replaceAll('/srv/crawl', srv);
  const r = await sh(command, dir);
  assert.equal(r.code, 0, `${command}\n${r.out}`);
  const log = fs.readFileSync(path.join(srv, 'logs', 'crawl.jsonl'), 'utf8').trim().split('\n');
  const last = JSON.parse(log[log.length - 1]!) as { event: string; exit: number; status: string };
  assert.equal(last.event, 'summary');
  assert.equal(last.exit, 0);
  assert.ok(fs.existsSync(path.join(srv, 'data', 'docs.db')));
  // The next night appends to the same log.
  assert.equal((await sh(command, dir)).code, 0);
  assert.ok(fs.readFileSync(path.join(srv, 'logs', 'crawl.jsonl'), 'utf8').trim().split('\n').length > log.length);
});

/**
 * Runs `code` as an .mjs file inside the package folder (so `import ... from 'crawl'` resolves to
 * this package as it would for a user); resolves when the process exits by itself (node:test's
 * timeout would fail a test whose process never ends).
 */
async function runMjs(name: string, code: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const file = path.join(ROOT, `.readme-${name}-${process.pid}.mjs`);
  fs.writeFileSync(file, code);
  try {
    return await new Promise((resolve) => {
      const child = spawn(process.execPath, [file], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '', stderr = '';
      child.stdout.on('data', (d) => { stdout += d; });
      child.stderr.on('data', (d) => { stderr += d; });
      child.on('close', (c) => resolve({ code: c, stdout, stderr }));
    });
  } finally {
    fs.rmSync(file, { force: true });
  }
}

test('the README library example runs as an .mjs file and the process ends by itself', async () => {
  const block = /## Library API\n+```js\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, 'a ```js block under "Library API"');
  const db = path.join(dir, 'example.db');
  const out = await runMjs('example', block[1]!
    .replace("'https://example.com/'", JSON.stringify(site.url + '/'))
    .replace("'data/example.db'", JSON.stringify(db))
    // After crawl() resolves, nothing may keep the process alive (the stdio pipes aside).
    + "\nprocess.stdout.write('ACTIVE ' + JSON.stringify(process.getActiveResourcesInfo().filter((r) => !/^(PipeWrap|TTYWrap)$/.test(r))) + '\\n');\n");
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /^200 http:\/\/127\.0\.0\.1:\d+\/ /m, 'onPage printed pages');
  assert.match(out.stdout, /^done \d+ /m, 'the summary line');
  assert.match(out.stdout, /^ACTIVE \[\]$/m, 'nothing left running after crawl() resolved');
});

test('the README backend example (an in-memory backend passed to crawl()) runs as printed', async () => {
  const block = /```js\n(import \{ crawl, MemoryBackend \} from 'crawl';[\s\S]*?)```/.exec(readme);
  assert.ok(block, 'the MemoryBackend example in the README');
  const out = await runMjs('backend', block[1]!.replace("'https://example.com/'", JSON.stringify(site.url + '/')));
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout.trim(), `${site.reachablePaths().length} done`, 'every page crawled into memory; nothing written to data/');
});

test('crawl report without a name, or a misspelt one: the reports listed, the nearest suggested, exit 2', async () => {
  const db = path.join(dir, 'report.db');
  assert.equal((await runCli(['--urls', seedFile(dir, [site.url + '/'], 'r.txt'), '--db', db, ...FAST])).code, 0);
  const none = await runCli(['report', '--db', db]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^crawl: crawl report needs a report name: broken-links, redirects, duplicates, orphans/);
  const typo = await runCli(['report', 'brokenlinks', '--db', db]);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /^crawl: unknown report "brokenlinks" \(did you mean "broken-links"\?\); reports: broken-links, redirects, duplicates, orphans/);
  for (const r of [none, typo]) assert.doesNotMatch(r.stderr, /Choices:|Not enough non-option|Options:/, 'no raw yargs text');
  assert.equal((await runCli(['report', 'orphans', '--db', db])).code, 0);
});

test('"seeds" in a config file are crawled; a wrong "seeds" value or an unknown key is refused', async () => {
  const cfg = path.join(dir, 'seeds-config.json');
  const db = path.join(dir, 'cfg-seeds.db');
  fs.writeFileSync(cfg, JSON.stringify({ seeds: [site.url + '/p/1', site.url + '/'], db, maxPages: 3, delay: '0ms' }));
  const r = await runCli(['--config', cfg, '--no-progress']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /with 2 seeds/);
  const d = new Database(db, { readonly: true });
  const seeds = d.prepare("SELECT url FROM pages WHERE source = 'seed' ORDER BY url").pluck().all();
  d.close();
  assert.deepEqual(seeds, [site.url + '/', site.url + '/p/1']);

  fs.writeFileSync(cfg, JSON.stringify({ seeds: 'seeds.txt', db }));
  const bad = await runCli(['--config', cfg]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /"seeds" must be/);
  fs.writeFileSync(cfg, JSON.stringify({ seeds: ['not a url'], db }));
  assert.match((await runCli(['--config', cfg])).stderr, /seeds-config\.json: "seeds": seed "not a url" is not a valid absolute URL/);
  fs.writeFileSync(cfg, JSON.stringify({ seed: [site.url + '/'], db }));
  const unknown = await runCli(['--config', cfg]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown option "seed" \(did you mean "seeds"\?\)/);
});

test('repeated list options accumulate (--exclude twice, --strip-params twice); a repeated scalar keeps its last value', async () => {
  const db = path.join(dir, 'lists.db');
  const seeds = seedFile(dir, [site.url + '/'], 'lists.txt');
  const r = await runCli(['--urls', seeds, '--db', db, ...FAST, '--exclude', '/p/1$', '--exclude', '/p/2$',
    '--strip-params', 'aa', '--strip-params', 'bb,cc', '--max-pages', '1000', '--max-pages', '5']);
  assert.equal(r.code, 0, r.stderr);
  const d = new Database(db, { readonly: true });
  const fetched = d.prepare('SELECT url FROM pages').pluck().all() as string[];
  const options = JSON.parse(d.prepare('SELECT options FROM runs').pluck().get() as string) as { stripParams: string[]; maxPages: number };
  d.close();
  assert.ok(site.reachablePaths().includes('/p/1') && site.reachablePaths().includes('/p/2'));
  assert.ok(!fetched.some((u) => /\/p\/[12]$/.test(u)), `neither excluded page fetched: ${fetched.join(' ')}`);
  assert.deepEqual(options.stripParams, ['aa', 'bb', 'cc']);
  assert.equal(options.maxPages, 5);
});

test('an IPv6 loopback seed (http://[::1]:PORT/) is crawled, not refused as PRIVATE_ADDRESS', async (t) => {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(req.url === '/' ? '<title>v6 home</title><a href="/next">next</a>' : '<title>v6 next</title>');
  });
  const ok = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(0, '::1', () => resolve(true));
  });
  if (!ok) { t.diagnostic('!!! NO IPv6 LOOPBACK (::1) on this machine: the IPv6 seed case was NOT tested'); return t.skip('no ::1 here: NOT TESTED'); }
  try {
    const url = `http://[::1]:${(server.address() as AddressInfo).port}/`;
    const db = path.join(dir, 'v6.db');
    const s = await crawl({ seeds: [url], db, delay: 0, progress: false });
    assert.equal(s.status, 'done');
    const d = new Database(db, { readonly: true });
    const rows = d.prepare('SELECT url, status, error_code FROM pages ORDER BY url').all();
    d.close();
    assert.deepEqual(rows, [
      { url, status: 200, error_code: null },
      { url: url + 'next', status: 200, error_code: null },
    ]);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
