/**
 * `npm run bench -- --render [--pages N] [--concurrency N] [--tools ours,crawlee] [--soak N] [--browser PATH]`:
 * rendered pages/s and CPU ms per rendered page, ours (`crawl --render always`) against Crawlee's
 * PlaywrightCrawler (bench/crawlee-render-runner.mjs) on the same local pages: the render test
 * site (test/render-site/: React, Vue and Preact apps, client- and server-rendered, and static
 * pages), N URLs cycling through its 220 pages (`?v=K` makes each URL distinct). Both drive the
 * installed Chromium at the same fixed concurrency, as child processes measured from the outside
 * (bench/measure.ts: wall, CPU of the whole tree, Chromium included; peak RSS), plus the summed PSS
 * of the Chromium processes, sampled every 500 ms. "complete" counts pages stored with the title
 * the app builds (a render read before the app finished has the shell's).
 * `--soak N` runs ours alone on N URLs and reports the browsers' memory (summed PSS) over the run:
 * its growth after warm-up (the first 20% of pages), and that no Chromium process is left.
 * Results go to bench/results/<date>-render.md (or -soak.md).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { measure, processTree, type RunResult } from './measure.js';
import { machineDescription } from './report.js';
import { startRenderSite, type RenderSite } from '../test/render-site/server.js';
import { allPages } from '../test/render-site/model.js';
import { pssKb, waitGone } from '../test/helpers/processes.js';
import { findBrowser } from '../src/render/find-browser.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'crawl.js');
const RUNNER = path.join(ROOT, 'bench', 'crawlee-render-runner.mjs');

interface Row {
  tool: string; status: string; pages: number; complete: number; wallS: number; cpuS: number; peakRssMb: number; peakPssMb: number;
}

/** Samples of the Chromium processes' summed PSS under `root`, with the pages served so far. */
function samplePss(root: () => number | undefined, site: RenderSite, into: { t: number; pages: number; mb: number }[], pids: Set<number>): () => void {
  const t0 = Date.now();
  const timer = setInterval(() => {
    const pid = root();
    if (pid === undefined) return;
    const chrome = processTree(pid).filter((p) => p !== pid && /chrom/i.test(cmdOf(p)));
    for (const p of chrome) pids.add(p);
    into.push({ t: Date.now() - t0, pages: htmlServed(site), mb: pssKb(chrome) / 1024 });
  }, 500);
  return () => clearInterval(timer);
}

function cmdOf(pid: number): string {
  try { return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]; } catch { return ''; }
}

/** Page documents the site has served (not scripts, data or robots.txt). */
function htmlServed(site: RenderSite): number {
  return site.log.filter((l) => /^\/(csr|ssr)\/\w+\/\d+$|^\/static\/\d+$/.test(l.path)).length;
}

async function runTool(tool: 'ours' | 'crawlee', urls: string[], site: RenderSite, a: { concurrency: number; browser: string }, samples: { t: number; pages: number; mb: number }[]): Promise<Row> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `crawl-render-bench-${tool}-`));
  const seeds = path.join(tmp, 'seeds.txt');
  fs.writeFileSync(seeds, urls.join('\n') + '\n');
  site.log.length = 0;
  let child: number | undefined;
  const pids = new Set<number>();
  const stop = samplePss(() => child ?? findChild(tool), site, samples, pids);
  let r: RunResult;
  try {
    const c = String(a.concurrency);
    const p = tool === 'ours'
      ? measure(BIN, ['--urls', seeds, '--db', path.join(tmp, 'bench.db'), '--render', 'always', '--browser', a.browser, '--render-concurrency', c,
        '--concurrency', c, '--per-host', c, '--delay', '0ms', '--max-depth', '0', '--ignore-robots', '--quiet', '--no-progress'], { cwd: ROOT })
      : measure(process.execPath, [RUNNER, '--urls', seeds, '--browser', a.browser, '--concurrency', c],
        { cwd: ROOT, env: { ...process.env, CRAWLEE_STORAGE_DIR: path.join(tmp, 'crawlee'), CRAWLEE_PURGE_ON_START: '1' } });
    r = await p;
  } finally {
    stop();
  }
  const left = await waitGone([...pids], 30_000);
  let complete = 0;
  if (tool === 'ours') {
    const db = new Database(path.join(tmp, 'bench.db'), { readonly: true });
    complete = (db.prepare("SELECT count(*) AS n FROM pages WHERE rendered IS NOT NULL AND title LIKE '% page %'").get() as { n: number }).n;
    db.close();
  } else {
    const line = r.stdout.split('\n').find((l) => l.includes('"summary"'));
    complete = line ? (JSON.parse(line) as { complete: number }).complete : 0;
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  const status = r.exitCode === 0 ? (left.length ? `ok, ${left.length} chromium left` : 'ok') : `exit ${r.exitCode ?? r.signal}: ${(r.stderr || r.stdout).slice(-300)}`;
  return { tool, status, pages: htmlServed(site), complete, wallS: r.wallMs / 1000, cpuS: r.cpuS, peakRssMb: r.peakRssMb, peakPssMb: Math.max(0, ...samples.map((s) => s.mb)) };

  /** measure() spawns detached: the child is the newest direct child of this process running our tool. */
  function findChild(t: string): number | undefined {
    const mine = processTree(process.pid).filter((p) => p !== process.pid && cmdOf(p).length);
    const want = t === 'ours' ? 'crawl.js' : 'crawlee-render-runner';
    const hit = mine.find((p) => { try { return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(want); } catch { return false; } });
    if (hit !== undefined) child = hit;
    return hit;
  }
}

export async function renderBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv.filter((x) => x !== '--render'),
    options: { pages: { type: 'string', default: '440' }, concurrency: { type: 'string', default: '8' }, tools: { type: 'string', default: 'ours,crawlee' },
      soak: { type: 'string' }, browser: { type: 'string' }, out: { type: 'string', default: path.join(ROOT, 'bench', 'results') } },
  });
  const browser = findBrowser(values.browser);
  const site = await startRenderSite();
  const all = allPages();
  const n = Number(values.soak ?? values.pages);
  const urls = Array.from({ length: n }, (_, i) => `${site.base}${all[i % all.length].path}${i >= all.length ? `?v=${Math.floor(i / all.length)}` : ''}`);
  const a = { concurrency: Number(values.concurrency), browser };
  const date = new Date().toISOString().slice(0, 10);
  const head = `# Render bench ${date}\n\n${machineDescription(ROOT)}\n\nBrowser: ${browser}. ${n} URLs over the render test site's ${all.length} pages (${all.filter((p) => p.kind === 'csr').length} client-rendered), concurrency ${a.concurrency}.\n\n`;
  try {
    if (values.soak) {
      const samples: { t: number; pages: number; mb: number }[] = [];
      const row = await runTool('ours', urls, site, a, samples);
      const warm = samples.filter((s) => s.pages >= n * 0.2 && s.pages < n * 0.4);
      const end = samples.filter((s) => s.pages >= n * 0.8);
      const mean = (xs: { mb: number }[]) => xs.reduce((x, s) => x + s.mb, 0) / Math.max(1, xs.length);
      const growth = (mean(end) / mean(warm) - 1) * 100;
      const curve = samples.filter((_, i) => i % Math.max(1, Math.floor(samples.length / 40)) === 0).map((s) => `| ${(s.t / 1000).toFixed(0)} | ${s.pages} | ${s.mb.toFixed(0)} |`).join('\n');
      const text = `${head}Soak: ours, \`--render always\`, ${row.pages} pages in ${row.wallS.toFixed(0)} s (${(row.pages / row.wallS).toFixed(2)} pages/s), status ${row.status}.\n\n`
        + `Browser memory (summed PSS of the Chromium processes): mean ${mean(warm).toFixed(0)} MB after warm-up (pages 20-40%), mean ${mean(end).toFixed(0)} MB over the last 20% of pages: **growth ${growth.toFixed(1)}%**; peak ${row.peakPssMb.toFixed(0)} MB.\n\n`
        + `| s | pages | Chromium PSS MB |\n|---|---|---|\n${curve}\n`;
      process.stdout.write(text);
      fs.writeFileSync(path.join(values.out!, `${date}-render-soak.md`), text);
      return;
    }
    const rows: Row[] = [];
    for (const tool of values.tools!.split(',') as ('ours' | 'crawlee')[]) {
      process.stderr.write(`bench --render: ${tool} ...`);
      const row = await runTool(tool, urls, site, a, []);
      process.stderr.write(` ${row.status}\n`);
      rows.push(row);
    }
    const table = '| tool | status | pages | complete | wall s | rendered pages/s | CPU s | CPU ms/page | peak RSS MB | peak Chromium PSS MB |\n|---|---|---|---|---|---|---|---|---|---|\n'
      + rows.map((r) => `| ${r.tool} | ${r.status} | ${r.pages} | ${r.complete} | ${r.wallS.toFixed(1)} | ${(r.pages / r.wallS).toFixed(2)} | ${r.cpuS.toFixed(1)} | ${(r.cpuS * 1000 / Math.max(1, r.pages)).toFixed(0)} | ${r.peakRssMb.toFixed(0)} | ${r.peakPssMb.toFixed(0)} |`).join('\n');
    const text = `${head}${table}\n\nours: \`crawl --render always --render-concurrency ${a.concurrency} --concurrency ${a.concurrency} --per-host ${a.concurrency} --delay 0ms --ignore-robots\`; crawlee: PlaywrightCrawler, min=max concurrency ${a.concurrency}, waits for \`load\`.\n`;
    process.stdout.write(text);
    fs.writeFileSync(path.join(values.out!, `${date}-render.md`), text);
  } finally {
    await site.close();
  }
}
