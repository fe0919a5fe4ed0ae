/**
 * The run lock admits exactly one holder: processes that try at the same instant (on a fresh
 * database, and on one whose holder was SIGKILLed), through acquireRunLock and through crawl();
 * and a killed holder that is not yet reaped (a zombie) does not block the next run.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { spawn, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { acquireRunLock } from '../src/store/sqlite/lock.js';
import { DatabaseError, LockedError } from '../src/errors.js';
import { ROOT, tempDir } from './helpers/cli.js';

const LOCK_JS = path.join(ROOT, 'dist/src/store/sqlite/lock.js');
const INDEX_JS = path.join(ROOT, 'dist/src/index.js');

let dir: string;
before(() => { dir = tempDir('crawl-lock-'); });
after(() => { fs.rmSync(dir, { recursive: true, force: true }); });

/**
 * A contender: a node process that, on "go T DB", waits until the wall clock reaches T (so all
 * contenders try at one instant), tries the lock once and answers "held" or "locked"; on
 * "release" it releases. On "hold DB" it takes the lock and answers "held" (to be SIGKILLed).
 */
const CONTENDER = `
import readline from 'node:readline';
const { acquireRunLock } = await import(${JSON.stringify(LOCK_JS)});
let lock = null;
const say = (s) => process.stdout.write(s + '\\n');
for await (const line of readline.createInterface({ input: process.stdin })) {
  const [cmd, a, b] = line.split(' ');
  if (cmd === 'go' || cmd === 'hold') {
    const db = cmd === 'go' ? b : a;
    if (cmd === 'go') while (Date.now() < Number(a)) { /* spin to the shared start time */ }
    try { lock = acquireRunLock(db); say('held'); }
    catch (e) { say(e.code === 'LOCKED' ? 'locked' : 'error ' + e.message.replace(/\\n/g, ' ')); }
  } else if (cmd === 'release') { lock?.release(); lock = null; say('released'); }
}
`;

interface Proc { child: ChildProcess; next(): Promise<string>; send(s: string): void }

let scripts = 0;
/** Writes `script` to an .mjs file (parse workers refuse to start under `node -e`) and returns its path. */
function scriptFile(script: string): string {
  const f = path.join(dir, `script-${scripts++}.mjs`);
  fs.writeFileSync(f, script);
  return f;
}

function startNode(script: string, args: string[] = []): Proc {
  const child = spawn(process.execPath, [scriptFile(script), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiters: ((s: string) => void)[] = [];
  readline.createInterface({ input: child.stdout! }).on('line', (l) => { const w = waiters.shift(); if (w) w(l); else lines.push(l); });
  return {
    child,
    next: () => new Promise((resolve) => { const l = lines.shift(); if (l !== undefined) resolve(l); else waiters.push(resolve); }),
    send: (s) => child.stdin!.write(s + '\n'),
  };
}

/** Leaves the files a SIGKILLed holder leaves, and returns a copy of them (name -> bytes). */
async function killedHolderLeftovers(db: string): Promise<Map<string, Buffer>> {
  const holder = startNode(CONTENDER);
  holder.send(`hold ${db}`);
  assert.equal(await holder.next(), 'held');
  const exited = new Promise((r) => holder.child.on('exit', r));
  holder.child.kill('SIGKILL');
  await exited;
  const files = new Map<string, Buffer>();
  for (const f of fs.readdirSync(path.dirname(db))) {
    if (f.startsWith(path.basename(db) + '.lock')) files.set(f, fs.readFileSync(path.join(path.dirname(db), f)));
  }
  return files;
}

function clearLockFiles(db: string): void {
  for (const f of fs.readdirSync(path.dirname(db))) if (f.startsWith(path.basename(db) + '.lock')) fs.rmSync(path.join(path.dirname(db), f), { force: true });
}

test('4 processes taking the lock at one instant: exactly one holder, 200 times (fresh and after a SIGKILLed holder)', async () => {
  const TRIALS = 200;
  const procs = Array.from({ length: 4 }, () => startNode(CONTENDER));
  const db = path.join(dir, 'race.db');
  let stale = new Map<string, Buffer>();
  const doubles: number[] = [];
  try {
    for (let trial = 0; trial < TRIALS; trial++) {
      clearLockFiles(db);
      if (trial % 2 === 1) {
        // Every tenth stale trial gets a newly killed holder; the others restore what one left.
        if (trial % 20 === 1) stale = await killedHolderLeftovers(db);
        else for (const [f, bytes] of stale) fs.writeFileSync(path.join(dir, f), bytes);
      }
      const at = Date.now() + 30;
      for (const p of procs) p.send(`go ${at} ${db}`);
      const answers = await Promise.all(procs.map((p) => p.next()));
      const bad = answers.filter((a) => a !== 'held' && a !== 'locked');
      assert.deepEqual(bad, [], `trial ${trial}: unexpected answers`);
      const holders = answers.filter((a) => a === 'held').length;
      if (holders !== 1) doubles.push(trial);
      assert.ok(holders >= 1, `trial ${trial}: nobody got the lock (${answers.join(', ')})`);
      for (const p of procs) p.send('release');
      await Promise.all(procs.map((p) => p.next()));
    }
  } finally {
    for (const p of procs) p.child.kill('SIGKILL');
  }
  assert.deepEqual(doubles, [], `trials with more than one holder: ${doubles.length} of ${TRIALS}`);
});

test('crawl() from 4 processes released at one instant on one database: exactly one crawls, 10 times', async () => {
  // The site holds every page request until all four processes have answered, so the one crawl
  // that got the lock is still running when the others try: no timing is assumed.
  let gate!: () => void;
  let opened = new Promise<void>((r) => { gate = r; });
  const server = http.createServer((req, res) => {
    void opened.then(() => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(req.url === '/' ? '<title>home</title><a href="/a">a</a>' : '<title>a</title>');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const script = `
const { crawl } = await import(${JSON.stringify(INDEX_JS)});
const [at, db, url] = process.argv.slice(2);
while (Date.now() < Number(at)) { /* spin to the shared start time */ }
try {
  const s = await crawl({ seeds: [url], db, delay: 0, ignoreRobots: true, progress: false, workers: 1 }, { onStart: () => process.stdout.write('started\\n') });
  process.stdout.write('done ' + s.counters.pages + '\\n');
} catch (e) { process.stdout.write((e.code === 'LOCKED' ? 'locked' : 'error ' + e.message) + '\\n'); }
`;
  try {
    for (let trial = 0; trial < 10; trial++) {
      const db = path.join(dir, `crawl-${trial}.db`);
      if (trial % 2 === 1) await killedHolderLeftovers(db);
      const at = Date.now() + 300;
      const procs = Array.from({ length: 4 }, () => startNode(script, [String(at), db, url]));
      const first = await Promise.all(procs.map((p) => p.next()));
      assert.equal(first.filter((a) => a === 'started').length, 1, `trial ${trial}: ${first.join(', ')}`);
      assert.equal(first.filter((a) => a === 'locked').length, 3, `trial ${trial}: ${first.join(', ')}`);
      gate();
      const holder = procs[first.indexOf('started')]!;
      assert.equal(await holder.next(), 'done 2');
      await Promise.all(procs.map((p) => new Promise((r) => (p.child.exitCode !== null ? r(null) : p.child.on('exit', r)))));
      opened = new Promise<void>((r) => { gate = r; });
    }
  } finally {
    gate();
    await new Promise((r) => server.close(r));
  }
});

test('a SIGKILLed holder that is not reaped yet (a zombie) does not block the next run', async (t) => {
  const db = path.join(dir, 'zombie.db');
  // python3 forks the node holder, SIGKILLs it when it holds the lock, and never waits for it.
  const py = `
import os, signal, subprocess, sys, time
p = subprocess.Popen([sys.argv[1], sys.argv[2]], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
p.stdin.write(('hold ' + sys.argv[3] + '\\n').encode()); p.stdin.flush()
line = p.stdout.readline().decode().strip()
os.kill(p.pid, signal.SIGKILL)
print(line, p.pid, flush=True)
time.sleep(120)
`;
  const parent = spawn('python3', ['-c', py, process.execPath, scriptFile(CONTENDER), db], { stdio: ['ignore', 'pipe', 'inherit'] });
  if (!parent.pid) { t.skip('NO python3: cannot make a zombie here; this test did not run'); return; }
  try {
    const [answer, pid] = (await readline.createInterface({ input: parent.stdout! })[Symbol.asyncIterator]().next()).value.split(' ');
    assert.equal(answer, 'held');
    // Wait until the kernel has made it a zombie (state Z): killed, not reaped.
    let state = '';
    for (let i = 0; i < 500 && state !== 'Z'; i++) {
      state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '')[0]!;
      if (state !== 'Z') await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(state, 'Z', `process ${pid} should be a zombie`);
    const lock = acquireRunLock(db);
    lock.release();
  } finally {
    parent.kill('SIGKILL');
  }
});

test('a held lock is refused with LockedError naming the holder; released, it can be taken again', () => {
  const db = path.join(dir, 'inproc.db');
  const a = acquireRunLock(db);
  assert.throws(() => acquireRunLock(db), (err: Error) => err instanceof LockedError && new RegExp(`process ${process.pid}`).test(err.message));
  a.release();
  a.release(); // twice is harmless
  acquireRunLock(db).release();
});

test('a lock file left by an earlier crawl version (JSON) is taken over unless its process still runs; a foreign file is named', async () => {
  const db = path.join(dir, 'legacy.db');
  fs.writeFileSync(db + '.lock', JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), procStart: '1', startedAt: 'then' }));
  acquireRunLock(db).release();
  const sleeper = spawn('sleep', ['30']);
  try {
    fs.writeFileSync(db + '.lock', JSON.stringify({ pid: sleeper.pid, host: os.hostname(), procStart: '1', startedAt: 'then' }));
    assert.throws(() => acquireRunLock(db), (err: Error) => err instanceof LockedError && /older crawl version/.test(err.message));
  } finally {
    sleeper.kill('SIGKILL');
  }
  fs.writeFileSync(db + '.lock', 'not a lock\n');
  assert.throws(() => acquireRunLock(db), (err: Error) => err instanceof DatabaseError && /not a lock file made by crawl; if no crawl is running on this database, delete it/.test(err.message));
});
