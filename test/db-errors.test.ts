/**
 * Database problems end the crawl with exit 6 and a message naming the file and the fix, and never
 * damage what is already stored: a foreign writer holding the lock, unwritable paths, a file that is
 * not a database, and a disk that fills up in the middle of a crawl (then a rerun resumes).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { startSite, type Site } from '../src/demo/site.js';
import { BIN, FAST, ROOT, runCli, seedFile, tempDir, type CliResult } from './helpers/cli.js';
import { acquireRunLock } from '../src/store/sqlite/lock.js';

/** The run lock is free: it can be taken (the empty `<db>.lock` file itself stays, by design). */
function assertUnlocked(db: string): void {
  acquireRunLock(db).release();
  assert.equal(fs.existsSync(db + '.lock.info'), false, 'holder info removed');
}

let site: Site;
/** For the crash points: a crawl (~16 MB) far larger than the limits (3 MiB), whose largest write batch (~2.6 MB) fits. */
let big: Site;
let dir: string;
let seeds: string;
let bigSeeds: string;
before(async () => {
  site = await startSite({ pages: 400, fanOut: 6, pageBytes: 6000, extras: false });
  big = await startSite({ pages: 1500, fanOut: 6, pageBytes: 6000, extras: false, seed: 2 });
  dir = tempDir('crawl-dberr-');
  seeds = seedFile(dir, [site.url + '/']);
  bigSeeds = seedFile(dir, [big.url + '/'], 'big.txt');
});
after(async () => {
  await site.close();
  await big.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function inspect(db: string): { integrity: string; pages: number; runs: { status: string }[] } {
  const d = new Database(db, { readonly: true });
  try {
    return {
      integrity: (d.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check,
      pages: (d.prepare('SELECT count(*) n FROM pages').get() as { n: number }).n,
      runs: d.prepare('SELECT status FROM runs ORDER BY id').all() as { status: string }[],
    };
  } finally { d.close(); }
}

/** Asserts the shape every database failure must have: exit 6, the file named, a fix, no stack trace. */
function assertDbError(r: CliResult, file: string, fix: RegExp): void {
  assert.equal(r.code, 6, r.stderr);
  assert.match(r.stderr, new RegExp(`crawl: .*${esc(file)}`), 'names the file');
  assert.match(r.stderr, fix);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, 'no stack trace');
}

test('a database locked by another writer: exit 6 after the busy timeout, data untouched', async () => {
  const db = path.join(dir, 'locked.db');
  assert.equal((await runCli(['--urls', seeds, '--db', db, ...FAST, '--max-pages', '20'])).code, 0);
  const before = inspect(db);
  site.resetCounts();
  const holder = new Database(db);
  holder.exec('BEGIN EXCLUSIVE');
  try {
    const t0 = Date.now();
    // The crawler waits up to 5 s (busy timeout) for the lock, which is held throughout.
    const r = await runCli(['--urls', seeds, '--db', db, ...FAST]);
    assert.ok(Date.now() - t0 >= 4500, 'it waited for the busy timeout first');
    assertDbError(r, db, /another program holds a write lock/);
  } finally {
    holder.exec('ROLLBACK');
    holder.close();
  }
  assert.equal(site.totalRequests, 0, 'nothing fetched');
  assert.deepEqual(inspect(db), { ...before, integrity: 'ok' });
  assertUnlocked(db);
});

test('unwritable locations: a path under a regular file, under /proc, and a folder given as --db', async () => {
  const file = path.join(dir, 'plain-file');
  fs.writeFileSync(file, 'x');
  // Root ignores chmod; these paths cannot be written by anyone.
  for (const db of [path.join(file, 'crawl.db'), '/proc/crawl-test.db']) {
    const r = await runCli(['--urls', seeds, '--db', db, ...FAST]);
    assertDbError(r, db, /choose another --db|writable/);
  }
  const folder = fs.mkdtempSync(path.join(dir, 'folder-'));
  const r = await runCli(['--urls', seeds, '--db', folder, ...FAST]);
  assertDbError(r, folder, /it is a folder; give a file path/);
  assert.deepEqual(fs.readdirSync(folder), [], 'nothing written into the folder');
  assert.equal(fs.existsSync(folder + '.lock'), false);
  assert.equal(site.totalRequests, 0);
});

test('a file that is not a SQLite database: exit 6, the file left exactly as it was', async () => {
  const db = path.join(dir, 'notes.txt');
  const content = 'my notes, not a database\n'.repeat(200);
  fs.writeFileSync(db, content);
  site.resetCounts();
  const r = await runCli(['--urls', seeds, '--db', db, ...FAST]);
  assertDbError(r, db, /not a SQLite database; choose another --db/);
  assert.equal(fs.readFileSync(db, 'utf8'), content);
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('notes.txt')), ['notes.txt'], 'no -wal, -shm or .lock left');
  assert.equal(site.totalRequests, 0);
  // The query commands say the same.
  const q = await runCli(['stats', '--db', db]);
  assert.notEqual(q.code, 0);
  assert.match(q.stderr, new RegExp(esc(db)));
});

/** Crawls into `db` expecting a disk-full failure mid-crawl, then checks the data and resumes. */
async function fullThenResume(db: string, failed: CliResult, free: () => void, fix: RegExp): Promise<void> {
  assertDbError(failed, db, fix);
  assert.match(failed.stderr, /crawl: starting run 1/, 'it failed in the middle of the crawl, not at open');
  free();
  const mid = inspect(db);
  assert.equal(mid.integrity, 'ok');
  assert.ok(mid.pages > 0 && mid.pages < big.reachablePaths().length, `committed pages kept: ${mid.pages}`);
  // 'interrupted' is recorded when the full disk still has room for that one row; when it has not,
  // the run stays 'running', which the next run resumes the same way (a crashed run).
  assert.equal(mid.runs.length, 1);
  assert.ok(['interrupted', 'running'].includes(mid.runs[0]!.status), JSON.stringify(mid.runs));
  assertUnlocked(db);
  const again = await runCli(['--urls', bigSeeds, '--db', db, ...FAST]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /resuming run 1/);
  const done = inspect(db);
  assert.equal(done.integrity, 'ok');
  assert.deepEqual(done.runs, [{ status: 'done' }]);
  const d = new Database(db, { readonly: true });
  const ok = d.prepare('SELECT count(DISTINCT url) n FROM pages WHERE status = 200').get() as { n: number };
  d.close();
  assert.equal(ok.n, big.reachablePaths().length, 'every reachable page stored after the resume');
}

test('disk full in the middle of a crawl (a 3 MiB tmpfs): exit 6, database intact, rerun resumes', async (t) => {
  const mnt = fs.mkdtempSync(path.join(dir, 'tmpfs-'));
  // 3 MiB: the largest write batch fits (pages are committed before the disk fills), the crawl does not.
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mnt], { encoding: 'utf8' });
  if (m.status !== 0) return t.skip(`cannot mount a tmpfs here (${(m.stderr || m.error?.message || '').trim()}); the RLIMIT_FSIZE test covers this`);
  try {
    const db = path.join(mnt, 'crawl.db');
    const r = await runCli(['--urls', bigSeeds, '--db', db, ...FAST]);
    await fullThenResume(db, r, () => { spawnSync('mount', ['-o', 'remount,size=64m', mnt]); }, /disk is full; free space and run again/);
  } finally {
    spawnSync('umount', [mnt]);
  }
});

test('file size limit hit in the middle of a crawl (RLIMIT_FSIZE): exit 6, database intact, rerun resumes', async () => {
  const db = path.join(dir, 'fsize.db');
  // ulimit -f is in KiB; SIGXFSZ ignored so writes fail with EFBIG instead of killing the process.
  // 3 MiB: the largest write batch (256 pages of ~10 KB, however fast the crawl fills it) fits, so
  // pages are committed before the limit; the whole crawl (~16 MB) does not, by far. At 384 KiB a
  // fast crawl's first batch alone was over the limit and nothing was ever committed.
  const child = spawn('bash', ['-c', 'ulimit -f 3072; trap "" XFSZ; exec "$0" "$@"', process.execPath, BIN, '--urls', bigSeeds, '--db', db, ...FAST],
    { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdout.resume();
  const r = await new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout: '', stderr })));
  await fullThenResume(db, r, () => {}, /I\/O error occurred; check the disk and free space/);
});
