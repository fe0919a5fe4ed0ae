/**
 * `npm run bench [-- --quick | --full] [options]`: our crawler side by side with Crawlee's
 * CheerioCrawler on the same generated site (a fresh instance per run), both as child processes
 * measured from the outside (bench/measure.ts) and checked by the server (duplicate fetches,
 * missed pages). Prints one markdown table and writes it to bench/results/<date>-<mode>.md.
 * See bench/README.md.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startSite, type SiteOptions } from '../src/demo/site.js';
import { measure, type RunResult } from './measure.js';
import Database from 'better-sqlite3';
import { renderTable, machineDescription, type Row } from './report.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CRAWL_BIN = path.join(ROOT, 'bin', 'crawl.js');
const CRAWLEE_RUNNER = path.join(ROOT, 'bench', 'crawlee-runner.mjs');

/** Our crawler's flags for every bench run (kept in one place: the CLI may still change). */
export const OUR_FLAGS = (concurrency: number): string[] => [
  '--delay', '0ms', '--per-host', String(concurrency), '--concurrency', String(concurrency),
  '--quiet', '--no-progress', '--ignore-robots', '--log-format', 'json',
];

/** ours-warc: ours with --warc into the run's temp dir (the cost of archiving). */
type Tool = 'ours' | 'ours-warc' | 'crawlee';

/** One bench scenario: the site to generate and which tools run on it. */
interface Scenario {
  name: string;
  site: SiteOptions;
  /** Stop after this many pages (both tools); when set, "missed" is not meaningful. */
  maxPages?: number;
  tools: Tool[];
}

function scenarios(mode: 'quick' | 'full', a: Args): Scenario[] {
  const base = { pageBytes: a.pageBytes, fanOut: a.fanOut, extras: a.extras };
  const n = a.pages ?? (mode === 'quick' ? 1_000 : 10_000);
  const k = (x: number) => (x >= 1000 ? `${x / 1000}k` : String(x));
  const list: Scenario[] = [
    { name: `${k(n)} pages, 0 ms`, site: { ...base, pages: n }, tools: ['ours', 'crawlee'] },
    { name: `${k(n)} pages, ${a.latency} ms latency`, site: { ...base, pages: n, latencyMs: a.latency }, tools: ['ours', 'crawlee'] },
    // Real sites answer a scattered 500 now and then: 1% of pages fail their first request.
    { name: `${k(n)} pages, 1% transient 500s`, site: { ...base, pages: n, transientErrorRate: 0.01 }, tools: ['ours', 'crawlee'] },
  ];
  if (mode === 'full') list.push({ name: '100k pages, 0 ms', site: { ...base, pages: 100_000 }, tools: ['ours'] });
  // Huge frontier: every fetched page links to 50 never-fetched pages, so a BFS crawl capped at
  // maxPages discovers ~50 x maxPages distinct URLs (1M for the full run).
  const cap = mode === 'full' ? 20_000 : 1_000;
  list.push({ name: `frontier ${k(cap * 50)} URLs, max ${k(cap)}`, site: { ...base, pages: cap * 50 + 1, fanOut: 50 }, maxPages: cap, tools: ['ours', 'crawlee'] });
  return list.filter((s) => !a.only || s.name.includes(a.only)).map((s) => ({ ...s, tools: [...s.tools, ...(s.tools.includes('ours') ? ['ours-warc' as const] : [])].filter((t) => a.tools.includes(t)) }));
}

interface Args {
  mode: 'quick' | 'full';
  pages?: number;
  pageBytes: number;
  fanOut: number;
  latency: number;
  concurrency: number;
  tools: Tool[];
  extras: boolean;
  /** Crawlee without writing its storage to disk (CRAWLEE_PERSIST_STORAGE=false). */
  crawleeMemory: boolean;
  only?: string;
  timeoutMin: number;
  /** The crawl launcher measured as "ours" (another checkout's bin/crawl.js for an A/B run). */
  bin: string;
  out: string;
}

function parse(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' }, full: { type: 'boolean' },
      pages: { type: 'string' }, 'page-bytes': { type: 'string', default: '44000' }, 'fan-out': { type: 'string', default: '10' },
      latency: { type: 'string', default: '20' }, concurrency: { type: 'string', default: '64' },
      tools: { type: 'string', default: 'ours,crawlee' }, extras: { type: 'boolean', default: false },
      'crawlee-memory': { type: 'boolean', default: false },
      scenario: { type: 'string' }, 'timeout-min': { type: 'string', default: '30' }, bin: { type: 'string', default: CRAWL_BIN },
      out: { type: 'string', default: path.join(ROOT, 'bench', 'results') }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(readFileSync(path.join(ROOT, 'bench', 'README.md'), 'utf8'));
    process.exit(0);
  }
  const num = (name: string, v: string | undefined, min: number) => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < min) throw new Error(`--${name} must be an integer >= ${min}, got "${v}"`);
    return x;
  };
  const tools = values.tools!.split(',').map((t) => t.trim()).filter(Boolean);
  for (const t of tools) if (t !== 'ours' && t !== 'ours-warc' && t !== 'crawlee') throw new Error(`--tools: unknown tool "${t}" (use ours, ours-warc, crawlee)`);
  return {
    mode: values.full ? 'full' : 'quick',
    pages: values.pages === undefined ? undefined : num('pages', values.pages, 1),
    pageBytes: num('page-bytes', values['page-bytes'], 256), fanOut: num('fan-out', values['fan-out'], 2),
    latency: num('latency', values.latency, 0), concurrency: num('concurrency', values.concurrency, 1),
    tools: tools as Tool[], extras: values.extras!, crawleeMemory: values['crawlee-memory']!, only: values.scenario,
    timeoutMin: num('timeout-min', values['timeout-min'], 1), out: values.out!, bin: path.resolve(values.bin!),
  };
}

/** The last JSON line with event "summary" in a stream, if any. */
function summaryLine(text: string): Record<string, unknown> | undefined {
  const lines = text.split('\n');
  for (let k = lines.length - 1; k >= 0; k--) {
    const l = lines[k].trim();
    if (!l.startsWith('{') || !l.includes('"summary"')) continue;
    try {
      const o = JSON.parse(l) as Record<string, unknown>;
      if (o.event === 'summary') return o;
    } catch { /* not JSON */ }
  }
  return undefined;
}

async function runOne(sc: Scenario, tool: Tool, a: Args): Promise<Row> {
  const site = await startSite(sc.site);
  const tmp = mkdtempSync(path.join(os.tmpdir(), `crawl-bench-${tool}-`));
  const loadAtStart = os.loadavg()[0];
  try {
    const seeds = path.join(tmp, 'seeds.txt');
    writeFileSync(seeds, `${site.url}/\n`);
    const max = sc.maxPages ? ['--max-pages', String(sc.maxPages)] : [];
    let r: RunResult;
    if (tool === 'ours' || tool === 'ours-warc') {
      const warc = tool === 'ours-warc' ? ['--warc', path.join(tmp, 'warc')] : [];
      r = await measure(a.bin, ['--urls', seeds, '--db', path.join(tmp, 'bench.db'), ...OUR_FLAGS(a.concurrency), ...warc, ...max],
        { cwd: ROOT, timeoutMs: a.timeoutMin * 60_000 });
    } else {
      const storage = path.join(tmp, 'crawlee-storage');
      r = await measure(process.execPath, [CRAWLEE_RUNNER, '--start', `${site.url}/`, '--concurrency', String(a.concurrency),
        ...(sc.maxPages ? ['--max-requests', String(sc.maxPages)] : [])],
      { cwd: ROOT, timeoutMs: a.timeoutMin * 60_000, env: { ...process.env, CRAWLEE_STORAGE_DIR: storage, CRAWLEE_PURGE_ON_START: '1',
        ...(a.crawleeMemory ? { CRAWLEE_PERSIST_STORAGE: 'false' } : {}) } });
    }
    // The server's view: distinct HTML pages fetched, extra fetches of the same page, pages never fetched.
    let fetched = 0;
    let duplicates = 0;
    for (const [p, count] of site.requests) {
      if (!/^\/(p\/\d+)?$/.test(p)) continue;
      fetched++;
      duplicates += count - 1 - (site.transientPaths.has(p) ? 1 : 0); // the retry of a 500 is not a duplicate
    }
    const missed = sc.maxPages ? undefined : site.reachablePaths().filter((p) => !site.requests.has(p)).length;
    const urlsKnown = tool !== 'crawlee' ? countUrls(path.join(tmp, 'bench.db')) : undefined;
    const summary = summaryLine(tool !== 'crawlee' ? r.stderr : r.stdout);
    const warcBytes = tool === 'ours-warc' ? dirBytes(path.join(tmp, 'warc')) : undefined;
    const ok = r.exitCode === 0 && !r.timedOut;
    if (!ok) {
      const why = r.timedOut ? 'timed out' : `exit ${r.exitCode ?? r.signal}`;
      process.stderr.write(`bench: ${tool} on "${sc.name}" ${why}; last output:\n${(r.stderr || r.stdout).slice(-2000)}\n`);
    }
    return {
      scenario: sc.name, tool, ok, status: r.timedOut ? 'timeout' : r.exitCode === 0 ? 'ok' : `exit ${r.exitCode ?? r.signal}`,
      pages: fetched, wallS: r.wallMs / 1000, cpuS: r.cpuS, peakRssMb: r.peakRssMb, duplicates, missed,
      urlsKnown, elu: num(summary?.event_loop_utilization), workerUtil: num(summary?.worker_utilization),
      writerUtil: num(summary?.writer_utilization), load: [loadAtStart, os.loadavg()[0]], longestGapS: site.longestGapMs / 1000, warcBytes,
    };
  } finally {
    await site.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** URLs our crawler recorded (fetched or only discovered), from its database; undefined if unreadable. */
function countUrls(dbFile: string): number | undefined {
  try {
    const db = new Database(dbFile, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM urls').get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return undefined;
  }
}

/** Total size of the files in `dir` (0 when it does not exist). */
function dirBytes(dir: string): number {
  try {
    return readdirSync(dir).reduce((n, f) => n + statSync(path.join(dir, f)).size, 0);
  } catch {
    return 0;
  }
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

async function main(): Promise<void> {
  if (process.argv.includes('--pg-scaleout')) return (await import('./pg-scaleout.js')).pgScaleoutBench(process.argv.slice(2));
  if (process.argv.includes('--pg-scale')) return (await import('./pg-scale.js')).pgScaleBench(process.argv.slice(2));
  if (process.argv.includes('--pg')) return (await import('./pg-bench.js')).pgBench(process.argv.slice(2));
  if (process.argv.includes('--render')) return (await import('./render-bench.js')).renderBench(process.argv.slice(2));
  const a = parse(process.argv.slice(2));
  const list = scenarios(a.mode, a);
  const rows: Row[] = [];
  for (const sc of list) {
    for (const tool of sc.tools) {
      process.stderr.write(`bench: ${sc.name} / ${tool} ...`);
      const row = await runOne(sc, tool, a);
      process.stderr.write(` ${row.status}, ${row.pages} pages in ${row.wallS.toFixed(1)} s\n`);
      rows.push(row);
    }
  }
  const settings = `Settings: page ~${a.pageBytes} B, fan-out ${a.fanOut}, concurrency ${a.concurrency}, extras ${a.extras ? 'on' : 'off'}; ` +
    `ours: \`crawl ${OUR_FLAGS(a.concurrency).join(' ')}\`; crawlee: CheerioCrawler, min=max concurrency ${a.concurrency}, ` +
    `storage ${a.crawleeMemory ? 'in memory only' : 'default (persisted to disk)'}.`;
  const warcNote = rows.filter((r) => r.warcBytes !== undefined).map((r) => {
    const plain = rows.find((x) => x.scenario === r.scenario && x.tool === 'ours');
    const cost = plain ? `, ${Math.round(r.pages / r.wallS)} vs ${Math.round(plain.pages / plain.wallS)} pages/s without --warc` : '';
    return `${r.scenario} / ours-warc: ${(r.warcBytes! / 1e6).toFixed(1)} MB of WARC written, ${(r.warcBytes! / 1e6 / r.wallS).toFixed(1)} MB/s${cost}`;
  }).join('; ');
  const table = renderTable(rows) + (warcNote ? `\nWARC: ${warcNote}.\n` : '');
  process.stdout.write(`\n${table}\n${settings}\n`);
  const date = new Date().toISOString().slice(0, 10);
  mkdirSync(a.out, { recursive: true });
  const file = path.join(a.out, `${date}-${a.mode}.md`);
  writeFileSync(file, `# Bench ${date} (${a.mode})\n\n${machineDescription(ROOT)}\n\n${table}\n${settings}\n`);
  process.stderr.write(`bench: written to ${path.relative(process.cwd(), file)}\n`);
  if (rows.some((r) => !r.ok)) process.exitCode = 1;
}

main().catch((err) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
