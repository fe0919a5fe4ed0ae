/**
 * Formatting of the bench results: one markdown table (a row per tool per scenario plus a
 * ratio row ours/crawlee) and a description of the machine it ran on.
 */
import os from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/** One measured run, as shown in the table. */
export interface Row {
  scenario: string;
  tool: 'ours' | 'ours-warc' | 'crawlee';
  /** Bytes of WARC files written (ours-warc: ours with --warc). */
  warcBytes?: number;
  ok: boolean;
  status: string;
  /** Distinct HTML pages the server served to the tool. */
  pages: number;
  wallS: number;
  cpuS: number;
  peakRssMb: number;
  /** Extra fetches of an already fetched page (server count). */
  duplicates: number;
  /** Reachable pages never fetched (undefined when the scenario caps pages). */
  missed?: number;
  /** URLs in our crawler's database after the run (fetched or discovered). */
  urlsKnown?: number;
  /** 1-minute load average of the machine when the run started and when it ended (other work shares the cores). */
  load?: [number, number];
  /** From our crawler's JSON summary line, when it prints one. */
  elu?: number;
  workerUtil?: number;
  writerUtil?: number;
  /** Longest time between two pages the server served, s: a stall shows here. */
  longestGapS?: number;
}

const f1 = (x: number) => x.toFixed(1);
const pct = (x: number | undefined) => (x === undefined ? '—' : `${Math.round(x * 100)}%`);
const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : '—');

/** The results as one markdown table. */
export function renderTable(rows: Row[]): string {
  const head = '| scenario | tool | status | pages | wall s | pages/s | CPU s | CPU ms/page | peak RSS MB | duplicates | missed | longest gap s | ELU | worker util | writer util |\n' +
    '|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n';
  let out = head;
  const scenarios = [...new Set(rows.map((r) => r.scenario))];
  for (const sc of scenarios) {
    const mine = rows.filter((r) => r.scenario === sc);
    for (const r of mine) {
      out += `| ${sc} | ${r.tool} | ${r.status} | ${r.pages} | ${f1(r.wallS)} | ${Math.round(r.pages / r.wallS)} | ${f1(r.cpuS)} | ` +
        `${r.pages ? (1000 * r.cpuS / r.pages).toFixed(2) : '—'} | ${Math.round(r.peakRssMb)} | ${r.duplicates} | ${r.missed ?? '—'} | ${r.longestGapS === undefined ? '—' : r.longestGapS.toFixed(2)} | ${pct(r.elu)} | ${pct(r.workerUtil)} | ${pct(r.writerUtil)} |\n`;
    }
    const ours = mine.find((r) => r.tool === 'ours');
    const other = mine.find((r) => r.tool === 'crawlee');
    if (ours && other) {
      const cpuPerPage = (r: Row) => (r.pages ? r.cpuS / r.pages : NaN);
      out += `| ${sc} | **ours / crawlee** | | | ${ratio(ours.wallS, other.wallS)} | **${ratio(ours.pages / ours.wallS, other.pages / other.wallS)}** | ` +
        `${ratio(ours.cpuS, other.cpuS)} | ${ratio(cpuPerPage(ours), cpuPerPage(other))} | ${ratio(ours.peakRssMb, other.peakRssMb)} | | | | | | |\n`;
    }
  }
  const known = rows.filter((r) => r.urlsKnown !== undefined);
  if (known.length) {
    out += '\nURLs in our database after the run (fetched + discovered): ' +
      known.map((r) => `${r.scenario}: ${r.urlsKnown!.toLocaleString('en-US')}`).join('; ') + '.\n';
  }
  const loaded = rows.filter((r) => r.load !== undefined);
  if (loaded.length) {
    out += '\nLoad average (1 min) at the start → end of each run: ' +
      loaded.map((r) => `${r.scenario} / ${r.tool}: ${r.load![0].toFixed(2)} → ${r.load![1].toFixed(2)}`).join('; ') + '.\n';
  }
  return out;
}

/** Node flags for every crawl process a bench starts, from BENCH_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=DIR`). */
export function benchNodeArgs(): string[] {
  return process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
}

/** Node version, CPU model, cores, memory, kernel, Crawlee version and our commit. */
export function machineDescription(root: string): string {
  const cpus = os.cpus();
  let crawlee = 'not installed';
  try {
    crawlee = (JSON.parse(readFileSync(path.join(root, 'node_modules', '@crawlee', 'cheerio', 'package.json'), 'utf8')) as { version: string }).version;
  } catch { /* not installed */ }
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch { /* not a git checkout */ }
  return [
    `- Node ${process.version} on ${os.type()} ${os.release()} (${os.arch()})`,
    `- CPU: ${cpus[0]?.model ?? 'unknown'}, ${os.availableParallelism?.() ?? cpus.length} cores`,
    `- Memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- @crawlee/cheerio ${crawlee}; crawl at commit ${commit}`,
    '- The site server runs in the bench process on the same machine, so it shares the cores with the crawler.',
  ].join('\n');
}
