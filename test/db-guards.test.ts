/**
 * Database paths the crawler must refuse or handle without damage: another program's SQLite file
 * (crawl and query commands, exit 6, nothing written), a crawl database in a read-only folder
 * (query commands work), paths whose folder cannot be created (fail fast, exit 6), a disk that is
 * full before the crawl starts, and seed files with CR, LF or CRLF line ends.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { startSite, type Site } from '../src/demo/site.js';
import { FAST, runCli, seedFile, tempDir, type CliResult } from './helpers/cli.js';

let site: Site;
let dir: string;
let seeds: string;
before(async () => {
  site = await startSite({ pages: 30, fanOut: 4, pageBytes: 2000, extras: false });
  dir = tempDir('crawl-guards-');
  seeds = seedFile(dir, [site.url + '/']);
});
after(async () => {
  await site.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const sha = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
const siblings = (f: string) => fs.readdirSync(path.dirname(f)).filter((x) => x.startsWith(path.basename(f))).sort();

function assertExit6(r: CliResult, what: RegExp): void {
  assert.equal(r.code, 6, r.stderr);
  assert.match(r.stderr, what);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, 'no stack trace');
}

/** Makes an application's SQLite database (not a crawl database). */
function appDatabase(name: string, sql: string, userVersion = 0, wal = false): string {
  const f = path.join(dir, name);
  const d = new Database(f);
  if (wal) d.pragma('journal_mode = WAL'); // stays in the file: every later reader opens it in WAL mode
  d.exec(sql);
  d.pragma(`user_version = ${userVersion}`);
  d.close();
  return f;
}

test('another program\'s SQLite database is refused before anything is written: exit 6, file unchanged', async () => {
  const cases = [
    appDatabase('app.db', "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ann');"),
    appDatabase('cms.db', "CREATE TABLE pages (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO pages (body) VALUES ('hello');"),
    appDatabase('versioned.db', 'CREATE TABLE pages (x); CREATE TABLE runs (y);', 7),
    // Issue 23 item 10: a WAL-mode database got -wal and -shm files (32 KB) beside it.
    appDatabase('wal-app.db', "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('hi');", 0, true),
  ];
  for (const db of cases) {
    const hash = sha(db);
    const files = siblings(db);
    site.resetCounts();
    const r = await runCli(['--urls', seeds, '--db', db, ...FAST]);
    assertExit6(r, /is a SQLite database but not a crawl database \(found tables .+\).*nothing was written to it — choose another --db/);
    assert.ok(r.stderr.includes(db), 'names the file');
    assert.equal(sha(db), hash, `${db} unchanged`);
    assert.deepEqual(siblings(db), files, 'no -wal, -shm or .lock left beside it');
    assert.equal(site.totalRequests, 0, 'nothing fetched');
  }
});

test('the query commands on another program\'s database, an empty one, or a non-database: exit 6 with the reason', async () => {
  const app = path.join(dir, 'app.db');
  if (!fs.existsSync(app)) appDatabase('app.db', 'CREATE TABLE users (id INTEGER PRIMARY KEY);');
  const text = path.join(dir, 'not-a-db');
  fs.writeFileSync(text, 'just some text\n'.repeat(100));
  const empty = path.join(dir, 'empty.db');
  new Database(empty).close();
  for (const args of [['stats'], ['query', 'SELECT 1'], ['search', 'x'], ['runs'], ['report', 'orphans']]) {
    assertExit6(await runCli([...args, '--db', app]), /not a crawl database \(found tables users/);
    assertExit6(await runCli([...args, '--db', text]), /not a SQLite database/);
    assertExit6(await runCli([...args, '--db', empty]), /is empty \(no crawl schema/);
  }
  const missing = await runCli(['stats', '--db', path.join(dir, 'missing.db')]);
  assert.equal(missing.code, 2, 'a missing file is a wrong --db: bad input');
  assert.equal(fs.existsSync(path.join(dir, 'missing.db')), false);
});

test('an empty SQLite file or a zero-byte file is a new crawl database', async () => {
  const empty = path.join(dir, 'fresh-empty.db');
  new Database(empty).close();
  const zero = path.join(dir, 'zero.db');
  fs.writeFileSync(zero, '');
  for (const db of [empty, zero]) {
    const r = await runCli(['--urls', seeds, '--db', db, ...FAST]);
    assert.equal(r.code, 0, r.stderr);
  }
});

test('query commands on a crawl database in a read-only folder (a read-only tmpfs) work', async (t) => {
  const db = path.join(dir, 'ro-source.db');
  assert.equal((await runCli(['--urls', seeds, '--db', db, ...FAST])).code, 0);
  const mnt = fs.mkdtempSync(path.join(dir, 'ro-'));
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mnt], { encoding: 'utf8' });
  if (m.status !== 0) {
    t.diagnostic(`!!! CANNOT SET UP a read-only folder here (mount: ${(m.stderr || m.error?.message || '').trim()}); the read-only case was NOT tested`);
    return t.skip('CANNOT SET UP a read-only folder: NOT TESTED');
  }
  try {
    fs.copyFileSync(db, path.join(mnt, 'crawl.db'));
    const r = spawnSync('mount', ['-o', 'remount,ro', mnt], { encoding: 'utf8' });
    assert.equal(r.status, 0, `remount read-only: ${r.stderr}`);
    const ro = path.join(mnt, 'crawl.db');
    assert.throws(() => fs.writeFileSync(path.join(mnt, 'probe'), 'x'), /EROFS/, 'the folder really is read-only, even for root');
    for (const args of [['stats'], ['query', 'SELECT count(*) AS n FROM pages'], ['search', 'page'], ['runs'], ['report', 'orphans'], ['export', '--table', 'urls', '--format', 'csv']]) {
      const q = await runCli([...args, '--db', ro]);
      assert.equal(q.code, 0, `${args.join(' ')}: ${q.stderr}`);
      assert.ok(q.stdout.length > 0);
    }
    const n = await runCli(['query', 'SELECT count(*) AS n FROM pages', '--db', ro, '--format', 'json']);
    assert.ok((JSON.parse(n.stdout) as { n: number }[])[0]!.n > 10);
  } finally {
    spawnSync('umount', [mnt]);
  }
});

test('a --db whose folder cannot be created fails at once with exit 6 (no endless mkdir)', async () => {
  const file = path.join(dir, 'a-regular-file');
  fs.writeFileSync(file, 'x');
  for (const db of ['/proc/self/nope/x.db', '/proc/self/nope/deeper/x.db', path.join(file, 'x.db'), path.join(file, 'sub', 'x.db')]) {
    // A hang would show as the test runner's timeout, never as a timing assertion here.
    const r = await runCli(['--urls', seeds, '--db', db, ...FAST]);
    assertExit6(r, /cannot create the folder|is a file, not a folder/);
    assert.match(r.stderr, /choose another --db/);
    assert.ok(r.stderr.includes(db), `names ${db}`);
  }
});

test('a disk already full when the crawl starts: exit 6 saying the disk is full', async (t) => {
  const mnt = fs.mkdtempSync(path.join(dir, 'full-'));
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt], { encoding: 'utf8' });
  if (m.status !== 0) {
    t.diagnostic(`!!! CANNOT SET UP a full disk here (mount: ${(m.stderr || '').trim()}); NOT TESTED`);
    return t.skip('CANNOT SET UP a full disk: NOT TESTED');
  }
  try {
    // Fill every block.
    const fd = fs.openSync(path.join(mnt, 'filler'), 'w');
    try { for (;;) fs.writeSync(fd, Buffer.alloc(4096)); } catch (err) { assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC'); }
    fs.closeSync(fd);
    for (const db of [path.join(mnt, 'crawl.db'), path.join(mnt, 'new-folder', 'crawl.db')]) {
      site.resetCounts();
      const r = await runCli(['--urls', seeds, '--db', db, ...FAST]);
      assertExit6(r, /disk is full/);
      assert.doesNotMatch(r.stderr, /make its folder writable/);
      assert.equal(site.totalRequests, 0);
    }
  } finally {
    spawnSync('umount', [mnt]);
  }
});
