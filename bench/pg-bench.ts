/**
 * `npm run bench -- --pg [--pages N] [--hosts N] [--latency MS] [--profile] [--bin PATH]
 * [--setups sqlite,pg1,pg3] [--out NAME]`: SQLite against PostgreSQL (a throwaway cluster,
 * test/helpers/pg.ts) on one machine: one SQLite process, one PostgreSQL worker, three PostgreSQL
 * worker processes (the first `crawl --urls`, two `crawl worker`), on a site of several hosts
 * (several ports). Reports pages/s, crawler CPU ms/page (all worker processes), PostgreSQL CPU
 * ms/page (the bench cluster's server processes, sampled from /proc), server-side duplicate fetches,
 * the most requests any one host had open at once, pages per worker and deadlocks. `--profile`
 * loads pg_stat_statements and adds, per PostgreSQL setup, the statements that took the server's
 * time and what the crawler's connections were doing. BENCH_LOGS=DIR keeps each crawl process's
 * stderr there (DIR/<pid>.log), for its summary line. BENCH_NODE_ARGS adds node flags to every crawl
 * process (`--cpu-prof --cpu-prof-dir=DIR`).
 */
import { spawn } from 'node:child_process';
import pg from 'pg';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSite, type Site } from '../src/demo/site.js';
import { pgCluster } from '../test/helpers/pg.js';
import { benchNodeArgs, machineDescription } from './report.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The crawl launcher measured: `--bin` names another checkout's for an A/B run. */
let BIN = path.join(ROOT, 'bin/crawl.js');
const FLAGS = ['--delay', '0ms', '--per-host', '16', '--concurrency', '16', '--quiet', '--no-progress', '--ignore-robots'];

interface Result {
  setup: string; exit: string; wallS: number; pagesPerS: number; crawlerCpuMs: number; pgCpuMs: number | null; pages: number; duplicates: number;
  maxInFlight: number;
  /** Pages written by each worker, in the order they joined. */
  perWorker: string;
  /** Deadlocks the server detected (each one is retried, after deadlock_timeout: 1 s). */
  deadlocks: number | null;
}

/**
 * CPU ms of the bench cluster's server processes (the postmaster and its children; other clusters
 * on the machine, e.g. tests running meanwhile, are not counted), by pid, kept after they exit.
 */
class PgCpu {
  private readonly seen = new Map<number, number>();
  constructor(private readonly postmaster: number) {}
  private timer: NodeJS.Timeout | undefined;
  start(): void { this.sample(); this.timer = setInterval(() => this.sample(), 100); }
  stop(): number { clearInterval(this.timer); this.sample(); let t = 0; for (const v of this.seen.values()) t += v; this.seen.clear(); return t; }
  private sample(): void {
    for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
        if (Number(pid) !== this.postmaster && Number(f[1]) !== this.postmaster) continue; // f[1]: the parent pid
        this.seen.set(Number(pid), (Number(f[11]) + Number(f[12])) * 10); // clock ticks of 10 ms
      } catch { /* gone */ }
    }
  }
}

function crawlProc(args: string[]): Promise<{ code: number | null; cpuMs: number }> {
  return new Promise((resolve) => {
    const p = spawn('/usr/bin/time', ['-f', '%U %S', process.execPath, ...benchNodeArgs(), BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => { err += d; });
    p.on('close', (code) => {
      if (process.env.BENCH_LOGS) fs.writeFileSync(`${process.env.BENCH_LOGS}/${p.pid}.log`, err);
      const [u, s] = err.trim().split('\n').at(-1)!.split(' ').map(Number);
      resolve({ code, cpuMs: (u + s) * 1000 });
    });
  });
}

async function runSetup(setup: string, sites: Site[], db: string, workers: number, seeds: string, postmaster: number): Promise<Result> {
  for (const s of sites) s.resetCounts();
  const cpu = new PgCpu(postmaster);
  cpu.start();
  const t = performance.now();
  const procs = [crawlProc(['--urls', seeds, '--db', db, ...FLAGS])];
  for (let i = 1; i < workers; i++) {
    await new Promise((r) => setTimeout(r, 300));
    procs.push(crawlProc(['worker', '--db', db, '--quiet']));
  }
  const rs = await Promise.all(procs);
  const ms = performance.now() - t;
  const pgMs = cpu.stop();
  let pages = 0, duplicates = 0;
  for (const s of sites) for (const n of s.requests.values()) { pages++; duplicates += n - 1; }
  const maxInFlight = Math.max(...sites.map((s) => s.maxInFlight));
  let perWorker = '–', deadlocks: number | null = null;
  if (db.startsWith('postgres')) {
    const c = new pg.Client({ connectionString: db });
    await c.connect();
    perWorker = (await c.query('SELECT pages FROM run_workers ORDER BY joined_at')).rows.map((r) => r.pages).join(' / ');
    deadlocks = Number((await c.query('SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()')).rows[0].deadlocks);
    await c.end();
  }
  return {
    maxInFlight, perWorker, deadlocks,
    setup, exit: rs.map((r) => r.code).join(','), wallS: ms / 1000, pagesPerS: pages / ms * 1000,
    crawlerCpuMs: rs.reduce((a, r) => a + r.cpuMs, 0) / pages, pgCpuMs: db.startsWith('postgres') ? pgMs / pages : null, pages, duplicates,
  };
}

/** The statements that took the most server time since the last reset, as markdown rows. */
async function topStatements(url: string, pages: number): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query(`SELECT query, calls, total_exec_time AS ms, sum(total_exec_time) OVER () AS all_ms FROM pg_stat_statements
      WHERE query NOT ILIKE '%pg_stat_statements%' ORDER BY total_exec_time DESC LIMIT 8`);
    return ['| share | ms/page | calls | statement |', '|--:|--:|--:|---|', ...r.rows.map((x) =>
      `| ${(100 * x.ms / x.all_ms).toFixed(0)}% | ${(x.ms / pages).toFixed(3)} | ${x.calls} | \`${String(x.query).replace(/\s+/g, ' ').slice(0, 110)}\` |`)].join('\n');
  } finally {
    await c.end();
  }
}

/**
 * Samples pg_stat_activity every 20 ms while a setup runs: what the crawler's connections were doing
 * (running, waiting on a lock, idle in a transaction), per statement. Lock waits show contention
 * between workers that pg_stat_statements counts as execution time.
 */
function sampleActivity(url: string): { stop(): Promise<string> } {
  const c = new pg.Client({ connectionString: url });
  const seen = new Map<string, number>();
  let samples = 0, running = true;
  const loop = (async () => {
    await c.connect();
    while (running) {
      const r = await c.query(`SELECT state, coalesce(wait_event_type, 'CPU') AS w, left(regexp_replace(query, '\\s+', ' ', 'g'), 60) AS q
        FROM pg_stat_activity WHERE application_name = 'crawl' AND state <> 'idle'`);
      samples++;
      for (const x of r.rows) { const k = `${x.state} | ${x.w} | \`${x.q}\``; seen.set(k, (seen.get(k) ?? 0) + 1); }
      await new Promise((res) => setTimeout(res, 20));
    }
    await c.end();
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return ['| busy connections (mean) | state | waiting on | statement |', '|--:|---|---|---|',
        ...[...seen].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([k, n]) => `| ${(n / samples).toFixed(2)} | ${k} |`)].join('\n');
    },
  };
}

async function resetStatements(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  await c.query('SELECT pg_stat_statements_reset()');
  await c.end();
}

export async function pgBench(argv: string[]): Promise<void> {
  const opt = (name: string, d: number) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? Number(argv[i + 1]) : d; };
  const pages = opt('pages', 10_000), hostCount = opt('hosts', 4), latencyMs = opt('latency', 0);
  const profile = argv.includes('--profile');
  if (argv.includes('--bin')) BIN = path.resolve(argv[argv.indexOf('--bin') + 1]);
  const cluster = await pgCluster(profile ? { preload: 'pg_stat_statements' } : {});
  if (!cluster) throw new Error('no PostgreSQL server binaries: apt-get install -y postgresql');
  const postmaster = Number(fs.readFileSync(path.join(cluster.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const sites = await Promise.all(Array.from({ length: hostCount }, (_, i) => startSite({ pages: Math.ceil(pages / hostCount), extras: false, seed: i + 1, latencyMs })));
  const tmp = fs.mkdtempSync(path.join(ROOT, 'bench/.pg-'));
  const seeds = path.join(tmp, 'seeds.txt');
  fs.writeFileSync(seeds, sites.map((s) => s.url + '/').join('\n') + '\n');
  const rows: Result[] = [];
  const profiles: string[] = [];
  try {
    const only = argv.includes('--setups') ? argv[argv.indexOf('--setups') + 1].split(',') : ['sqlite', 'pg1', 'pg3'];
    const setups = ([['sqlite', 'SQLite, 1 process', 0], ['pg1', 'PostgreSQL, 1 worker', 1], ['pg3', 'PostgreSQL, 3 workers', 3]] as const)
      .filter(([key]) => only.includes(key));
    for (const [, setup, workers] of setups) {
      process.stderr.write(`bench: ${setup} ...`);
      const db = workers === 0 ? path.join(tmp, 'bench.db') : cluster.newDatabase();
      if (profile && workers) await resetStatements(cluster.url);
      const activity = profile && workers ? sampleActivity(cluster.url) : null;
      const r = await runSetup(setup, sites, db, Math.max(1, workers), seeds, postmaster);
      if (activity) {
        profiles.push(`### Where PostgreSQL's time went: ${setup}\n\n${await topStatements(cluster.url, r.pages)}\n\n` +
          `What the crawler's connections were doing (sampled every 20 ms):\n\n${await activity.stop()}`);
      }
      process.stderr.write(` ${r.pages} pages in ${r.wallS.toFixed(1)} s\n`);
      rows.push(r);
    }
  } finally {
    for (const s of sites) await s.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const table = ['| setup | exit | wall s | pages/s | crawler CPU ms/page | PostgreSQL CPU ms/page | pages | duplicate fetches | max in flight per host | pages per worker | deadlocks |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.setup} | ${r.exit} | ${r.wallS.toFixed(1)} | ${r.pagesPerS.toFixed(0)} | ${r.crawlerCpuMs.toFixed(2)} | ` +
      `${r.pgCpuMs === null ? '–' : r.pgCpuMs.toFixed(2)} | ${r.pages} | ${r.duplicates} | ${r.maxInFlight} | ${r.perWorker} | ${r.deadlocks ?? '–'} |`)].join('\n');
  const settings = `Crawler: ${path.relative(ROOT, BIN) || BIN}. Settings: ${pages} pages on ${hostCount} hosts (ports), ${latencyMs} ms latency per response, \`crawl ${FLAGS.join(' ')}\`; PostgreSQL 15 on the same machine (fsync off, throwaway cluster).` +
    ' "max in flight per host" is counted by the site servers (limit: --per-host 16).';
  const body = [table, settings, ...profiles].join('\n\n');
  process.stdout.write(`\n${body}\n`);
  const date = new Date().toISOString().slice(0, 10);
  const name = argv.includes('--out') ? argv[argv.indexOf('--out') + 1] : `${date}-pg${profile ? '-profile' : ''}`;
  const file = path.join(ROOT, 'bench/results', `${name}.md`);
  fs.writeFileSync(file, `# Bench ${date} (--pg)\n\n${machineDescription(ROOT)}\n\n${body}\n`);
  process.stderr.write(`bench: written to ${path.relative(process.cwd(), file)}\n`);
  process.exit(rows.some((r) => r.exit.split(',').some((c) => c !== '0')) ? 1 : 0);
}
