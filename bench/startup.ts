/**
 * `npm run bench:startup [-- --runs 15] [--root DIR] [--out FILE]`: how long the command line takes
 * to start and answer, measured from outside: `crawl --help`, `crawl --version` and `crawl stats`
 * on a small database (a 30-page crawl), each run `--runs` times; the median wall time and CPU time
 * (user + system, from /usr/bin/time) of each, beside `node -e 0` for the floor. `--root` measures
 * another checkout's build (e.g. the one before a change). Prints a markdown table; `--out` writes it.
 * A measurement, not a test: the figures vary with the machine's load.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startSite } from '../src/demo/site.js';
import { crawl } from '../src/index.js';

const HERE = path.resolve(fileURLToPath(new URL('../../', import.meta.url)));

interface Timing { wallMs: number; cpuMs: number }

/** One run under /usr/bin/time: wall and CPU seconds of the process. */
function timeOnce(argv: string[]): Timing {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S', ...argv], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  const [e, u, s] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { wallMs: e * 1000, cpuMs: (u + s) * 1000 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' }, root: { type: 'string' }, out: { type: 'string' } } });
  const runs = Number(values.runs);
  const root = path.resolve(values.root ?? HERE);
  const bin = path.join(root, 'bin', 'crawl.js');
  if (!fs.existsSync('/usr/bin/time')) throw new Error('/usr/bin/time is needed (apt-get install time)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crawl-startup-'));
  try {
    const db = path.join(dir, 'small.db');
    const site = await startSite({ pages: 30, fanOut: 4, pageBytes: 2000 });
    try {
      await crawl({ seeds: [site.url + '/'], db, delay: '0ms', perHost: 8, progress: false });
    } finally {
      await site.close();
    }
    // The launcher's own node flags (bin/crawl.js's shebang line) apply to every crawl command.
    const commands: [string, string[]][] = [
      ['node -e 0 (floor)', [process.execPath, '-e', '0']],
      ['crawl --version', [bin, '--version']],
      ['crawl --help', [bin, '--help']],
      ['crawl stats (30-page database)', [bin, 'stats', '--db', db]],
      ['crawl runs --format json', [bin, 'runs', '--db', db, '--format', 'json']],
    ];
    const rows: string[] = [];
    for (const [name, argv] of commands) {
      timeOnce(argv); // warm the file cache
      const t = Array.from({ length: runs }, () => timeOnce(argv));
      rows.push(`| ${name} | ${median(t.map((x) => x.wallMs)).toFixed(0)} | ${median(t.map((x) => x.cpuMs)).toFixed(0)} |`);
    }
    const commit = (() => { try { return execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return 'unknown'; } })();
    const table = [
      `Start-up of the command line, ${root === HERE ? 'this build' : root} (commit ${commit}), median of ${runs} runs;`,
      `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, node ${process.version}; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}.`,
      '',
      '| command | wall ms | CPU ms |',
      '|---|--:|--:|',
      ...rows,
      '',
    ].join('\n');
    process.stdout.write(table);
    if (values.out) fs.writeFileSync(values.out, table);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
