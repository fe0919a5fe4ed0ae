/** `crawl report html` without a browser: the data it reads, escaping, row caps, an empty database, the CLI and the README line. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { collectReport, REPORT_LIMITS, type ReportData } from '../src/report/data.js';
import { SqliteReader } from '../src/store/sqlite/reader.js';
import { buildCharts } from '../src/report/charts.js';
import { CLIENT_JS } from '../src/report/client.js';
import { chartLibrary, escapeHtml, jsonForScript, renderReport } from '../src/report/html.js';
import { REPORT_SQL } from '../src/store/sqlite/report-sql.js';
import { runReport } from '../src/cli/commands/report.js';
import { ROOT, runCli } from './helpers/cli.js';
import { buildFixture, createDb, Sink, tempDir } from './query-fixture.js';

const tmp = tempDir();
const DB = path.join(tmp.dir, 'crawl.db');
before(() => buildFixture(DB));
after(() => tmp.cleanup());

/** Reads the report data of `file` (read-only). */
async function data(file: string): Promise<ReportData> {
  const r = SqliteReader.open(file);
  try { return await collectReport(r.reportSql(), file, new Date('2026-11-03T00:00:00Z')); } finally { await r.close(); }
}

/** The broken-links report returns exactly the rows of the v_broken_links view, in its order. */
function assertBrokenLinksMatchView(file: string): void {
  const db = new Database(file, { readonly: true });
  const report = db.prepare(REPORT_SQL['broken-links']).raw(true).all();
  const view = db.prepare('SELECT from_url, to_url, anchor, to_status, to_error FROM v_broken_links ORDER BY to_url, from_url').raw(true).all();
  db.close();
  assert.ok(report.length > 0);
  assert.deepEqual(report, view);
}

/** The parsed JSON chart block of a rendered page. */
function chartJson(html: string): unknown {
  const m = /<script type="application\/json" id="report-charts">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m, 'chart data block present');
  return JSON.parse(m[1]);
}

describe('report data', () => {
  test('summary, charts and tables agree with the fixture', async () => {
    assertBrokenLinksMatchView(DB);
    const d = (await data(DB));
    assert.ok(d.summary);
    assert.equal(d.summary.pages, 12);
    assert.equal(d.summary.runs, 2);
    assert.equal(d.summary.lastRun.id, 2);
    assert.equal(d.summary.hosts, 2);
    const db = new Database(DB, { readonly: true });
    assert.equal(d.summary.brokenLinks, (db.prepare(`SELECT COUNT(*) FROM (${REPORT_SQL['broken-links']})`).pluck().get() as number));
    assert.equal(d.summary.errors, db.prepare('SELECT COUNT(*) FROM pages WHERE error_code IS NOT NULL OR status >= 400').pluck().get());
    db.close();
    assert.deepEqual(d.statusClasses, [{ label: '2xx', value: 6 }, { label: '3xx', value: 3 }, { label: '4xx', value: 1 }, { label: 'none', value: 2 }]);
    // Every page with a duration falls in exactly one bucket; 10 of them here, all under 100 ms.
    assert.equal(d.durations.reduce((n, c) => n + c.value, 0), 10);
    assert.deepEqual(d.durations.slice(0, 3).map((c) => [c.label, c.value]), [['< 50 ms', 8], ['50–100 ms', 2], ['100–200 ms', 0]]);
    assert.equal(d.durations.at(-1)!.label, '≥ 10 s');
    assert.deepEqual(d.hosts, { labels: ['a.test', 'b.test'], ok: [8, 0], errors: [3, 1], more: 0 });
    assert.deepEqual(d.depths, [{ label: '0', value: 2 }, { label: '1', value: 7 }, { label: '2', value: 3 }]);
    assert.deepEqual(d.contentTypes, [{ label: 'text/html', pages: 6, bytes: 5800 }]);
    assert.deepEqual(d.history.runs.map((r) => r.id), [1, 2]);
    assert.deepEqual(d.history.changes.new, [3, 2]);
    assert.deepEqual([d.history.changes.changed[1], d.history.changes.unchanged[1], d.history.changes.gone[1], d.history.changes.error[1]], [1, 1, 1, 1]);
    assert.deepEqual(d.tables.slowest.rows.map((r) => r[2]), [60, 50, 40, 30, 20, 10, 5, 3, 2, 2]);
    assert.deepEqual(d.tables.largest.rows[0].slice(0, 3), ['http://a.test/about', 200, 2000]);
    assert.equal(d.tables.redirects.total, 3);
    const charts = buildCharts(d);
    assert.deepEqual(charts.filter((c) => c.empty).map((c) => c.id), []);
    assert.deepEqual(charts.find((c) => c.id === 'history')!.datasets.map((s) => s.label), ['new', 'changed', 'unchanged', 'gone', 'error']);
  });
});

describe('escaping', () => {
  test('escapeHtml and jsonForScript', () => {
    assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;&#38;&#60;/a&#62;');
    assert.equal(escapeHtml(null), '');
    const tricky = { s: '</script><!-- \u2028\u2029 & <b>' };
    const json = jsonForScript(tricky);
    assert.ok(!/[<>&\u2028\u2029]/.test(json), json);
    assert.deepEqual(JSON.parse(json), tricky);
  });

  test('strings from the database never become markup, script or links to other schemes', async () => {
    const file = path.join(tmp.dir, 'evil.db');
    const db = createDb(file);
    const evil = '</script><script>alert(1)</script>\u2028<img src=x onerror=alert(2)>';
    db.prepare(`INSERT INTO runs (id, started_at, status, options) VALUES (1, '2026-11-01T00:00:00.000Z', 'done', '{}')`).run();
    const host = `h"><script>alert(3)</script>`;
    const urls = [`http://${host}/a`, 'javascript:alert(4)', `http://x.test/"onmouseover="alert(5)`];
    urls.forEach((u, i) => db.prepare('INSERT INTO urls (id, url, host, first_seen_at, first_seen_run) VALUES (?, ?, ?, ?, 1)').run(i + 1, u, host, 't'));
    const page = db.prepare(`INSERT INTO pages (url_id, url, host, depth, source, run_id, fetched_at, first_fetched_at, status, content_type, bytes, duration_ms, error_code, title)
                             VALUES (?, ?, ?, 0, 'seed', 1, 't', 't', ?, ?, 100, 5, ?, ?)`);
    page.run(1, urls[0], host, 200, `text/html; x=${evil}`, null, evil);
    page.run(2, urls[1], host, 404, 'text/html', evil, evil);
    page.run(3, urls[2], host, 500, 'text/html', 'HTTP_STATUS', evil);
    db.prepare('INSERT INTO links (src_id, dst_id, anchor) VALUES (1, 2, ?), (1, 3, ?)').run(evil, evil);
    db.prepare("INSERT INTO page_runs (run_id, url_id, change, status, fetched_at) VALUES (1, 1, ?, 200, 't')").run(evil);
    db.close();
    assertBrokenLinksMatchView(file);

    const html = renderReport((await data(file)), '/* chart.js */');
    assert.equal(html.match(/<script/g)!.length, 3, 'only the data block, Chart.js and the page script');
    assert.equal(html.match(/<\/script>/g)!.length, 3);
    assert.ok(!html.includes('<img'), 'no <img> element');
    assert.ok(!/href="javascript:/i.test(html), 'no javascript: link');
    assert.ok(!/ onmouseover=/.test(html), 'no attribute breaks out of its quotes');
    assert.ok(html.includes(escapeHtml(evil)), 'the title shows as text');
    assert.ok(html.includes(`<a href="http://x.test/&#34;onmouseover=&#34;alert(5)"`), 'quotes in an http URL are escaped inside href');
    // The chart data carries the exact strings (the U+2028 too) back through JSON.parse.
    const charts = chartJson(html) as { id: string; labels: string[]; datasets: { label: string }[] }[];
    assert.deepEqual(charts.find((c) => c.id === 'hosts')!.labels, [host]);
    assert.ok(charts.find((c) => c.id === 'error-codes')!.labels.includes(evil));
    assert.ok(charts.find((c) => c.id === 'history')!.datasets.some((s) => s.label === evil));
  });

  test('the page is self-contained and its CSP admits exactly its two scripts', async () => {
    const js = chartLibrary();
    assert.match(js.slice(0, 200), /Chart\.js v4/);
    const html = renderReport((await data(DB)), js);
    assert.ok(html.includes(js), 'Chart.js inlined');
    assert.ok(!/<script[^>]*\ssrc=|<link\s|@import|url\(/i.test(html.replace(js, '')), 'nothing loaded from elsewhere');
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)![1];
    assert.match(csp, /default-src 'none'/);
    for (const s of [js, CLIENT_JS]) assert.ok(csp.includes(`'sha256-${createHash('sha256').update(s).digest('base64')}'`));
  });
});

describe('limits and empty databases', () => {
  test('tables, hosts and runs are capped, and the page says so', async () => {
    const file = path.join(tmp.dir, 'big.db');
    const db = createDb(file);
    const runs = REPORT_LIMITS.runs + 5;
    const n = REPORT_LIMITS.rows + 100;
    db.transaction(() => {
      const run = db.prepare(`INSERT INTO runs (id, started_at, status, options) VALUES (?, '2026-11-01T00:00:00.000Z', 'done', '{}')`);
      for (let r = 1; r <= runs; r++) run.run(r);
      const url = db.prepare("INSERT INTO urls (id, url, host, first_seen_at, first_seen_run) VALUES (?, ?, ?, 't', 1)");
      const page = db.prepare(`INSERT INTO pages (url_id, url, host, depth, source, run_id, fetched_at, first_fetched_at, status, bytes, duration_ms)
                               VALUES (?, ?, ?, ?, 'link', 1, 't', 't', 404, ?, ?)`);
      url.run(1, 'http://hub.test/', 'hub.test');
      for (let i = 2; i <= n + 1; i++) {
        const host = `h${i % (REPORT_LIMITS.hosts + 7)}.test`;
        url.run(i, `http://${host}/p${i}`, host);
        page.run(i, `http://${host}/p${i}`, host, i % 40, i * 10, i);
        db.prepare('INSERT INTO links (src_id, dst_id, anchor) VALUES (1, ?, ?)').run(i, `p${i}`);
      }
    })();
    db.close();
    const d = (await data(file));
    assert.equal(d.tables.brokenLinks.rows.length, REPORT_LIMITS.rows);
    assert.equal(d.tables.brokenLinks.total, n);
    assert.equal(d.tables.slowest.rows[0][2], n + 1, 'the slowest first');
    assert.equal(d.hosts.labels.length, REPORT_LIMITS.hosts);
    assert.equal(d.hosts.more, 7);
    assert.equal(d.history.runs.length, REPORT_LIMITS.runs);
    assert.equal(d.history.runs.at(-1)!.id, runs, 'the latest runs');
    assert.equal(d.depths.at(-1)!.label, `${REPORT_LIMITS.depth}+`);
    const html = renderReport(d, '');
    assert.ok(html.includes(`Showing the first 500 of ${n.toLocaleString('en-US')} rows; <code>crawl report broken-links</code> lists them all.`));
    assert.ok(html.includes(`Showing the top ${REPORT_LIMITS.hosts} hosts by pages; 7 more not shown.`));
    assert.ok(html.includes(`Showing the last ${REPORT_LIMITS.runs} runs; 5 older runs not shown.`));
    // Three tables (no redirects here): a header row each and the capped body rows.
    assert.equal(html.match(/<tr>/g)!.length, 3 + 3 * REPORT_LIMITS.rows);
  });

  test('a database without runs gets a page that says to crawl first, and no scripts', async () => {
    const file = path.join(tmp.dir, 'empty.db');
    createDb(file).close();
    const out = path.join(tmp.dir, 'empty.html');
    const r = await runCli(['report', 'html', '--db', file, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^wrote .*empty\.html \(\d+(\.\d)? KB\): the database has no runs yet/);
    const html = fs.readFileSync(out, 'utf8');
    assert.ok(html.includes('No crawl runs yet'));
    assert.ok(html.includes(`crawl --urls seeds.txt --db &#34;${escapeHtml(file)}&#34;`));
    assert.ok(!html.includes('<script'));
    assert.match(html, /script-src 'none'/);
  });

  test('a run that fetched nothing: every chart and table says "None."', async () => {
    const file = path.join(tmp.dir, 'run-only.db');
    const db = createDb(file);
    db.prepare(`INSERT INTO runs (id, started_at, status, options) VALUES (1, '2026-11-01T00:00:00.000Z', 'interrupted', '{}')`).run();
    db.close();
    const d = (await data(file));
    assert.equal(d.summary?.pages, 0);
    assert.equal(d.summary?.medianMs, null);
    assert.ok(buildCharts(d).every((c) => c.empty));
    const html = renderReport(d, '');
    assert.equal(html.match(/<p class="none">None\.<\/p>/g)!.length, 9 + 4);
    assert.deepEqual(chartJson(html), []);
  });
});

describe('crawl report html (CLI)', () => {
  test('writes the file and says where; --out - writes to stdout; a bad --out is exit 2', async () => {
    const out = path.join(tmp.dir, 'r.html');
    const r = await runCli(['report', 'html', '--db', DB, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `wrote ${out} (${r.stdout.match(/\(([^)]+)\)/)![1]}): 12 pages, 2 runs, 4 broken links\n`);
    assert.ok(fs.readFileSync(out, 'utf8').startsWith('<!doctype html>'));

    const sink = new Sink();
    await runReport({ report: 'html', db: DB, format: 'table', out: '-' }, sink);
    assert.ok(sink.text().startsWith('<!doctype html>') && sink.text().endsWith('</html>\n'));

    const bad = await runCli(['report', 'html', '--db', DB, '--out', path.join(tmp.dir, 'no', 'such', 'dir', 'r.html')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /cannot write --out .*does its directory exist/);
    const missing = await runCli(['report', 'html', '--db', path.join(tmp.dir, 'nope.db')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /does not exist/);
  });

  test('the README examples run as printed', async () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const lines = [...readme.matchAll(/^crawl (report html [^#\n]*?)\s*(#.*)?$/gm)].map((m) => m[1]);
    assert.ok(lines.length >= 2, 'README shows crawl report html command lines');
    for (const line of lines) {
      const args = line.split(/\s+/);
      const flag = (name: string, dflt: string): string => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
      const db = flag('--db', 'data/crawl.db');
      const out = flag('--out', 'report.html');
      const cwd = fs.mkdtempSync(path.join(tmp.dir, 'readme-'));
      fs.mkdirSync(path.join(cwd, path.dirname(db)), { recursive: true });
      fs.copyFileSync(DB, path.join(cwd, db));
      const r = await runCli(args, { cwd });
      assert.equal(r.code, 0, `${line}: ${r.stderr}`);
      assert.ok(fs.statSync(path.join(cwd, out)).size > 100_000, `${line}: the report (Chart.js inlined) is where the README says`);
      assert.ok(r.stdout.includes(path.join(cwd, out)), r.stdout);
    }
  });
});
