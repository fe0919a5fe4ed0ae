/**
 * The HTML report as one self-contained file: styles, the Chart.js bundle, the chart data and the
 * script are all inline, so it opens from disk or an e-mail attachment with no network.
 *
 * URLs, titles, anchors and hosts come from crawled pages, which anyone can write: every string
 * from the database goes through {@link escapeHtml} (tables) or {@link jsonForScript} (chart data),
 * links are made only for http(s) URLs, and a Content-Security-Policy allows just the page's own
 * two scripts (by hash) and no network at all, as a second guard should anything slip through.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { buildCharts, type ChartSpec } from './charts.js';
import { CLIENT_JS } from './client.js';
import { bytesLabel, type ReportData, type TableData } from './data.js';

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * JSON that is safe inside a <script> element: `<`, `>` and `&` become \u escapes (so no
 * `</script>` or `<!--` can end or change the block), and so do U+2028/U+2029 (line terminators
 * in older JavaScript). JSON.parse reads the escapes back to the same characters.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The Chart.js UMD bundle (self-contained: its one dependency is built in), read from node_modules. */
export function chartLibrary(): string {
  const require = createRequire(import.meta.url);
  // chart.js exports only its module entry points; the UMD bundle sits beside the CommonJS one.
  const file = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.js');
  const js = fs.readFileSync(file, 'utf8');
  // Inlined as the body of a <script>: it must not contain the text that would end that element.
  if (/<\/script/i.test(js)) throw new Error(`${file} contains "</script": it cannot be inlined`);
  return js;
}

/** A CSP source for an inline script's exact text. */
function scriptHash(js: string): string {
  return `'sha256-${createHash('sha256').update(js, 'utf8').digest('base64')}'`;
}

const num = (n: number): string => n.toLocaleString('en-US');

/** What each table column shows and how. */
const COLUMNS: Record<string, { label: string; kind?: 'url' | 'number' | 'bytes' | 'flag' | 'long' }> = {
  from_url: { label: 'page', kind: 'url' }, to_url: { label: 'broken link', kind: 'url' }, anchor: { label: 'anchor text' },
  url: { label: 'URL', kind: 'url' }, final_url: { label: 'final URL', kind: 'url' }, status: { label: 'status', kind: 'number' },
  final_status: { label: 'final status', kind: 'number' }, hops: { label: 'hops', kind: 'number' }, loop: { label: 'loop', kind: 'flag' },
  duration_ms: { label: 'time (ms)', kind: 'number' }, ttfb_ms: { label: 'headers (ms)', kind: 'number' }, bytes: { label: 'size', kind: 'bytes' },
  chain: { label: 'chain', kind: 'long' }, error_code: { label: 'error' }, final_error: { label: 'final error' },
  content_type: { label: 'content type' }, title: { label: 'title' },
};

/** One table cell; numbers carry their raw value in data-v for sorting. */
function cell(column: string, value: unknown): string {
  const kind = COLUMNS[column]?.kind;
  if (value === null || value === undefined) return kind === 'number' || kind === 'bytes' ? '<td data-v=""></td>' : '<td></td>';
  if (kind === 'number') return `<td class="n" data-v="${escapeHtml(value)}">${escapeHtml(typeof value === 'number' ? num(value) : value)}</td>`;
  if (kind === 'bytes') return `<td class="n" data-v="${escapeHtml(value)}" title="${escapeHtml(value)} bytes">${escapeHtml(bytesLabel(Number(value)))}</td>`;
  if (kind === 'flag') return `<td>${value ? 'loop' : ''}</td>`;
  const text = escapeHtml(value);
  if (kind === 'url' && /^https?:\/\//i.test(String(value))) return `<td class="u"><a href="${text}" rel="noreferrer noopener">${text}</a></td>`;
  return `<td${kind === 'url' || kind === 'long' ? ' class="u"' : ''}>${text}</td>`;
}

/** A sortable table with a note when rows were capped. */
function table(id: string, title: string, about: string, t: TableData, full: string): string {
  const head = `<h2 id="${id}">${escapeHtml(title)} <span class="count">${num(t.total)}</span></h2><p class="about">${about}</p>`;
  if (t.total === 0) return `<section class="table">${head}<p class="none">None.</p></section>`;
  const capped = t.rows.length < t.total
    ? `<p class="cap">Showing the first ${num(t.rows.length)} of ${num(t.total)} rows; <code>${escapeHtml(full)}</code> lists them all.</p>` : '';
  const ths = t.columns.map((c) => `<th scope="col"><button type="button">${escapeHtml(COLUMNS[c]?.label ?? c)}</button></th>`).join('');
  const rows = t.rows.map((r) => `<tr>${r.map((v, i) => cell(t.columns[i], v)).join('')}</tr>`).join('\n');
  return `<section class="table">${head}${capped}<div class="scroll"><table class="sortable"><thead><tr>${ths}</tr></thead><tbody>\n${rows}\n</tbody></table></div></section>`;
}

/** A chart card: a canvas sized for its bars, or a "none" line when there is nothing to draw. */
function chartCard(c: ChartSpec): string {
  const bars = c.horizontal ? c.labels.length * (c.stacked ? 26 : 24) + 70 : 0;
  const height = Math.max(c.type === 'doughnut' ? 240 : 260, bars);
  const body = c.empty
    ? '<p class="none">None.</p>'
    : `<div class="plot" style="height:${height}px"><canvas data-chart="${escapeHtml(c.id)}" role="img" aria-label="${escapeHtml(c.title)}"></canvas></div>`;
  const wide = c.id === 'history' ? ' wide' : '';
  return `<figure class="chart${wide}"><figcaption>${escapeHtml(c.title)}</figcaption>${body}${c.note ? `<p class="note">${escapeHtml(c.note)}</p>` : ''}</figure>`;
}

/** The figures at the top of the page. */
function cards(d: ReportData): string {
  const s = d.summary!;
  const share = s.pages > 0 ? `${((100 * s.errors) / s.pages).toFixed(1)}%` : '';
  const items: [string, string, string?][] = [
    ['pages', num(s.pages), `${num(s.hosts)} host${s.hosts === 1 ? '' : 's'}`],
    ['failed pages', num(s.errors), share ? `${share} of pages` : undefined],
    ['broken links', num(s.brokenLinks), `of ${num(s.links)} links`],
    ['redirects', num(s.redirects)],
    ['median response', s.medianMs === null ? '–' : `${num(s.medianMs)} ms`, s.p95Ms === null ? undefined : `p95 ${num(s.p95Ms)} ms`],
    ['downloaded', bytesLabel(s.bytes)],
    ['runs', num(s.runs), `last: #${s.lastRun.id} ${s.lastRun.status}`],
  ];
  return `<section class="cards">${items
    .map(([k, v, sub]) => `<div class="card"><div class="v">${escapeHtml(v)}</div><div class="k">${escapeHtml(k)}</div>${sub ? `<div class="s">${escapeHtml(sub)}</div>` : ''}</div>`)
    .join('')}</section>`;
}

const STYLE = `
:root{--fg:#1a202c;--muted:#5a6678;--line:#e2e8f0;--bg:#f5f7fa;--card:#fff;--accent:#3b7dd8}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg)}
header{padding:20px 28px 8px}h1{margin:0;font-size:22px}header p{margin:4px 0 0;color:var(--muted)}
main{padding:8px 28px 40px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin:8px 0 18px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px}
.card .v{font-size:22px;font-weight:600}.card .k{color:var(--muted)}.card .s{color:var(--muted);font-size:12px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:14px}
.chart{margin:0;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px}
.chart.wide{grid-column:1/-1}
figcaption{font-weight:600;margin-bottom:6px}.plot{position:relative}
.note,.cap,.about{color:var(--muted);font-size:12px;margin:6px 0 0}.none{color:var(--muted)}
.table{margin-top:26px}h2{font-size:17px;margin:0}h2 .count{color:var(--muted);font-weight:400}
.scroll{max-height:520px;overflow:auto;margin-top:8px;border:1px solid var(--line);border-radius:8px;background:var(--card)}
table{border-collapse:collapse;width:100%;font-size:13px}
th{position:sticky;top:0;background:#edf2f7;text-align:left;padding:0;border-bottom:1px solid var(--line)}
th button{all:unset;cursor:pointer;display:block;padding:6px 10px;font-weight:600;white-space:nowrap}
th button:focus-visible{outline:2px solid var(--accent)}
th[aria-sort=ascending] button::after{content:" ▲"}th[aria-sort=descending] button::after{content:" ▼"}
td{padding:5px 10px;border-bottom:1px solid var(--line);vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}td.u{overflow-wrap:anywhere;min-width:14em}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
.empty{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:20px 24px;max-width:760px}
code{background:#edf2f7;padding:1px 4px;border-radius:4px}
`;

/** Renders the whole report page. `chartJs` is the Chart.js bundle to inline (see {@link chartLibrary}). */
export function renderReport(d: ReportData, chartJs: string = chartLibrary()): string {
  const charts = buildCharts(d);
  const db = escapeHtml(d.db);
  const last = d.summary?.lastRun;
  const meta = `${db} · generated ${escapeHtml(d.generatedAt.slice(0, 19).replace('T', ' '))} UTC`
    + (last ? ` · last run #${last.id} ${escapeHtml(last.status)} (${escapeHtml(last.startedAt.slice(0, 16).replace('T', ' '))}${last.durationS === null ? '' : `, ${escapeHtml(last.durationS)} s`})` : '');
  const q = (s: string): string => JSON.stringify(s);
  const body = d.summary === null
    ? `<div class="empty"><h2>No crawl runs yet</h2><p>This database has no runs, so there is nothing to report.
       Crawl first, then build the report again:</p><p><code>crawl --urls seeds.txt --db ${escapeHtml(q(d.db))}</code><br>
       <code>crawl report html --db ${escapeHtml(q(d.db))}</code></p></div>`
    : cards(d)
      + `<section class="charts">${charts.map(chartCard).join('\n')}</section>`
      + table('broken-links', 'Broken links', 'Links whose target failed: HTTP status ≥ 400 or a fetch error (robots.txt refusals excluded).', d.tables.brokenLinks, 'crawl report broken-links')
      + table('redirects', 'Redirect chains', 'Every page that redirects, its chain followed to the end; loops first, then the longest chains.', d.tables.redirects, 'crawl report redirects')
      + table('slowest', 'Slowest pages', 'Fetch time to the end of the body, and to the response headers.', d.tables.slowest,
        'crawl query "SELECT url, duration_ms FROM pages ORDER BY duration_ms DESC"')
      + table('largest', 'Largest pages', 'Decompressed body size.', d.tables.largest, 'crawl query "SELECT url, bytes FROM pages ORDER BY bytes DESC"');
  const scripts = d.summary === null ? '' : `<script type="application/json" id="report-charts">${jsonForScript(charts.filter((c) => !c.empty))}</script>
<script>${chartJs}</script>
<script>${CLIENT_JS}</script>`;
  const csp = `default-src 'none'; script-src ${d.summary === null ? "'none'" : `${scriptHash(chartJs)} ${scriptHash(CLIENT_JS)}`}; style-src 'unsafe-inline'; img-src data:`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="generator" content="crawl report html">
<title>Crawl report: ${db}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>Crawl report</h1><p>${meta}</p></header>
<main>
${body}
</main>
${scripts}
</body>
</html>
`;
}
