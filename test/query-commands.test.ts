/** The read-only query commands over a real SQLite file with known contents. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { BadInputError } from '../src/errors.js';
import { MAX_CELL, writeRows, type OutputFormat } from '../src/cli/output.js';
import { runQuery } from '../src/cli/commands/query.js';
import { runStats } from '../src/cli/commands/stats.js';
import { runSearch, searchPages } from '../src/cli/commands/search.js';
import { runExport } from '../src/cli/commands/export.js';
import { runReport } from '../src/cli/commands/report.js';
import { runRuns } from '../src/cli/commands/runs.js';
import { runChanges } from '../src/cli/commands/changes.js';
import { buildFixture, createDb, parseCsv, Sink, tempDir } from './query-fixture.js';

const FORMATS: OutputFormat[] = ['table', 'json', 'jsonl', 'csv'];
const tmp = tempDir();
const DB = path.join(tmp.dir, 'crawl.db');
before(() => buildFixture(DB));
after(() => tmp.cleanup());

/** Runs a command into a Sink and returns the text. */
async function capture(fn: (out: Sink) => Promise<unknown>): Promise<string> {
  const out = new Sink();
  await fn(out);
  return out.text();
}

/** Parses json/jsonl/csv output back into objects (csv values stay strings). */
function parse(format: OutputFormat, text: string): Record<string, unknown>[] {
  if (format === 'json') return JSON.parse(text) as Record<string, unknown>[];
  if (format === 'jsonl') return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
  if (format === 'csv') {
    const [head, ...rows] = parseCsv(text);
    return rows.map((r) => Object.fromEntries(head.map((h, i) => [h, r[i]])));
  }
  throw new Error('table output is not parsed');
}

describe('writeRows', () => {
  const columns = ['id', 'name', 'note'];
  const rows = [
    { id: 1, name: 'plain', note: null },
    { id: 22, name: 'has "quotes", commas', note: 'line1\nline2' },
    { id: 3, name: 'x'.repeat(100), note: 'tail' },
  ];

  test('json, jsonl and csv round-trip, with RFC 4180 quoting', async () => {
    for (const format of ['json', 'jsonl'] as const) {
      const text = await capture((out) => writeRows(rows, columns, format, out));
      assert.deepEqual(parse(format, text), rows);
    }
    const csv = await capture((out) => writeRows(rows, columns, 'csv', out));
    assert.ok(csv.includes('"has ""quotes"", commas","line1\nline2"\r\n'));
    assert.deepEqual(parse('csv', csv), rows.map((r) => ({ id: String(r.id), name: r.name, note: r.note ?? '' })));
  });

  test('table aligns columns, right-aligns numbers, folds newlines and cuts long cells', async () => {
    const text = await capture((out) => writeRows(rows, columns, 'table', out));
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, 2 + rows.length);
    assert.match(lines[0], /^id {2}name +note$/);
    assert.match(lines[2], /^ 1 {2}plain/);
    assert.ok(lines[3].includes('line1 line2'));
    assert.ok(lines[4].includes('x'.repeat(MAX_CELL - 1) + '…'));
    assert.ok(!lines[4].includes('x'.repeat(MAX_CELL)));
  });

  test('empty results: [] in json, header only in csv, (no rows) in table', async () => {
    assert.deepEqual(JSON.parse(await capture((out) => writeRows([], columns, 'json', out))), []);
    assert.equal(await capture((out) => writeRows([], columns, 'csv', out)), 'id,name,note\r\n');
    assert.match(await capture((out) => writeRows([], columns, 'table', out)), /\(no rows\)/);
  });

  test('table streams past its 200-row sample', async () => {
    const many = Array.from({ length: 450 }, (_, i) => [i, `row ${i}`]);
    const text = await capture((out) => writeRows(many, ['n', 'label'], 'table', out));
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, 452);
    assert.match(lines[451], /449 {2}row 449$/);
  });
});

describe('crawl query', () => {
  test('every format, positional and named parameters', async () => {
    const sql = 'SELECT url, status FROM pages WHERE status >= ? AND host = :host ORDER BY url';
    for (const format of FORMATS) {
      const text = await capture((out) => runQuery({ db: DB, format, sql, params: ['400'], param: ['host=a.test'] }, out));
      if (format === 'table') {
        assert.match(text, /^url +status\n/);
        assert.match(text, /http:\/\/a\.test\/missing +404/);
        continue;
      }
      const rows = parse(format, text);
      assert.deepEqual(rows.map((r) => r.url), ['http://a.test/missing']);
      assert.equal(String(rows[0].status), '404');
    }
  });

  test('duplicate column names stay distinct; LIMIT takes a numeric parameter', async () => {
    const text = await capture((out) =>
      runQuery({ db: DB, format: 'json', sql: 'SELECT u.id, p.url_id AS id FROM urls u JOIN pages p ON p.url_id = u.id ORDER BY 1 LIMIT ?', params: [2] }, out));
    assert.deepEqual(JSON.parse(text), [{ id: 1, id_2: 1 }, { id: 2, id_2: 2 }]);
  });

  test('write statements are refused and the database is unchanged', async () => {
    const digest = (): string => crypto.createHash('sha256').update(fs.readFileSync(DB)).digest('hex');
    const before = digest();
    const attachFile = path.join(tmp.dir, 'attached.db');
    const writes = [
      "INSERT INTO runs (started_at, status, options) VALUES ('x', 'done', '{}')",
      'UPDATE pages SET status = 500',
      'DELETE FROM links',
      'DROP TABLE pages',
      'CREATE TABLE t (x)',
      `ATTACH DATABASE '${attachFile}' AS other`,
      `VACUUM INTO '${path.join(tmp.dir, 'copy.db')}'`,
      "INSERT INTO robots VALUES ('o', 1, 200, '') RETURNING origin",
      'PRAGMA user_version = 7',
      'BEGIN',
      'SELECT 1; DELETE FROM pages',
    ];
    for (const sql of writes) {
      await assert.rejects(capture((out) => runQuery({ db: DB, format: 'json', sql }, out)), (err: unknown) => {
        assert.ok(err instanceof BadInputError, `${sql}: ${String(err)}`);
        return true;
      });
    }
    assert.equal(digest(), before);
    assert.ok(!fs.existsSync(attachFile) && !fs.existsSync(path.join(tmp.dir, 'copy.db')));
    const plain = new Database(DB, { readonly: true });
    assert.equal((plain.prepare('SELECT COUNT(*) n FROM links').get() as { n: number }).n, 11);
    assert.equal(plain.pragma('user_version', { simple: true }), 1);
    plain.close();
  });

  test('a missing database names the file and the fix; bad SQL is bad input', async () => {
    const missing = path.join(tmp.dir, 'nope.db');
    await assert.rejects(runQuery({ db: missing, format: 'json', sql: 'SELECT 1' }, new Sink()), (err: Error) => {
      assert.ok(err instanceof BadInputError);
      assert.ok(err.message.includes(missing) && err.message.includes('--db'));
      return true;
    });
    assert.ok(!fs.existsSync(missing), 'a read-only open must not create the file');
    await assert.rejects(runQuery({ db: DB, format: 'json', sql: 'SELEC 1' }, new Sink()), BadInputError);
    await assert.rejects(runQuery({ db: DB, format: 'json', sql: 'SELECT * FROM nosuch' }, new Sink()), BadInputError);
    const empty = path.join(tmp.dir, 'empty.db');
    new Database(empty).close();
    await assert.rejects(runQuery({ db: empty, format: 'json', sql: 'SELECT 1' }, new Sink()), /no crawl schema/);
  });
});

describe('crawl stats', () => {
  test('json: named sections with the expected numbers', async () => {
    const s = JSON.parse(await capture((out) => runStats({ db: DB, format: 'json', top: 10 }, out)));
    assert.equal(s.run.id, 2);
    assert.equal(s.run.duration_s, 120);
    assert.equal(s.totals.pages, 12);
    assert.equal(s.totals.links, 11);
    assert.equal(s.totals.queued, 1);
    assert.deepEqual(s.status_classes, [
      { class: '2xx', pages: 6 }, { class: '3xx', pages: 3 }, { class: '4xx', pages: 1 }, { class: 'none', pages: 2 },
    ]);
    assert.deepEqual(s.content_types.find((r: { content_type: string }) => r.content_type === 'text/html'), { content_type: 'text/html', pages: 6, bytes: 5800 });
    assert.deepEqual(s.top_error_hosts, [{ host: 'a.test', errors: 3, pages: 11 }, { host: 'b.test', errors: 1, pages: 1 }]);
    assert.deepEqual(s.error_codes.map((r: { error_code: string }) => r.error_code).sort(),
      ['CONNECTION_REFUSED', 'HTTP_STATUS', 'REDIRECT_LOOP', 'ROBOTS_DISALLOWED']);
    // durations (ms) sorted: 2 2 3 5 10 20 30 40 50 60 -> median rank 5 = 10, p95 rank 10 = 60
    assert.deepEqual(s.durations, { fetches: 10, min: 2, median: 10, p95: 60, max: 60, avg: 22 });
    assert.deepEqual(s.depths, [{ depth: 0, pages: 2 }, { depth: 1, pages: 7 }, { depth: 2, pages: 3 }]);
  });

  test('--run 1 picks that run and the pages last fetched in it; unknown run is bad input', async () => {
    const s = JSON.parse(await capture((out) => runStats({ db: DB, format: 'json', top: 10, run: 1 }, out)));
    assert.equal(s.run.id, 1);
    assert.equal(s.totals.pages, 0);
    await assert.rejects(runStats({ db: DB, format: 'json', top: 10, run: 9 }, new Sink()), /no such run.*1\.\.2/);
  });

  test('table, jsonl and csv', async () => {
    const table = await capture((out) => runStats({ db: DB, format: 'table', top: 10 }, out));
    for (const title of ['Last run', 'Totals', 'Pages by status class', 'Errors by code', 'Fetch durations', 'Pages by depth']) {
      assert.ok(table.includes(title), title);
    }
    const jsonl = parse('jsonl', await capture((out) => runStats({ db: DB, format: 'jsonl', top: 10 }, out)));
    assert.deepEqual(jsonl.find((r) => r.section === 'status_codes' && r.status === 404), { section: 'status_codes', status: 404, pages: 1 });
    const csv = parse('csv', await capture((out) => runStats({ db: DB, format: 'csv', top: 10 }, out)));
    assert.equal(csv.find((r) => r.section === 'totals')?.pages, '12');
  });
});

describe('crawl search', () => {
  test('ranks title matches first and marks matches with [ ]', () => {
    const db = new Database(DB, { readonly: true });
    try {
      const hits = searchPages(db, 'robots');
      // "About robots" has it in the title (weighted 5x); "New" only in the text.
      assert.deepEqual(hits.map((h) => h.url), ['http://a.test/about', 'http://a.test/new']);
      assert.ok(hits[0].rank < hits[1].rank);
      assert.match(hits[1].snippet, /\[robots\]/);
      assert.deepEqual(searchPages(db, '"polite crawler"').map((h) => h.url).sort(), ['http://a.test/', 'http://a.test/copy']);
      assert.deepEqual(searchPages(db, 'sitem*').map((h) => h.url), ['http://a.test/new']);
      // /copy has the same text but "Copy" in its title.
      assert.deepEqual(searchPages(db, 'welcome NOT copy').map((h) => h.url), ['http://a.test/']);
      assert.deepEqual(searchPages(db, 'NEAR(obey delay, 6)').map((h) => h.url), ['http://a.test/about']);
      assert.equal(searchPages(db, 'welcome', 1).length, 1);
    } finally {
      db.close();
    }
  });

  test('every format; syntax errors explain the syntax', async () => {
    for (const format of FORMATS) {
      const text = await capture((out) => runSearch({ db: DB, format, terms: 'robots', limit: 20 }, out));
      if (format === 'table') assert.match(text, /About robots/);
      else assert.equal(parse(format, text)[0].url, 'http://a.test/about');
    }
    for (const terms of ['"unterminated', 'AND', 'nosuchcol:word', '   ']) {
      await assert.rejects(runSearch({ db: DB, format: 'json', terms, limit: 20 }, new Sink()), (err: Error) => {
        assert.ok(err instanceof BadInputError, terms);
        assert.match(err.message, /prefix\*/);
        return true;
      });
    }
  });
});

describe('crawl report', () => {
  test('broken-links lists every link to a failed page, robots exclusions left out', async () => {
    const rows = parse('json', await capture((out) => runReport({ db: DB, format: 'json', report: 'broken-links' }, out)));
    assert.deepEqual(rows, [
      { from_url: 'http://a.test/', to_url: 'http://a.test/loop1', anchor: 'Loop', status: 302, error_code: 'REDIRECT_LOOP' },
      { from_url: 'http://a.test/', to_url: 'http://a.test/missing', anchor: 'Missing page', status: 404, error_code: 'HTTP_STATUS' },
      { from_url: 'http://a.test/about', to_url: 'http://a.test/missing', anchor: 'Gone, "really"', status: 404, error_code: 'HTTP_STATUS' },
      { from_url: 'http://a.test/about', to_url: 'http://b.test/', anchor: 'B site', status: null, error_code: 'CONNECTION_REFUSED' },
    ]);
    const csv = parse('csv', await capture((out) => runReport({ db: DB, format: 'csv', report: 'broken-links' }, out)));
    assert.equal(csv[2].anchor, 'Gone, "really"');
  });

  test('redirects: chains with hop counts, final URL and loops', async () => {
    const rows = parse('jsonl', await capture((out) => runReport({ db: DB, format: 'jsonl', report: 'redirects' }, out)));
    const by = Object.fromEntries(rows.map((r) => [r.url, r]));
    assert.equal(rows.length, 3);
    assert.deepEqual(
      { hops: by['http://a.test/old'].hops, final: by['http://a.test/old'].final_url, st: by['http://a.test/old'].final_status, loop: by['http://a.test/old'].loop },
      { hops: 1, final: 'http://a.test/new', st: 200, loop: 0 },
    );
    assert.equal(by['http://a.test/loop1'].loop, 1);
    assert.equal(by['http://a.test/loop1'].chain, 'http://a.test/loop1 -> http://a.test/loop2 -> http://a.test/loop1');
    assert.equal(by['http://a.test/loop2'].loop, 1);
    assert.equal(by['http://a.test/loop2'].hops, 2);
  });

  test('duplicates and orphans', async () => {
    const dups = parse('json', await capture((out) => runReport({ db: DB, format: 'json', report: 'duplicates' }, out)));
    assert.deepEqual(dups, [{ content_hash: 'h1', count: 3, title: 'Copy', urls: 'http://a.test/ http://a.test/copy http://a.test/new' }]);
    const orphans = parse('json', await capture((out) => runReport({ db: DB, format: 'json', report: 'orphans' }, out)));
    assert.deepEqual(orphans.map((r) => r.url), ['http://a.test/orphan', 'http://a.test/selfonly']);
    const table = await capture((out) => runReport({ db: DB, format: 'table', report: 'orphans' }, out));
    assert.match(table, /^url +status +source/);
  });
});

describe('crawl runs and crawl changes', () => {
  test('runs: counters in every format, --last', async () => {
    for (const format of FORMATS) {
      const text = await capture((out) => runRuns({ db: DB, format, last: 0 }, out));
      if (format === 'table') { assert.match(text, /^id +started_at/); continue; }
      const rows = parse(format, text);
      assert.deepEqual(rows.map((r) => String(r.id)), ['1', '2']);
      assert.equal(String(rows[1].new), '9');
      assert.equal(String(rows[0].duration_s), '90');
    }
    const last = parse('json', await capture((out) => runRuns({ db: DB, format: 'json', last: 1 }, out)));
    assert.deepEqual(last.map((r) => r.id), [2]);
  });

  test('changes: default last run, --since run (inclusive) or date, --change filter', async () => {
    const get = async (args: { since?: string; change?: string[] }): Promise<string[]> =>
      parse('jsonl', await capture((out) => runChanges({ db: DB, format: 'jsonl', ...args }, out))).map((r) => `${r.run_id} ${r.change} ${r.url}`);
    assert.equal((await get({})).length, 6);
    assert.equal((await get({ since: '1' })).length, 9);
    assert.deepEqual(await get({ since: '2', change: ['new,gone'] }), ['2 new http://a.test/new', '2 new http://a.test/orphan', '2 gone http://a.test/selfonly']);
    assert.deepEqual(await get({ since: '2026-11-02T00:00:45Z' }), ['2 new http://a.test/orphan', '2 gone http://a.test/selfonly']);
    await assert.rejects(get({ since: 'yesterday-ish' }), BadInputError);
    await assert.rejects(get({ change: ['moved'] }), /choose from new, changed/);
    const csv = parse('csv', await capture((out) => runChanges({ db: DB, format: 'csv', since: '1', change: ['changed'] }, out)));
    assert.deepEqual(csv, [{ run_id: '2', url: 'http://a.test/about', change: 'changed', status: '200', error_code: '', fetched_at: '2026-11-02T00:00:20.000Z' }]);
  });
});

describe('crawl export', () => {
  test('--table, --where, --columns in every format; names are validated', async () => {
    for (const format of FORMATS) {
      const text = await capture((out) => runExport({ db: DB, format, table: 'pages', where: 'status >= 400', columns: ['url,status'], limit: 0 }, out));
      if (format === 'table') { assert.match(text, /missing +404/); continue; }
      assert.deepEqual(parse(format, text).map((r) => r.url), ['http://a.test/missing']);
    }
    const views = parse('jsonl', await capture((out) => runExport({ db: DB, format: 'jsonl', table: 'v_links', limit: 0 }, out)));
    assert.equal(views.length, 11);
    await assert.rejects(runExport({ db: DB, format: 'jsonl', table: 'pages; DROP TABLE pages', limit: 0 }, new Sink()), /no such table or view; choose one of/);
    await assert.rejects(runExport({ db: DB, format: 'jsonl', table: 'pages', columns: ['url,nope'], limit: 0 }, new Sink()), /no column nope/);
    await assert.rejects(runExport({ db: DB, format: 'jsonl', table: 'pages', where: 'status >>> 1', limit: 0 }, new Sink()), BadInputError);
    await assert.rejects(runExport({ db: DB, format: 'jsonl', table: 'pages', where: '1; DELETE FROM pages', limit: 0 }, new Sink()), BadInputError);
  });
});

describe('streaming, concurrency and the bare schema', () => {
  test('exporting 200,000 rows keeps memory bounded', async () => {
    const file = path.join(tmp.dir, 'big.db');
    const db = createDb(file);
    const anchor = 'a'.repeat(600);
    const insert = db.prepare('INSERT INTO links (src_id, dst_id, anchor) VALUES (?, ?, ?)');
    db.transaction(() => {
      for (let i = 0; i < 200_000; i++) insert.run(Math.floor(i / 100), i, anchor);
    })();
    db.close();
    // A sink that acknowledges asynchronously (like a pipe), counts, and samples the heap.
    let bytes = 0;
    let lines = 0;
    let peak = 0;
    const base = process.memoryUsage().heapUsed;
    const sink = new Writable({
      highWaterMark: 256 * 1024,
      write(chunk: Buffer, _enc, cb) {
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
        peak = Math.max(peak, process.memoryUsage().heapUsed - base);
        setImmediate(cb);
      },
    });
    const n = await runExport({ db: file, format: 'jsonl', table: 'links', limit: 0 }, sink);
    assert.equal(n, 200_000);
    assert.equal(lines, 200_000);
    assert.ok(bytes > 120_000_000, `wrote ${bytes} bytes`);
    // Buffering the output would need > 120 MB of heap; streaming needs a few chunks.
    assert.ok(peak < 80_000_000, `heap grew by ${Math.round(peak / 1e6)} MB while exporting ${Math.round(bytes / 1e6)} MB`);
    for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
  });

  test('queries run while another process keeps writing (WAL)', async (t) => {
    const file = path.join(tmp.dir, 'busy.db');
    createDb(file).close();
    const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
    // The writer commits 100 rows every millisecond or so, up to 60,000 rows, then exits by itself.
    const writer = spawn(process.execPath, ['-e', `
      const Database = require('better-sqlite3');
      const db = new Database(process.argv[1], { timeout: 5000 });
      db.pragma('journal_mode = WAL');
      const ins = db.prepare("INSERT INTO urls (url, host, first_seen_at) VALUES (?, 'w.test', '2026-11-01T00:00:00.000Z')");
      let i = 0;
      const batch = db.transaction(() => { for (let k = 0; k < 100; k++) ins.run('http://w.test/' + i++); });
      const tick = () => { batch(); process.stdout.write(i + '\\n'); if (i < 60000) setTimeout(tick, 1); else db.close(); };
      tick();`, file], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    t.after(() => { if (writer.exitCode === null) writer.kill(); });
    let written = 0;
    writer.stdout.on('data', (d: Buffer) => { written = Number(d.toString().trim().split('\n').pop()); });
    const exited = new Promise<number | null>((r) => writer.on('exit', (code) => r(code)));
    while (written < 1000) await new Promise((r) => setTimeout(r, 5));
    const atStart = written;
    let last = 0;
    const discard = (): Writable => new Writable({ write(_c, _e, cb) { cb(); } });
    for (let k = 0; k < 10; k++) {
      const count = JSON.parse(await capture((out) => runQuery({ db: file, format: 'json', sql: 'SELECT COUNT(*) AS n FROM urls' }, out)))[0].n as number;
      assert.ok(count >= last, 'counts never go backwards');
      last = count;
      // One export is one read transaction: a consistent snapshot of whole write transactions.
      const rows = await runExport({ db: file, format: 'jsonl', table: 'urls', columns: ['id'], limit: 0 }, discard());
      assert.ok(rows >= count && rows % 100 === 0, `export saw ${rows} rows`);
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(last > atStart, `the writer kept committing during the queries (${atStart} -> ${last})`);
    writer.kill();
    const code = await exited;
    assert.ok(code === 0 || code === null, 'the writer never failed');
  });

  test('the schema answers plain SQL without our code: views and FTS', () => {
    const db = new Database(DB, { readonly: true });
    try {
      const broken = db.prepare('SELECT from_url, to_url FROM v_broken_links ORDER BY to_url, from_url').all();
      assert.equal(broken.length, 4);
      const errors = db.prepare('SELECT url FROM v_errors ORDER BY url').pluck().all();
      assert.deepEqual(errors, ['http://a.test/loop1', 'http://a.test/missing', 'http://a.test/private', 'http://b.test/']);
      const redirects = db.prepare('SELECT url, redirect_to FROM v_redirects ORDER BY url').all();
      assert.equal(redirects.length, 3);
      const changes = db.prepare("SELECT url FROM v_changes WHERE run_id = 2 AND change = 'new' ORDER BY url").pluck().all();
      assert.deepEqual(changes, ['http://a.test/new', 'http://a.test/orphan']);
      const fts = db.prepare(`SELECT p.url, highlight(pages_fts, 1, '<', '>') AS h FROM pages_fts JOIN pages p ON p.url_id = pages_fts.rowid
                              WHERE pages_fts MATCH 'obey' ORDER BY bm25(pages_fts)`).all() as { url: string; h: string }[];
      assert.deepEqual(fts.map((r) => r.url), ['http://a.test/about']);
      assert.match(fts[0].h, /<obey>/);
    } finally {
      db.close();
    }
  });
});

describe('end to end', () => {
  test('crawl a tiny local site with the library API, then query it', async (t) => {
    const { createServer } = await import('node:http');
    const { crawl } = await import('../src/index.js');
    const html = (title: string, body: string): string => `<!doctype html><html><head><title>${title}</title></head><body>${body}</body></html>`;
    const routes: Record<string, [number, string, Record<string, string>?]> = {
      '/': [200, html('Home', '<p>Start here.</p><a href="/a">Alpha</a> <a href="/missing">Broken</a> <a href="/old">Old</a>')],
      '/a': [200, html('Alpha lighthouse', '<p>The lighthouse keeper writes about fog.</p><a href="/">Home</a>')],
      '/missing': [404, html('Not found', '<p>nothing</p>')],
      '/old': [301, '', { location: '/a' }],
      '/robots.txt': [200, 'User-agent: *\nAllow: /\n', { 'content-type': 'text/plain' }],
    };
    const server = createServer((req, res) => {
      const [status, body, headers] = routes[req.url ?? ''] ?? [404, 'no'];
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => server.close());
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const db = path.join(tmp.dir, 'e2e.db');
    const summary = await crawl({ seeds: [base + '/'], db, delay: '0ms', progress: false, quiet: true, retries: 0 });
    assert.equal(summary.status, 'done');

    const broken = parse('json', await capture((out) => runReport({ db, format: 'json', report: 'broken-links' }, out)));
    assert.deepEqual(broken.map((r) => [r.from_url, r.to_url, r.anchor, r.status]), [[base + '/', base + '/missing', 'Broken', 404]]);
    const redirects = parse('json', await capture((out) => runReport({ db, format: 'json', report: 'redirects' }, out)));
    assert.deepEqual(redirects.map((r) => [r.url, r.hops, r.final_url, r.loop]), [[base + '/old', 1, base + '/a', 0]]);
    const hits = parse('json', await capture((out) => runSearch({ db, format: 'json', terms: 'lighthouse', limit: 5 }, out)));
    assert.equal(hits[0].url, base + '/a');
    assert.match(String(hits[0].snippet), /\[lighthouse\]/i);
    const runs = parse('json', await capture((out) => runRuns({ db, format: 'json', last: 0 }, out)));
    assert.equal(runs.length, 1);
    assert.equal(runs[0].status, 'done');
    const stats = JSON.parse(await capture((out) => runStats({ db, format: 'json', top: 10 }, out)));
    assert.equal(stats.run.id, runs[0].id);
    assert.ok(stats.status_codes.some((r: { status: number }) => r.status === 404));
    const changes = parse('json', await capture((out) => runChanges({ db, format: 'json', change: ['new'] }, out)));
    assert.ok(changes.some((r) => r.url === base + '/a'));
  });
});
