/**
 * The query commands on a PostgreSQL crawl: the same answers as on its copy in SQLite
 * (crawl export --to-sqlite), writes refused by the read-only transaction, and PostgreSQL search.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { PassThrough } from 'node:stream';
import pg from 'pg';
import { startSite, type Site } from '../src/demo/site.js';
import { writeRows } from '../src/cli/output.js';
import { crawl } from '../src/index.js';
import { leaseParam } from '../src/store/postgres/backend.js';
import { safeLocation } from '../src/store/postgres/db.js';
import { runCli, tempDir } from './helpers/cli.js';
import { pgCluster } from './helpers/pg.js';

const cluster = await pgCluster();
const skip = cluster ? false : 'PostgreSQL not found (see the message above)';
let site: Site;
let db = '';
let copy = '';
const dir = tempDir('crawl-pg-query-');

before(async () => {
  if (!cluster) return;
  site = await startSite({ pages: 80, fanOut: 4, pageBytes: 2000 });
  // Trust authentication ignores the password: it is here to show it never appears anywhere.
  db = cluster.newDatabase().replace('//postgres@', '//postgres:s3cret@');
  const s = await crawl({ seeds: [site.url + '/'], db, delay: '0ms', perHost: 8, concurrency: 16, progress: false });
  assert.equal(s.status, 'done');
  copy = path.join(dir, 'copy.db');
  const r = await runCli(['export', '--db', db, '--to-sqlite', copy]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.stderr.includes('s3cret'));
});
after(async () => {
  await site?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const out = async (args: string[]) => {
  const r = await runCli(args);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  assert.ok(!(r.stdout + r.stderr).includes('s3cret'), 'the password is never printed');
  return r.stdout;
};

test('report, changes, export and stats answer the same on PostgreSQL as on its SQLite copy', { skip }, async () => {
  for (const cmd of [['report', 'broken-links'], ['report', 'redirects'], ['report', 'duplicates'], ['report', 'orphans'],
    ['changes', '--since', '1'], ['export', '--table', 'v_errors'], ['export', '--table', 'pages', '--columns', 'url,status,title,word_count', '--where', 'status = 200']]) {
    const a = await out([...cmd, '--db', db, '--format', 'csv']);
    const b = await out([...cmd, '--db', copy, '--format', 'csv']);
    // export has no ORDER BY: the row order is each engine's storage order.
    const lines = (t: string) => (cmd[0] === 'export' ? t.split('\n').sort() : t.split('\n'));
    assert.deepEqual(lines(a), lines(b), cmd.join(' '));
  }
  const sp = JSON.parse(await out(['stats', '--db', db, '--format', 'json'])) as Record<string, unknown>;
  const ss = JSON.parse(await out(['stats', '--db', copy, '--format', 'json'])) as Record<string, unknown>;
  for (const k of Object.keys(ss)) if (k !== 'run') assert.deepEqual(sp[k], ss[k], `stats section ${k}`);
  const runs = JSON.parse(await out(['runs', '--db', db, '--format', 'json'])) as { pages: number; workers: number }[];
  assert.equal(runs.length, 1);
  assert.equal(runs[0].workers, 1);
  const options = await out(['query', 'SELECT options FROM runs', '--db', db, '--format', 'csv']);
  assert.match(options, /postgres:\/\/postgres@/, 'runs.options keeps the URL without its password');
  assert.equal(runs[0].pages, (JSON.parse(await out(['runs', '--db', copy, '--format', 'json'])) as { pages: number }[])[0].pages);
});

test('query runs in a read-only transaction: reads work, writes are refused (exit 2)', { skip }, async () => {
  const rows = JSON.parse(await out(['query', 'SELECT count(*)::int AS n FROM pages WHERE status = $1', '200', '--db', db, '--format', 'json'])) as { n: number }[];
  assert.ok(rows[0].n > 0);
  const w = await runCli(['query', 'DELETE FROM pages', '--db', db]);
  assert.equal(w.code, 2);
  assert.match(w.stderr, /read-only transaction/);
  const left = await new pg.Client(db);
  await left.connect();
  assert.ok(Number((await left.query('SELECT count(*) FROM pages')).rows[0].count) > 0, 'nothing deleted');
  await left.end();
});

test('search uses the tsvector (title above text) and marks matches in snippets', { skip }, async () => {
  const c = new pg.Client(db);
  await c.connect();
  const { title, url } = (await c.query("SELECT title, url FROM pages WHERE status = 200 AND title IS NOT NULL ORDER BY url_id DESC LIMIT 1")).rows[0];
  await c.end();
  const word = (title as string).split(/\s+/)[0];
  const hits = JSON.parse(await out(['search', `"${title}"`, '--db', db, '--format', 'json'])) as { url: string; snippet: string }[];
  assert.equal(hits[0].url, url, 'the exact title phrase ranks its page first');
  assert.ok(hits[0].snippet.includes(`[${word}]`), hits[0].snippet);
});

test('credentials never show: location and stored options drop the password; crawl_lease_ms is ours, not the server\'s', () => {
  assert.equal(safeLocation('postgres://crawler:s3cret@db.internal:5432/crawl'), 'postgres://crawler@db.internal:5432/crawl');
  assert.deepEqual(leaseParam('postgres://u@h/d?crawl_lease_ms=9000&sslmode=disable'), { connection: 'postgres://u@h/d?sslmode=disable', leaseMs: 9000 });
  assert.throws(() => leaseParam('postgres://u@h/d?crawl_lease_ms=1000'), /at least 8000/);
});

test('export streams: rows are written while the cursor is still being read, and a result of many batches comes out whole', { skip }, async () => {
  // writeRows with a row source that counts what was pulled when the first bytes went out.
  let pulled = 0, pulledAtFirstWrite = -1;
  async function* source() { for (let i = 0; i < 20_000; i++) { pulled++; yield [i, 'x'.repeat(100)]; } }
  const sink = new PassThrough();
  sink.on('data', () => { if (pulledAtFirstWrite < 0) pulledAtFirstWrite = pulled; });
  const n = await writeRows(source(), ['i', 'pad'], 'jsonl', sink);
  assert.equal(n, 20_000);
  assert.ok(pulledAtFirstWrite > 0 && pulledAtFirstWrite < 20_000, `output began after ${pulledAtFirstWrite} of 20000 rows`);
  // More rows than one FETCH (1,000) from PostgreSQL, in order, none lost or repeated.
  const c = new pg.Client(db);
  await c.connect();
  await c.query(`INSERT INTO urls (url, host, first_seen_at) SELECT 'http://bulk.test/' || g, 'bulk.test', 'now' FROM generate_series(1, 2500) g`);
  await c.end();
  const lines = (await out(['export', '--db', db, '--table', 'urls', '--columns', 'url', '--where', "host = 'bulk.test'"])).trim().split('\n');
  assert.equal(lines.length, 2500);
  assert.equal(new Set(lines).size, 2500);
});
