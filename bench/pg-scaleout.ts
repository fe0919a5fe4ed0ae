/**
 * `npm run bench -- --pg-scaleout [--workers 1,2,4] [--quota 0.2] [--hosts 12] [--pages 6000] [--bin PATH] [--out NAME]`:
 * how a shared run scales with workers when each worker gets an equal slice of CPU. Each worker
 * process runs in a cgroup of its own (v1 `cpu.cfs_quota_us`, or v2 `cpu.max`; needs root) with
 * `--quota` cores; PostgreSQL and the sites (the demo site, one server per host) do not. Steady-state
 * pages/s counts the requests the sites served from the moment every worker has written a page to
 * the last one; start-up (to the first request, and until every worker wrote) is reported apart;
 * CPU per page (start-up included, and steady) comes from each worker's cgroup (cpuacct); the machine's busy share
 * (/proc/stat) in the steady state tells a crawler cost from a saturated machine. Writes bench/results/<date>-pg-scaleout.md.
 * `--spread [--workers 8] [--hosts 1000] [--seconds 30]`: how evenly many hosts spread (see spread()).
 * SCALEOUT_TRACE=1 prints, every second, the pages served and each worker's pages and hosts held, and
 * the statements run per page. BENCH_NODE_ARGS adds node flags to every worker (`--cpu-prof`).
 * `--bin` measures another checkout's bin/crawl.js (A/B).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startSite } from '../src/demo/site.js';
import { startMultiHostSite } from '../test/helpers/multi-host-site.js';
import { pgCluster } from '../test/helpers/pg.js';
import { benchNodeArgs, machineDescription } from './report.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The crawl launcher measured: `--bin` names another checkout's for an A/B run. */
let BIN = path.join(ROOT, 'bin', 'crawl.js');

/** A CPU slice for one process: cgroup v1 (cpu + cpuacct hierarchies) or v2. */
interface Slice { add(pid: number): void; cpuMs(): number; remove(): void }

function slice(name: string, cores: number): Slice | null {
  const v1 = '/sys/fs/cgroup/cpu', acct = '/sys/fs/cgroup/cpuacct', v2 = '/sys/fs/cgroup/cgroup.controllers';
  try {
    if (fs.existsSync(path.join(v1, 'cpu.cfs_quota_us'))) {
      const cpu = path.join(v1, name), ac = path.join(acct, name);
      fs.mkdirSync(cpu, { recursive: true });
      fs.mkdirSync(ac, { recursive: true });
      fs.writeFileSync(path.join(cpu, 'cpu.cfs_period_us'), '100000');
      fs.writeFileSync(path.join(cpu, 'cpu.cfs_quota_us'), String(Math.round(cores * 100_000)));
      return {
        add: (pid) => { fs.writeFileSync(path.join(cpu, 'cgroup.procs'), String(pid)); fs.writeFileSync(path.join(ac, 'cgroup.procs'), String(pid)); },
        cpuMs: () => Number(fs.readFileSync(path.join(ac, 'cpuacct.usage'), 'utf8')) / 1e6,
        remove: () => { for (const d of [cpu, ac]) try { fs.rmdirSync(d); } catch { /* busy */ } },
      };
    }
    if (fs.existsSync(v2)) {
      const dir = path.join('/sys/fs/cgroup', name);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'cpu.max'), `${Math.round(cores * 100_000)} 100000`);
      return {
        add: (pid) => fs.writeFileSync(path.join(dir, 'cgroup.procs'), String(pid)),
        cpuMs: () => Number(/usage_usec (\d+)/.exec(fs.readFileSync(path.join(dir, 'cpu.stat'), 'utf8'))![1]) / 1000,
        remove: () => { try { fs.rmdirSync(dir); } catch { /* busy */ } },
      };
    }
  } catch (err) {
    process.stderr.write(`no CPU quota (${(err as Error).message}): workers run unlimited\n`);
  }
  return null;
}

/** Busy and total CPU time of the whole machine so far (ms), from /proc/stat. */
function machineMs(): { busy: number; total: number } {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const tick = 10; // USER_HZ = 100 on Linux
  const idle = (f[3] + (f[4] ?? 0)) * tick, total = f.reduce((a, b) => a + b, 0) * tick;
  return { busy: total - idle, total };
}

function start(args: string[], s: Slice | null): { child: ChildProcess; done: Promise<number | null>; t0: number } {
  const child = spawn(process.execPath, [...benchNodeArgs(), BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => { err += d; });
  s?.add(child.pid!);
  const done = new Promise<number | null>((r) => child.on('close', (code) => { if (code && code !== 4) process.stderr.write(err.slice(-2000)); r(code); }));
  return { child, done, t0: performance.now() };
}

async function one(workers: number, cores: number, hosts: number, pages: number): Promise<string> {
  const cluster = (await pgCluster({ preload: 'pg_stat_statements' }))!;
  // The demo site (pages of realistic size and links), one server per host, as `--pg` uses.
  const sites = await Promise.all(Array.from({ length: hosts }, (_, i) => startSite({ pages: Math.ceil(pages / hosts), extras: false, seed: i + 1 })));
  const served = () => sites.reduce((n, x) => n + x.totalRequests, 0);
  const db = cluster.newDatabase();
  const seeds = path.join(fs.mkdtempSync(path.join(ROOT, 'data', 'scaleout-')), 'seeds.txt');
  fs.writeFileSync(seeds, sites.map((x) => x.url + '/').join('\n'));
  const slices = Array.from({ length: workers }, (_, i) => slice(`crawl-bench-${process.pid}-${workers}-${i}`, cores));
  const flags = ['--delay', '0ms', '--per-host', '4', '--concurrency', '16', '--ignore-robots', '--quiet', '--no-progress', '--log-format', 'json'];
  const t0 = performance.now();
  const procs = [start(['--urls', seeds, '--db', db, ...flags], slices[0])];
  const c = new pg.Client(db);
  await c.connect();
  await c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  await c.query('SELECT pg_stat_statements_reset()'); // one cluster serves every setup of a series: count this one's alone
  const joined = async () => (await c.query('SELECT count(*)::int AS n FROM run_workers').catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n as number;
  while (await joined() < 1) await new Promise((r) => setTimeout(r, 20));
  for (let i = 1; i < workers; i++) procs.push(start(['worker', '--db', db, '--quiet', '--log-format', 'json'], slices[i]));
  // Steady state: from the moment every worker has written its first page to the last request served.
  let first = 0, allIn = 0, allInAt = 0, last = 0, lastAt = 0;
  // CPU from the moment every worker wrote: the workers' cgroups, and the whole machine (PostgreSQL,
  // the sites and this process are the rest), to tell a crawler cost from a saturated machine.
  let cpuAtAllIn = 0, machineAtAllIn = { busy: 0, total: 0 }, machineAtLast = { busy: 0, total: 0 }, cpuAtLast = 0;
  const workersCpu = () => slices.reduce((a, x) => a + (x?.cpuMs() ?? NaN), 0);
  let running = true;
  const sampler = (async () => {
    while (running) {
      const n = served(), t = performance.now();
      if (!first && n > 0) first = t;
      if (n !== last) { last = n; lastAt = t; if (allInAt) { machineAtLast = machineMs(); cpuAtLast = workersCpu(); } }
      if (process.env.SCALEOUT_TRACE && Math.floor(t / 1000) !== Math.floor((t - 50) / 1000)) {
        const w = (await c.query('SELECT pages::int AS p, (SELECT count(*) FROM hosts WHERE owner = r.owner)::int AS h FROM run_workers r ORDER BY joined_at')).rows;
        process.stderr.write(`t=${((t - t0) / 1000).toFixed(1)} served=${n} ${w.map((x) => `${x.p}p/${x.h}h`).join(' ')}\n`);
      }
      if (!allInAt && (await c.query('SELECT count(*)::int AS n FROM run_workers WHERE pages > 0')).rows[0].n >= workers) {
        allInAt = t; allIn = n; cpuAtAllIn = workersCpu(); machineAtAllIn = machineMs();
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const codes = await Promise.all(procs.map((p) => p.done));
  running = false;
  await sampler;
  const steady = allInAt && lastAt > allInAt ? (last - allIn) / ((lastAt - allInAt) / 1000) : NaN;
  const perWorker = (await c.query('SELECT pages::int AS pages FROM run_workers ORDER BY joined_at')).rows.map((r) => r.pages as number);
  const stored = (await c.query('SELECT count(*)::int AS n FROM pages WHERE status = 200')).rows[0].n as number;
  const cpuMs = workersCpu();
  // Statements per page over the whole run (every worker; the bench's own queries left out).
  const stmts = (await c.query(`SELECT calls::int AS calls, left(regexp_replace(query, '\\s+', ' ', 'g'), 100) AS q FROM pg_stat_statements
    WHERE query NOT LIKE '%run_workers WHERE pages > $1%' AND query NOT LIKE '%pg_stat_statements%' AND query NOT LIKE 'SELECT count(*)::int AS n FROM run_workers' ORDER BY calls DESC`)).rows as { calls: number; q: string }[];
  const perPage = stmts.reduce((a, x) => a + x.calls, 0) / stored;
  if (process.env.SCALEOUT_TRACE) for (const x of stmts.slice(0, 25)) process.stderr.write(`${(x.calls / stored).toFixed(3).padStart(7)} ${x.q}\n`);
  const steadyCpu = (cpuAtLast - cpuAtAllIn) / Math.max(1, last - allIn);
  const wall = machineAtLast.total - machineAtAllIn.total, busy = machineAtLast.busy - machineAtAllIn.busy;
  const rest = (busy - (cpuAtLast - cpuAtAllIn)) / Math.max(1, last - allIn);
  await c.end();
  await Promise.all(sites.map((x) => x.close()));
  slices.forEach((x) => x?.remove());
  fs.rmSync(path.dirname(seeds), { recursive: true, force: true });
  return `| ${workers} | ${cores} | ${codes.join(',')} | ${stored} | ${steady.toFixed(1)} | ${(last / ((lastAt - first) / 1000)).toFixed(1)} | ${((first - t0) / 1000).toFixed(2)} | ${((allInAt - t0) / 1000).toFixed(2)} | ${(cpuMs / stored).toFixed(2)} | ${steadyCpu.toFixed(2)} | ${(busy / Math.max(1, wall) * 100).toFixed(0)}% | ${rest.toFixed(2)} | ${perPage.toFixed(1)} | ${perWorker.join(' / ')} |`;
}

/**
 * `--spread`: many hosts over many workers (default 1,000 hosts, 8 workers, no quotas) for `--seconds`
 * (30): pages per worker against their mean, and refused claims (the host was another worker's, or
 * its row busy) against every transaction of the database (pg_stat_statements and pg_stat_database).
 */
async function spread(workers: number, hosts: number, seconds: number): Promise<string> {
  const cluster = (await pgCluster({ preload: 'pg_stat_statements' }))!;
  const site = await startMultiHostSite(hosts, 30, 0, 4);
  const db = cluster.newDatabase();
  const c = new pg.Client(db);
  await c.connect();
  await c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  const seeds = path.join(fs.mkdtempSync(path.join(ROOT, 'data', 'spread-')), 'seeds.txt');
  fs.writeFileSync(seeds, site.hosts.map((h) => h.origin + '/').join('\n'));
  const flags = ['--delay', '200ms', '--per-host', '1', '--concurrency', '32', '--max-time', `${seconds}s`, '--quiet', '--no-progress', '--log-format', 'json'];
  const procs = [start(['--urls', seeds, '--db', db, ...flags], null)];
  const joined = async () => (await c.query('SELECT count(*)::int AS n FROM run_workers').catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n as number;
  while (await joined() < 1) await new Promise((r) => setTimeout(r, 20));
  await c.query('SELECT pg_stat_statements_reset()');
  const xact0 = (await c.query('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()')).rows[0].n as number;
  for (let i = 1; i < workers; i++) procs.push(start(['worker', '--db', db, '--quiet', '--log-format', 'json'], null));
  // Pages per worker over the second half of the run (after the joining and the first balancing).
  const pagesNow = async () => new Map((await c.query('SELECT owner, pages::int AS pages FROM run_workers')).rows.map((r) => [r.owner as string, r.pages as number]));
  // SCALEOUT_TRACE=1: every 5 s, each worker's pages and the hosts it holds (held / of them with work queued).
  const trace = process.env.SCALEOUT_TRACE ? setInterval(() => {
    void c.query(`SELECT w.owner, w.pages::int AS pages, (SELECT count(*) FROM hosts h WHERE h.owner = w.owner)::int AS held,
        (SELECT count(*) FROM hosts h WHERE h.owner = w.owner AND h.has_queue)::int AS queued FROM run_workers w ORDER BY w.joined_at, w.owner`)
      .then((r) => console.error(`${new Date().toISOString().slice(14, 19)} ${r.rows.map((x) => `${x.pages}p ${x.held}h/${x.queued}q`).join(' | ')}`), () => {});
  }, 5_000) : null;
  await new Promise((r) => setTimeout(r, seconds * 500));
  const half = await pagesNow();
  const ended = Promise.all(procs.map((p) => p.done));
  await new Promise((r) => setTimeout(r, seconds * 500 - 1_000));
  const late = await pagesNow();
  await ended;
  if (trace) clearInterval(trace);
  const xact = (await c.query('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()')).rows[0].n as number - xact0;
  const calls = async (like: string) => Number((await c.query('SELECT coalesce(sum(calls), 0) AS n FROM pg_stat_statements WHERE query LIKE $1', [like])).rows[0].n);
  const asked = await calls('%FROM hosts WHERE host = $1 FOR UPDATE SKIP LOCKED%');
  const granted = await calls('WITH picked AS%');
  // What the transactions were: the statements called most, so a change can be judged by its mix.
  const top = (await c.query(`SELECT calls, left(regexp_replace(query, '\\s+', ' ', 'g'), 90) AS q FROM pg_stat_statements
    WHERE query NOT LIKE 'BEGIN%' AND query NOT LIKE 'COMMIT%' AND query NOT LIKE 'SET LOCAL%' ORDER BY calls DESC LIMIT 12`)).rows;
  const perWorker = [...late].map(([owner, n]) => n - (half.get(owner) ?? 0));
  const mean = perWorker.reduce((a, b) => a + b, 0) / perWorker.length;
  const spreadPct = Math.max(...perWorker.map((p) => Math.abs(p - mean) / mean)) * 100;
  await c.end();
  await site.close();
  fs.rmSync(path.dirname(seeds), { recursive: true, force: true });
  const line = [`${hosts} hosts, ${workers} workers, ${seconds} s: pages per worker in the second half ${perWorker.join(' / ')} (mean ${mean.toFixed(0)}, largest difference ${spreadPct.toFixed(0)}%);`,
    `claims ${asked}, refused or busy ${asked - granted} = ${((asked - granted) / Math.max(1, xact) * 100).toFixed(1)}% of ${xact} transactions.`].join(' ');
  const table = ['| calls | statement |', '|---|---|', ...top.map((r) => `| ${r.calls} | \`${String(r.q).replace(/\|/g, '\\|')}\` |`)].join('\n');
  return `${line}\n\nStatements called most (pg_stat_statements, every worker):\n\n${table}`;
}

export async function pgScaleoutBench(argv: string[]): Promise<void> {
  const opt = (name: string, d: string) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : d; };
  if (argv.includes('--bin')) BIN = path.resolve(opt('bin', BIN));
  if (argv.includes('--spread')) {
    const line = await spread(Number(opt('workers', '8')), Number(opt('hosts', '1000')), Number(opt('seconds', '30')));
    const out = path.join(ROOT, 'bench', 'results', `${new Date().toISOString().slice(0, 10)}-${opt('out', 'pg-spread')}.md`);
    fs.writeFileSync(out, `# Hosts over workers — ${new Date().toISOString().slice(0, 10)}\n\n${line}\n\n${machineDescription(ROOT)}\n- Crawler: ${BIN}\n`);
    process.stdout.write(`${line}\nwritten to ${path.relative(ROOT, out)}\n`);
    return;
  }
  const counts = opt('workers', '1,2,4').split(',').map(Number);
  const cores = Number(opt('quota', '0.2')), hosts = Number(opt('hosts', '12')), pages = Number(opt('pages', '6000'));
  const rows: string[] = [];
  for (const n of counts) {
    rows.push(await one(n, cores, hosts, pages));
    process.stderr.write(rows[rows.length - 1] + '\n');
  }
  const report = [
    `# Shared run scale-out under equal CPU quotas — ${new Date().toISOString().slice(0, 10)}`, '',
    `${pages} pages over ${hosts} local hosts; each worker in a cgroup of ${cores} core; PostgreSQL and the site unlimited.`, '',
    machineDescription(ROOT), `- Crawler: ${BIN}`, '',
    '| workers | cores each | exit codes | pages | steady pages/s (every worker writing, to the last request) | pages/s, first to last request | s to first request | s until every worker wrote a page | worker CPU ms/page (start-up included) | worker CPU ms/page, steady | machine busy, steady | other CPU ms/page, steady (PostgreSQL, sites, bench) | statements per page (BEGIN and COMMIT included) | pages per worker |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|', ...rows,
  ].join('\n');
  const out = path.join(ROOT, 'bench', 'results', `${new Date().toISOString().slice(0, 10)}-${opt('out', 'pg-scaleout')}.md`);
  fs.writeFileSync(out, report + '\n');
  process.stdout.write(report + `\n\nwritten to ${path.relative(ROOT, out)}\n`);
}
