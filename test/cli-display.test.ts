/** Running by hand: config files, progress display, verbosity, colours, JSON logs, --version. */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { startSite, type Site } from '../src/demo/site.js';
import { loadConfig } from '../src/cli/config.js';
import { resolveOptions } from '../src/options/options.js';
import { Logger } from '../src/log/logger.js';
import { ProgressBar, progressFields } from '../src/log/progress.js';
import { emptyCounters } from '../src/store/types.js';
import { FAST, ROOT, runCli, seedFile, tempDir } from './helpers/cli.js';

let site: Site;
let dir: string;
before(async () => { site = await startSite({ pages: 40, fanOut: 4, pageBytes: 2000, extras: false }); dir = tempDir(); });
after(async () => { await site.close(); fs.rmSync(dir, { recursive: true, force: true }); });

const pagesIn = (db: string) => {
  const d = new Database(db, { readonly: true });
  try { return (d.prepare('SELECT count(*) n FROM pages').get() as { n: number }).n; } finally { d.close(); }
};

test('config file: found in the working directory, flags override it, --config names another', async () => {
  const cwd = fs.mkdtempSync(path.join(dir, 'cfg-'));
  seedFile(cwd, [site.url + '/']);
  fs.writeFileSync(path.join(cwd, 'crawl.config.json'), '// comment line\n{ "urls": "seeds.txt", "db": "out/a.db", "maxPages": 5, "delay": "0ms", "progress": false }\n');
  const r1 = await runCli([], { cwd });
  assert.equal(r1.code, 0, r1.stderr);
  assert.equal(pagesIn(path.join(cwd, 'out/a.db')), 5, 'values from ./crawl.config.json');
  const r2 = await runCli(['--max-pages', '3', '--db', path.join(cwd, 'b.db')], { cwd });
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal(pagesIn(path.join(cwd, 'b.db')), 3, 'flags override the file');
  fs.writeFileSync(path.join(dir, 'other.json'), JSON.stringify({ 'max-pages': 2, delay: '0ms', db: 'c.db' }));
  const r3 = await runCli(['--config', path.join(dir, 'other.json'), '--urls', path.join(cwd, 'seeds.txt'), '--no-progress']);
  assert.equal(r3.code, 0, r3.stderr);
  assert.equal(pagesIn(path.join(dir, 'c.db')), 2, '--config FILE, dashed keys, paths relative to the file');
});

test('config file errors name the key and the file; exit 2', async () => {
  const f = path.join(dir, 'bad.json');
  fs.writeFileSync(f, JSON.stringify({ maxPage: 5 }));
  const r1 = await runCli(['--config', f, '--urls', seedFile(dir, [site.url + '/'])]);
  assert.equal(r1.code, 2);
  assert.ok(r1.stderr.includes(f) && /"maxPage".*did you mean "maxPages"/.test(r1.stderr), r1.stderr);
  fs.writeFileSync(f, JSON.stringify({ concurrency: 'lots' }));
  const r2 = await runCli(['--config', f, '--urls', seedFile(dir, [site.url + '/'])]);
  assert.equal(r2.code, 2);
  assert.ok(r2.stderr.includes(f) && r2.stderr.includes('"concurrency" must be a number'), r2.stderr);
  fs.writeFileSync(f, '{ "delay": ');
  const r3 = await runCli(['--config', f, '--urls', seedFile(dir, [site.url + '/'])]);
  assert.equal(r3.code, 2);
  assert.match(r3.stderr, /not valid JSON/);
});

test('the shipped example config is valid', () => {
  const { values } = loadConfig(path.join(ROOT, 'crawl.config.example.json'));
  const o = resolveOptions(values, 'crawl.config.example.json');
  assert.equal(o.recrawlAfterMs, 12 * 3600_000);
  assert.equal(o.logFormat, 'json');
});

test('progress renderer: draws on a TTY stream and clears itself; log lines never mangle it', () => {
  let out = '';
  const stream = Object.assign(new Writable({ write(c, _e, cb) { out += c; cb(); } }), { isTTY: true, columns: 120, cursorTo() { return true; }, clearLine() { return true; }, moveCursor() { return true; } });
  const log = new Logger({ format: 'plain', level: 'info', stream, color: false });
  const bar = new ProgressBar(log);
  const counters = { ...emptyCounters(), pages: 42, errors: 3, bytes: 2048 };
  bar.update({ counters, queued: 10, inflight: 4, elapsedMs: 2000 });
  log.event('info', 'start', {}, 'a log line');
  bar.update({ counters: { ...counters, pages: 50 }, queued: 2, inflight: 1, elapsedMs: 3000 });
  bar.stop();
  assert.match(out, /42 pages \| 10 queued \| 4 in flight \| 21\.0\/s \| ETA 667ms \| 3 errors \| 2\.0 KiB/);
  assert.match(out, /\r\x1b\[2Ka log line\n/, 'the bar line is cleared before a log line');
  assert.deepEqual(progressFields({ counters, queued: 1, inflight: 0, elapsedMs: 1000 }).rate, '42.0');
  assert.equal(progressFields({ counters, queued: 840, inflight: 0, elapsedMs: 1000 }).remaining, '20.0s', 'ETA: what is queued at the current rate');
  assert.equal(progressFields({ counters: emptyCounters(), queued: 5, inflight: 0, elapsedMs: 1000 }).remaining, '?');
});

test('colours only on a TTY without NO_COLOR', () => {
  const tty = Object.assign(new Writable({ write(_c, _e, cb) { cb(); } }), { isTTY: true });
  const saved = process.env.NO_COLOR;
  delete process.env.NO_COLOR;
  assert.equal(new Logger({ format: 'plain', level: 'info', stream: tty }).color, true);
  process.env.NO_COLOR = '1';
  assert.equal(new Logger({ format: 'plain', level: 'info', stream: tty }).color, false);
  if (saved === undefined) delete process.env.NO_COLOR; else process.env.NO_COLOR = saved;
  const pipe = new Writable({ write(_c, _e, cb) { cb(); } });
  assert.equal(new Logger({ format: 'plain', level: 'info', stream: pipe }).color, false);
});

test('not on a TTY: no progress or escape codes; --verbose one line per URL; --quiet only the summary line; JSON logs', async () => {
  const seeds = seedFile(dir, [site.url + '/'], 'v.txt');
  const plain = await runCli(['--urls', seeds, '--db', path.join(dir, 'v0.db'), ...FAST]);
  assert.equal(plain.code, 0);
  assert.doesNotMatch(plain.stderr, /\x1b\[/);
  assert.match(plain.stderr, /crawl: done in/);
  const verbose = await runCli(['--urls', seeds, '--db', path.join(dir, 'v1.db'), ...FAST, '--verbose']);
  const pageLines = verbose.stderr.split('\n').filter((l) => l.startsWith('page url='));
  assert.equal(pageLines.length, pagesIn(path.join(dir, 'v1.db')));
  const quiet = await runCli(['--urls', seeds, '--db', path.join(dir, 'v2.db'), ...FAST, '--quiet']);
  assert.deepEqual(quiet.stderr.trim().split('\n').map((l) => l.split(' ')[1]), ['summary']);
  const json = await runCli(['--urls', seeds, '--db', path.join(dir, 'v3.db'), ...FAST, '--log-format', 'json']);
  const events = json.stderr.trim().split('\n').map((l) => JSON.parse(l) as { event: string; pages?: number; exit?: number });
  assert.equal(events[0].event, 'start');
  const last = events[events.length - 1];
  assert.equal(last.event, 'summary');
  const locked = await runCli(['--urls', seeds, '--db', path.join(dir, 'v3.db'), '--log-format', 'json', '--concurrency', '0']);
  assert.equal(locked.code, 2);
  const fatal = JSON.parse(locked.stderr.trim()) as { event: string; code: string; exit: number; message: string };
  assert.deepEqual([fatal.event, fatal.code, fatal.exit], ['fatal', 'BAD_INPUT', 2]);
  assert.match(fatal.message, /--concurrency/);
  assert.equal(last.exit, 0);
  assert.equal(last.pages, pagesIn(path.join(dir, 'v3.db')));
});

test('--version prints the package version', async () => {
  const r = await runCli(['--version']);
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  assert.equal(r.stdout.trim(), pkg.version);
});
