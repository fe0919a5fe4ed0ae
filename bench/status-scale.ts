/**
 * `node dist/bench/status-scale.js [--urls 5000000] [--out NAME]`: what `crawl status` costs on a
 * large shared frontier. A throwaway cluster (test/helpers/pg.ts) gets a synthetic frontier of
 * --urls entries over 20,000 hosts (1% queued, 0.2% claimed by 50 workers, the rest done; 2,000
 * hosts leased, 100 of them expired), VACUUM ANALYZE, then EXPLAIN (ANALYZE, BUFFERS) of every
 * statement of the report three times, and three runs of the real `crawl status`. Writes
 * bench/results/<date>-status-scale.md (or --out NAME.md).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { PostgresBackend } from '../src/store/postgres/backend.js';
import { STATUS_STATEMENTS } from '../src/store/postgres/status.js';
import { pgCluster } from '../test/helpers/pg.js';
import { machineDescription } from './report.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const { values } = parseArgs({ options: { urls: { type: 'string', default: '5000000' }, out: { type: 'string' } } });
const N = Number(values.urls);
const WORKERS = 50;
const owner = (i: string) => `'m' || (${i}) || ':' || (1000 + (${i})) || ':abcd'`;

const cluster = (await pgCluster())!;
if (!cluster) throw new Error('PostgreSQL not found (see the message above)');
const b = await PostgresBackend.open(cluster.url);
const { run } = await b.openRun({ optionsJson: '{}', owner: 'bench:1:a' });
await b.close();
const c = new pg.Client(cluster.url);
await c.connect();
const lines: string[] = [];
const log = (s: string) => { lines.push(s); process.stdout.write(s + '\n'); };
try {
  const now = Date.now();
  let t = Date.now();
  await c.query(`INSERT INTO run_workers (run_id, owner, joined_at, last_seen_at, pages) SELECT $1, ${owner('i')}, $2, $3, 1000
    FROM generate_series(1, ${WORKERS}) i`, [run.id, new Date(now - 600_000).toISOString(), new Date(now).toISOString()]);
  await c.query(`INSERT INTO frontier (url_id, host, depth, state, source, owner, lease_until)
    SELECT i, 'h' || (i % 20000) || '.test', 1, CASE WHEN i % 100 = 0 THEN 0 WHEN i % 500 = 1 THEN 1 ELSE 2 END, 'link',
      CASE WHEN i % 500 = 1 THEN ${owner(`i % ${WORKERS} + 1`)} END, CASE WHEN i % 500 = 1 THEN $2::bigint + 3600000 END
    FROM generate_series(1, $1::int) i`, [N, now]);
  await c.query(`INSERT INTO hosts (host, owner, lease_until) SELECT 'h' || i || '.test', CASE WHEN i < 2000 THEN ${owner(`i % ${WORKERS} + 1`)} END,
    CASE WHEN i < 1900 THEN $1::bigint + 3600000 WHEN i < 2000 THEN 0 END FROM generate_series(0, 19999) i`, [now]);
  await c.query('VACUUM ANALYZE');
  log(`# crawl status on a synthetic ${N.toLocaleString('en-US')}-entry frontier\n\n${machineDescription(ROOT).split('\n').filter((l) => !/site server/.test(l)).join('\n')}\n`);
  log(`Load and VACUUM ANALYZE: ${((Date.now() - t) / 1000).toFixed(1)} s. 20,000 hosts, ${WORKERS} workers, 2,000 host leases (100 expired).\n`);
  log('| statement | run 1 ms | run 2 ms | run 3 ms |\n|---|---|---|---|');
  const plans: string[] = [];
  for (const s of STATUS_STATEMENTS) {
    const ms: string[] = [];
    for (let i = 0; i < 3; i++) {
      const plan = (await c.query(`EXPLAIN (ANALYZE, BUFFERS) ${s.sql}`, s.params(Date.now(), run.id))).rows.map((r) => r['QUERY PLAN'] as string).join('\n');
      ms.push(/Execution Time: ([\d.]+) ms/.exec(plan)![1]);
      if (i === 2) plans.push(`### ${s.name}\n\n\`\`\`\n${plan}\n\`\`\``);
      if (/Seq Scan on (frontier|urls|pages)/.test(plan)) log(`**${s.name}: Seq Scan**`);
    }
    log(`| ${s.name} | ${ms.join(' | ')} |`);
  }
  // `crawl --version` beside it: the process start-up alone, on this machine at this load.
  const wall = (args: string[]) => [1, 2, 3].map(() => { const t0 = Date.now(); execFileSync(process.execPath, [path.join(ROOT, 'bin/crawl.js'), ...args]); return Date.now() - t0; });
  const status = wall(['status', '--db', cluster.url, '--format', 'json']);
  const version = wall(['--version']);
  log(`\n\`crawl status\` wall time, process start included: ${status.join(', ')} ms (\`crawl --version\`: ${version.join(', ')} ms; load average ${os.loadavg()[0].toFixed(1)}).`);
  log(`\n## Plans (run 3)\n\n${plans.join('\n\n')}`);
} finally {
  await c.end();
}
const out = path.join(ROOT, 'bench', 'results', `${values.out ?? `${new Date().toISOString().slice(0, 10)}-status-scale`}.md`);
fs.writeFileSync(out, lines.join('\n') + '\n');
process.stdout.write(`wrote ${out}\n`);
