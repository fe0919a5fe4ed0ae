/**
 * --db parsed once (src/store/location.ts): the same value means the same database for the crawl,
 * the config file, the query commands and `crawl worker`; malformed URLs are bad input; passwords
 * never show; a password PostgreSQL asks for is explained; a worker with no run to join exits 0.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, test } from 'node:test';
import pg from 'pg';
import { BadInputError } from '../src/errors.js';
import { loadConfig } from '../src/cli/config.js';
import { parseDb, redactPassword } from '../src/store/location.js';
import { crawl } from '../src/index.js';
import { FAST, runCli, seedFile, startCli, tempDir } from './helpers/cli.js';
import { buildFixture } from './query-fixture.js';
import { pgCluster } from './helpers/pg.js';

const cluster = await pgCluster();
const skip = cluster ? false : 'PostgreSQL not found (see the message above)';
const dir = tempDir('crawl-location-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
/** No PostgreSQL settings from the machine running the tests. */
const NO_PG_ENV = { PGDATABASE: '', PGPASSWORD: '', PGPASSFILE: path.join(dir, 'no-pgpass'), HOME: dir };

test('parseDb: files, sqlite: URLs, memory: and postgres:// URLs', () => {
  assert.deepEqual(parseDb('data/a.db'), { kind: 'file', path: 'data/a.db', display: 'data/a.db' });
  assert.equal((parseDb('sqlite:data/a.db') as { path: string }).path, 'data/a.db');
  assert.equal((parseDb('sqlite:///abs/a.db') as { path: string }).path, '/abs/a.db');
  assert.deepEqual(parseDb('memory:'), { kind: 'memory', name: '', display: 'memory:' });
  const p = parseDb('postgres://u:s3cret@db.test:5433/crawl?crawl_lease_ms=5000&sslmode=disable');
  assert.equal(p.kind, 'postgres');
  assert.equal(p.display, 'postgres://u@db.test:5433/crawl?crawl_lease_ms=5000&sslmode=disable');
  assert.ok(p.kind === 'postgres' && !p.connection.includes('crawl_lease_ms') && p.connection.includes('sslmode=disable'));
  assert.equal(redactPassword('see postgres://u:s3cret@h/db and postgresql://v:x%2Fy@h/db'), 'see postgres://u@h/db and postgresql://v@h/db');
});

test('parseDb: a malformed PostgreSQL URL is bad input, and its message holds no password', () => {
  for (const bad of ['postgres:/u:s3cret@h/db', 'postgres://u:s3cret@h:port/db', 'postgresql:u:s3cret@h/db']) {
    assert.throws(() => parseDb(bad), (e: Error) => e instanceof BadInputError && !e.message.includes('s3cret') && /postgres:\/\/USER@HOST/.test(e.message), bad);
  }
  const saved = process.env.PGDATABASE;
  delete process.env.PGDATABASE;
  try {
    assert.throws(() => parseDb('postgres://u:s3cret@h:5432'), (e: Error) => e instanceof BadInputError && /names no database/.test(e.message) && !e.message.includes('s3cret'));
    assert.throws(() => parseDb('postgres://u@h/'), /names no database; add its name, e\.g\. postgres:\/\/u@h\/crawl/);
  } finally {
    if (saved !== undefined) process.env.PGDATABASE = saved;
  }
});

test('a config file\'s postgres:// and memory: db values are not paths; sqlite:FILE is relative to the file', () => {
  const cfg = path.join(dir, 'cfg', 'crawl.config.json');
  fs.mkdirSync(path.dirname(cfg), { recursive: true });
  for (const [db, want] of [['postgres://u:s3cret@db.test/crawl', 'postgres://u:s3cret@db.test/crawl'], ['memory:', 'memory:'],
    ['sqlite:out/a.db', path.join(dir, 'cfg', 'out/a.db')], ['out/b.db', path.join(dir, 'cfg', 'out/b.db')]]) {
    fs.writeFileSync(cfg, JSON.stringify({ db }));
    assert.equal(loadConfig(cfg).values.db, want, db);
  }
});

test('the crawl with a config file\'s "db": "memory:" crawls in memory and writes no file', async () => {
  const server = http.createServer((req, res) => {
    if (req.url === '/robots.txt') { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': 'text/html' }).end('<title>x</title>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const cwd = path.join(dir, 'mem');
    fs.mkdirSync(cwd);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    fs.writeFileSync(path.join(cwd, 'crawl.config.json'), JSON.stringify({ db: 'memory:', seeds: [url] }));
    const r = await runCli([...FAST], { cwd });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fs.readdirSync(cwd), ['crawl.config.json'], 'no database file next to the config');
  } finally {
    server.close();
  }
});

test('every query command takes sqlite:FILE', async () => {
  const file = path.join(dir, 'q.db');
  buildFixture(file);
  for (const cmd of [['runs'], ['stats'], ['changes'], ['report', 'orphans'], ['search', 'robots'], ['export', '--limit', '1'], ['query', 'SELECT 1']]) {
    const r = await runCli([...cmd, '--db', `sqlite:${file}`, '--format', 'json']);
    assert.equal(r.code, 0, `${cmd[0]}: ${r.stderr}`);
  }
  const html = await runCli(['report', 'html', '--db', `sqlite://${file}`, '--out', path.join(dir, 'q.html')]);
  assert.equal(html.code, 0, html.stderr);  const memory = await runCli(['stats', '--db', 'memory:']);
  assert.equal(memory.code, 2, 'memory: names no database to read');
  assert.match(memory.stderr, /an in-memory crawl is gone when its crawl ends/);
});

test('a malformed postgres URL exits 2 for the crawl and the query commands, creates nothing and never prints the password', async () => {
  const cwd = path.join(dir, 'bad-url');
  fs.mkdirSync(cwd);
  const seeds = seedFile(cwd, ['http://127.0.0.1:9/']);
  for (const db of ['postgres://u:s3cret@127.0.0.1:port/crawl', 'postgres:u:s3cret@127.0.0.1/crawl', 'postgres://u:s3cret@127.0.0.1:5432']) {
    for (const args of [['--urls', seeds, ...FAST], ['stats'], ['worker'], ['export', '--to-sqlite', 'x.db']]) {
      const r = await runCli([...args, '--db', db], { cwd, env: NO_PG_ENV });
      assert.equal(r.code, 2, `${args[0]} ${db}: ${r.stderr}`);
      assert.ok(!r.stderr.includes('s3cret'), r.stderr);
    }
  }
  assert.deepEqual(fs.readdirSync(cwd), ['seeds.txt'], 'no file made from the URL');
});

test('no password for a SCRAM role: the message says where a password goes; with PGPASSWORD it works', { skip }, async () => {
  const db = cluster!.newDatabase();
  const s = await crawl({ seeds: ['http://127.0.0.1:9/'], db, progress: false, retries: 0 });
  assert.equal(s.status, 'done');
  const admin = new pg.Client(db);
  await admin.connect();
  await admin.query("SET password_encryption = 'scram-sha-256'");
  await admin.query("CREATE ROLE scram_user LOGIN PASSWORD 'pw-scram'");
  await admin.query('GRANT SELECT ON ALL TABLES IN SCHEMA public TO scram_user');
  const hba = path.join(cluster!.dataDir, 'pg_hba.conf');
  fs.writeFileSync(hba, `host all scram_user 127.0.0.1/32 scram-sha-256\n${fs.readFileSync(hba, 'utf8')}`);
  await admin.query('SELECT pg_reload_conf()');
  await admin.end();
  const url = db.replace('//postgres@', '//scram_user@');
  for (const args of [['stats'], ['--urls', seedFile(dir, ['http://127.0.0.1:9/'], 'scram-seeds.txt'), ...FAST]]) {
    const r = await runCli([...args, '--db', url], { env: NO_PG_ENV });
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /asks for a password and none was given: set PGPASSWORD, add a line to ~\/\.pgpass, or put it in the URL/);
    assert.doesNotMatch(r.stderr, /must be a string/);
  }
  const ok = await runCli(['runs', '--db', url, '--format', 'json'], { env: { ...NO_PG_ENV, PGPASSWORD: 'pw-scram' } });
  assert.equal(ok.code, 0, ok.stderr);
});

test('crawl worker with no run to join says so and exits 0; --wait joins the run that starts later', { skip }, async () => {
  const db = cluster!.newDatabase().replace('//postgres@', '//postgres:s3cret@');
  const none = await runCli(['worker', '--db', db]);
  assert.equal(none.code, 0, none.stderr);
  assert.match(none.stderr, /no run in progress to join/);
  assert.ok(!none.stderr.includes('s3cret'));
  // A site whose first page answers only when the worker has joined: the run is in progress until then.
  let release!: () => void;
  const held = new Promise<void>((r) => { release = r; });
  const server = http.createServer((req, res) => {
    if (req.url === '/robots.txt') { res.writeHead(404).end(); return; }
    void held.then(() => res.writeHead(200, { 'content-type': 'text/html' }).end('<title>held</title>'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const worker = startCli(['worker', '--db', db, '--wait', '--log-format', 'json']);
    // The run starts only once the worker has found none and waits.
    for (let i = 0; i < 1200 && !/waiting for one to start/.test(await stderrOf(worker.child)); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(await stderrOf(worker.child), /no run in progress yet; waiting for one to start/);
    const main = startCli(['--urls', seedFile(dir, [`http://127.0.0.1:${(server.address() as AddressInfo).port}/`], 'held.txt'), '--db', db, ...FAST]);
    // The worker logs its start event when it has joined.
    for (let i = 0; i < 1200 && !/"event":"start"/.test(await stderrOf(worker.child)); i++) await new Promise((r) => setTimeout(r, 100));
    release();
    const [w, m] = await Promise.all([worker.done, main.done]);
    assert.equal(m.code, 0, m.stderr);
    assert.equal(w.code, 0, w.stderr);
    assert.match(w.stderr, /"event":"start"/);
    const runs = JSON.parse((await runCli(['runs', '--db', db, '--format', 'json'])).stdout) as { workers: number }[];
    assert.equal(runs.length, 1);
    assert.equal(runs[0].workers, 2, 'the waiting worker took part in the run');
  } finally {
    release();
    server.close();
  }
});

/** The stderr a child wrote so far. */
const seen = new WeakMap<object, string>();
async function stderrOf(child: import('node:child_process').ChildProcess): Promise<string> {
  if (!seen.has(child)) {
    seen.set(child, '');
    child.stderr!.on('data', (d) => seen.set(child, seen.get(child)! + String(d)));
  }
  return seen.get(child)!;
}
