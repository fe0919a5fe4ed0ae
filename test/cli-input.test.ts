/**
 * Bad input is refused before anything happens: exit 2, a message naming what is wrong (FILE:LINE,
 * the flag) and how to fix it, no request to the seed's server, no database file created.
 * Assertions stay on the stable parts of each message, not whole sentences.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { FAST, runCli, tempDir } from './helpers/cli.js';

let server: http.Server;
let base: string;
let requests = 0;
let dir: string;
let good: string;

before(async () => {
  server = http.createServer((_q, res) => { requests++; res.writeHead(200, { 'content-type': 'text/html' }); res.end('<title>x</title>'); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = tempDir('crawl-input-');
  good = write('good.txt', `${base}/\n`);
});
after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(name: string, content: string | Buffer): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, content);
  return f;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
let n = 0;

/** Runs the CLI (with a fresh --db unless args name one) and asserts: exit 2, every pattern in stderr, nothing fetched or created. */
async function refused(args: string[], ...patterns: RegExp[]): Promise<string> {
  const db = path.join(dir, `never-${n++}.db`);
  const before = requests;
  const r = await runCli(['--db', db, ...FAST, ...args]);
  assert.equal(r.code, 2, `${args.join(' ')}\n${r.stderr}`);
  for (const p of patterns) assert.match(r.stderr, p, args.join(' '));
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, 'no stack trace');
  assert.ok(r.stderr.length < 4000, `message is short (${r.stderr.length} chars)`);
  assert.equal(requests, before, 'no request was made');
  assert.equal(fs.existsSync(db), false, 'no database created');
  assert.equal(fs.existsSync(db + '.lock'), false, 'no lock file left');
  return r.stderr;
}

test('seed file with junk lines: every bad line reported as FILE:LINE with its reason', async () => {
  const f = write('junk.txt', [
    '# a comment', `${base}/`, 'not a url', 'ftp://example.com/file', 'mailto:someone@example.com', '',
    'javascript:alert(1)', `${base}/ok  # trailing comment is fine`, 'www.example.com/no-scheme',
  ].join('\n'));
  const F = esc(f);
  const err = await refused(['--urls', f],
    new RegExp(`${F}:3: .*not a url`), new RegExp(`${F}:4: .*"ftp"`), new RegExp(`${F}:5: .*"mailto"`),
    new RegExp(`${F}:7: .*"javascript"`), new RegExp(`${F}:9: .*www\\.example\\.com`), /only http and https/, /5 bad lines/);
  assert.doesNotMatch(err, new RegExp(`${F}:(1|2|6|8):`), 'good, blank and comment lines are not reported');
});

test('seed file: a 100 KB line, binary content, latin-1 bytes', async () => {
  const huge = write('huge.txt', `${base}/\n${base}/${'a'.repeat(100_000)}\n`);
  const bin = Buffer.alloc(3000);
  for (let i = 0; i < bin.length; i++) bin[i] = (i * 7919 + 13) % 256;
  const binary = write('binary.txt', bin);
  const latin = write('latin1.txt', Buffer.concat([Buffer.from(`${base}/\n${base}/caf`), Buffer.from([0xe9]), Buffer.from('\n')]));
  const [err] = await Promise.all([
    refused(['--urls', huge], new RegExp(`${esc(huge)}:2: .*100\\d{3} characters`), /--max-url-length/),
    refused(['--urls', binary], new RegExp(`${esc(binary)}: .*binary`), /one URL per line/),
    refused(['--urls', latin], new RegExp(`${esc(latin)}:2: .*UTF-8`)),
  ]);
  assert.ok(err.length < 1000, 'the huge line is not echoed back');
});

test('seed file: empty, only comments, missing, a folder', async () => {
  const empty = write('empty.txt', '');
  const comments = write('comments.txt', '# nothing here\n\n   # indented comment\n');
  const missing = path.join(dir, 'missing.txt');
  await Promise.all([
    refused(['--urls', empty], new RegExp(`${esc(empty)}: no URLs`)),
    refused(['--urls', comments], new RegExp(`${esc(comments)}: no URLs`), /# are comments/),
    refused(['--urls', missing], new RegExp(`--urls ${esc(missing)}: no such file`)),
    refused(['--urls', dir], new RegExp(`--urls ${esc(dir)}: .*folder`)),
    refused([], /missing --urls FILE/),
  ]);
});

test('unknown flags and commands suggest the closest one', async () => {
  await Promise.all([
    refused(['--urls', good, '--max-page', '3'], /--max-page\b/, /did you mean --max-pages\?/),
    refused(['--urls', good, '--concurency', '3'], /did you mean --concurrency\?/),
    refused(['querry', '--db', path.join(dir, 'q.db')], /unknown command "querry"/, /did you mean "crawl query"\?/),
  ]);
});

test('bad numbers, durations and sizes name the flag and the expected form', async () => {
  await Promise.all([
    refused(['--urls', good, '--concurrency', '0'], /--concurrency must be at least 1/),
    refused(['--urls', good, '--concurrency', 'abc'], /--concurrency must be a number/),
    refused(['--urls', good, '--concurrency'], /--concurrency needs a value/),
    refused(['--urls', good, '--max-pages', '-1'], /--max-pages must be at least 0/),
    refused(['--urls', good, '--max-pages', '2.5'], /--max-pages must be a whole number/),
    refused(['--urls', good, '--max-time', '60'], /--max-time/, /add a unit, e\.g\. 60s/),
    refused(['--urls', good, '--delay', 'fast'], /--delay/, /500ms/),
    refused(['--urls', good, '--max-bytes', '5XB'], /--max-bytes/, /5MiB/),
    refused(['--urls', good, '--max-bytes', '0'], /--max-bytes/),
    refused(['--urls', good, '--fail-on-error-rate', '2'], /--fail-on-error-rate must be at most 1/),
  ]);
});

test('conflicting options, invalid regexes and choices', async () => {
  await Promise.all([
    refused(['--urls', good, '--quiet', '--verbose'], /--quiet and --verbose conflict/),
    refused(['--urls', good, '--include', '(['], /--include/, /"\(\["/, /regular expression/),
    refused(['--urls', good, '--exclude', '*.pdf'], /--exclude/, /regular expression/),
    refused(['--urls', good, '--scope', 'everywhere'], /scope/, /host/, /domain/),
  ]);
});

test('a bad config file is reported against the file', async () => {
  const cfg = write('crawl.config.json', JSON.stringify({ maxPage: 10 }));
  const broken = write('broken.json', '{ "maxPages": ');
  await Promise.all([
    refused(['--urls', good, '--config', cfg], new RegExp(esc(cfg)), /did you mean "maxPages"\?/),
    refused(['--urls', good, '--config', broken], new RegExp(esc(broken))),
  ]);
});

test('sanity: the same command with good input crawls', async () => {
  const db = path.join(dir, 'good.db');
  const r = await runCli(['--urls', good, '--db', db, ...FAST]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(requests > 0);
  assert.ok(fs.existsSync(db));
});
