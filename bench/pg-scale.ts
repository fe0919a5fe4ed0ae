/**
 * `npm run bench -- --pg-scale [--urls 5000000] [--hosts 20000] [--pages 2000000] [--rounds 20] [--plans TEXT] [--merge-between] [--out NAME]`:
 * the shared frontier's statements at scale. Builds a synthetic crawl in a throwaway PostgreSQL
 * cluster (URLs over hosts, part fetched with searchable text, part queued, 80,000 entries claimed by
 * 50 other owners over 1,000 hosts), then times what a worker does per claim, per write and on a
 * timer through the real backend (PostgresBackend), and has the server explain every statement it
 * ran (auto_explain with ANALYZE and BUFFERS): a Seq Scan on frontier, urls or pages is a failure,
 * and so is a join filter that removed over 10,000 rows (a cost that grows with a square). `--rounds`
 * sets how many rounds of 32 claims and a write are timed (the worker holds 32 more hosts each
 * round); `--plans TEXT` prints the plans of the statements containing TEXT; `--merge-between` runs
 * the search index's merge between rounds instead of beside them (the writes' own times).
 * Writes bench/results/<date>-pg-scale.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { FrontierEntry } from '../src/frontier/types.js';
import { PostgresBackend } from '../src/store/postgres/backend.js';
import searchVector from '../src/store/postgres/indexer.js';
import { MERGE_LOCK } from '../src/store/postgres/search-merge.js';
import type { PageOutcome } from '../src/store/types.js';
import { pgCluster } from '../test/helpers/pg.js';
import { machineDescription } from './report.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OTHER_OWNERS = 50, OWNED_HOSTS = 1_000, CLAIMS_PER_OWNED_HOST = 80;

type Timings = Map<string, number[]>;

async function timed<T>(t: Timings, name: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try { return await fn(); } finally { (t.get(name) ?? t.set(name, []).get(name)!).push(performance.now() - t0); }
}

const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };

/** The synthetic crawl: run 1 open; urls, frontier, hosts, pages (with search vectors) and other owners' claims. */
async function build(c: pg.Client, urls: number, hosts: number, pages: number): Promise<void> {
  const host = (g: string) => `'h' || (${g} % ${hosts}) || '.test'`;
  const steps: [string, string][] = [
    ['urls', `INSERT INTO urls (id, url, host, first_seen_at, first_seen_run)
      SELECT g, 'http://' || ${host('g')} || '/p/' || g, ${host('g')}, '2026-12-01T00:00:00.000Z', 1 FROM generate_series(1, ${urls}) g`],
    ['urls_seq', `SELECT setval('urls_id_seq', ${urls})`],
    ['frontier', `INSERT INTO frontier (url_id, host, depth, state, source)
      SELECT g, ${host('g')}, (g / ${hosts}) % 6, CASE WHEN g <= ${pages} THEN 2 ELSE 0 END, 'link' FROM generate_series(1, ${urls}) g`],
    ['hosts', `INSERT INTO hosts (host, has_queue) SELECT 'h' || i || '.test', true FROM generate_series(0, ${hosts - 1}) i`],
    ['pages', `INSERT INTO pages (url_id, url, host, depth, source, run_id, fetched_at, status, bytes, title, text, word_count,
        first_fetched_at, last_ok_at, search)
      SELECT u.id, u.url, u.host, 1, 'link', 1, '2026-12-01T00:00:00.000Z', 200, 6000, 'Page ' || u.id, x.t, 40,
        '2026-12-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z', setweight(to_tsvector('simple', 'page ' || u.id), 'A') || setweight(to_tsvector('simple', x.t), 'B')
      FROM urls u, LATERAL (SELECT string_agg('w' || ((u.id * k * 7919) % 20011), ' ') AS t FROM generate_series(1, 40) k) x WHERE u.id <= ${pages}`],
    ['links', `INSERT INTO links (src_id, dst_id, anchor) SELECT g, ${pages} + ((g * 31 + k) % (${urls} - ${pages})) + 1, 'link'
      FROM generate_series(1, ${Math.min(pages, 500_000)}) g, generate_series(1, 4) k ON CONFLICT DO NOTHING`],
    ['claims', `WITH owned AS (SELECT 'h' || i || '.test' AS host, 'other-' || (i % ${OTHER_OWNERS}) AS owner FROM generate_series(0, ${OWNED_HOSTS - 1}) i)
      UPDATE frontier f SET state = 1, owner = o.owner, epoch = 1 FROM owned o, LATERAL (
        SELECT url_id FROM frontier WHERE host = o.host AND state = 0 ORDER BY depth, url_id LIMIT ${CLAIMS_PER_OWNED_HOST}) x WHERE f.url_id = x.url_id`],
    ['owners', `UPDATE hosts SET owner = 'other-' || (substr(host, 2, length(host) - 6)::int % ${OTHER_OWNERS}), epoch = 1,
      lease_until = (extract(epoch from clock_timestamp()) * 1000)::bigint + 3600000 WHERE substr(host, 2, length(host) - 6)::int < ${OWNED_HOSTS}`],
    ['workers', `INSERT INTO run_workers (run_id, owner, joined_at, last_seen_at) SELECT 1, 'other-' || i, '2026-12-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z'
      FROM generate_series(0, ${OTHER_OWNERS - 1}) i`],
    ['analyze', 'VACUUM ANALYZE'],
  ];
  for (const [name, sql] of steps) {
    const t0 = performance.now();
    await c.query(sql);
    process.stderr.write(`  built ${name} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }
}

/** A fetched page as the crawl writes it: ~6 KB of text, 800 words (most distinct), its search vector, 20 links (half to new URLs). */
function outcome(e: FrontierEntry, n: number): PageOutcome {
  const words = Array.from({ length: 800 }, (_, k) => `w${(e.urlId * (k + 3) * 7919) % 20011}`).join(' ');
  const links = Array.from({ length: 20 }, (_, k) => {
    const host = `h${(e.urlId + k) % 20000}.test`;
    return { url: `http://${host}/new/${n}/${k}`, host, anchor: `link ${k}`, rel: null };
  });
  return {
    entry: e, change: 'new', fetchedAt: new Date().toISOString(), finalUrl: e.url, redirectTo: null, status: 200, contentType: 'text/html',
    encoding: 'utf-8', bytes: 6000, notModified: false, durationMs: 5, ttfbMs: 2, attempts: 1, errorCode: null, errorMessage: null, etag: null,
    lastModified: null, noindex: false, nofollow: false, contentHash: `h${e.urlId}`,
    content: { title: `Page ${e.urlId}`, description: null, canonical: null, lang: null, h1: null, metaRobots: null,
      text: new TextEncoder().encode(words), wordCount: 800, extract: null, searchVector: searchVector(`Page ${e.urlId}`, words) },
    links, follow: links.slice(0, 10).map((l) => ({ url: l.url, host: l.host, depth: e.depth + 1, source: 'link' as const })), recrawlIntervalS: null,
  };
}

/** What one worker does, through the real backend: claims, 256-page writes, heartbeats, expiry, pending, pacing, release. */
async function workload(b: PostgresBackend, t: Timings, rounds: number, hosts: number, between?: () => Promise<unknown>): Promise<void> {
  const owner = 'bench-worker';
  const lease = () => ({ owner, until: Date.now() + 30_000 });
  let n = 0;
  for (let r = 0; r < rounds; r++) {
    const held: FrontierEntry[] = [];
    for (let i = 0; i < 32; i++) {
      const host = `h${OWNED_HOSTS + ((r * 32 + i) * 7) % (hosts - OWNED_HOSTS)}.test`;
      held.push(...(await timed(t, 'claim (a free host, 8 entries)', () => b.claim(host, 8, lease()))).entries);
    }
    await timed(t, 'claim refused (a host another owner holds)', () => b.claim(`h${r % OWNED_HOSTS}.test`, 8, lease()));
    // The hosts claimed keep queued work, so the worker keeps them: it holds 32 more every round.
    await timed(t, `heartbeat (renew; 32 to ${32 * rounds} hosts held)`, () => b.renew(lease()));
    await timed(t, 'savePacing (32 hosts)', () => b.savePacing(owner, [...new Set(held.map((e) => e.host))].map((host) => ({
      host, nextAt: Date.now() + 500, crawlDelayMs: null, backoffMs: 0, robotsRetryAt: null, robotsFailures: 0 }))));
    const batch = held.slice(0, 256);
    // Pages and their search vectors are built before the clock starts: in a crawl, parse threads build them.
    const outcomes = batch.map((e) => outcome(e, n++));
    await timed(t, `write (${batch.length}-page batch, 20 links each, search vectors)`, () =>
      b.write({ runId: 1, owner, outcomes, skipped: [], requests: batch.length }));
    await timed(t, 'release (unstarted claims)', () => b.release(owner, held.slice(256).map((e) => e.urlId)));
    await timed(t, 'requeueExpired (periodic)', () => b.requeueExpired(Date.now()));
    await timed(t, 'pending (periodic, idle worker)', () => b.pending(Date.now()));
    await timed(t, 'queuedByHost (start, idle worker)', () => b.queuedByHost());
    await timed(t, 'enqueue (500 links over 200 hosts)', () => b.enqueue(Array.from({ length: 500 }, (_, k) => {
      const host = `h${(k * 13 + r) % 200}.test`;
      return { url: `http://${host}/seen/${r}/${k}`, host, depth: 2, source: 'link' as const };
    })));
    await between?.();
  }
}

export async function pgScaleBench(argv: string[]): Promise<void> {
  const opt = (name: string, d: number) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? Number(argv[i + 1]) : d; };
  const urls = opt('urls', 5_000_000), hosts = opt('hosts', 20_000), pages = opt('pages', 2_000_000), rounds = opt('rounds', 20);
  const cluster = await pgCluster();
  if (!cluster) throw new Error('no PostgreSQL server binaries: apt-get install -y postgresql');
  const url = cluster.newDatabase();
  const b = await PostgresBackend.open(url);
  await b.openRun({ optionsJson: JSON.stringify({ leaseMs: 30_000 }), owner: 'bench-worker' });
  const c = new pg.Client(url);
  await c.connect();
  process.stderr.write(`building ${urls} URLs over ${hosts} hosts (${pages} fetched)…\n`);
  await build(c, urls, hosts, pages);
  const pendingKb = opt('gin-pending', 0);
  if (pendingKb) await c.query(`ALTER INDEX pages_search SET (gin_pending_list_limit = ${pendingKb})`); // A/B of the schema's setting
  const t: Timings = new Map();
  // --gin-clean MS: a separate session merges the GIN pending list every MS (A/B of moving the merge off the writes).
  const cleanEvery = opt('gin-clean', 0);
  let cleaning = cleanEvery > 0;
  const cleaner = (async () => {
    while (cleaning) {
      await timed(t, 'gin_clean_pending_list (background session)', () => c.query("SELECT gin_clean_pending_list('pages_search')"));
      await new Promise((r) => setTimeout(r, cleanEvery));
    }
  })();
  // --merge-between: the search index's merge runs between rounds, untimed, rather than beside them
  // (this session holds the workers' merge lock, so the backend's own merger skips its turns): the
  // writes' times without the merge's CPU on the same cores.
  const between = argv.includes('--merge-between');
  if (between) await c.query('SELECT pg_advisory_lock($1)', [MERGE_LOCK]);
  await workload(b, t, rounds, hosts, between ? () => c.query("SELECT gin_clean_pending_list('pages_search')") : undefined); // timed, without the explain overhead
  if (between) await c.query('SELECT pg_advisory_unlock($1)', [MERGE_LOCK]);
  cleaning = false;
  await cleaner;
  // Then once more with every statement explained by the server (ANALYZE, BUFFERS) into its log.
  const db = (await c.query('SELECT current_database() AS d')).rows[0].d as string;
  await c.query(`ALTER DATABASE ${db} SET session_preload_libraries = 'auto_explain'`);
  for (const [k, v] of [['log_min_duration', '0'], ['log_analyze', 'on'], ['log_buffers', 'on'], ['log_nested_statements', 'on']]) {
    await c.query(`ALTER DATABASE ${db} SET auto_explain.${k} = ${v}`);
  }
  const logPath = path.join(path.dirname(cluster.dataDir), 'log');
  const logStart = fs.statSync(logPath).size;
  const explained = await PostgresBackend.open(url);
  await explained.openRun({ optionsJson: '{}', owner: 'bench-worker' });
  await workload(explained, new Map(), 2, hosts);
  await explained.close();
  await b.close();
  await c.end();
  const log = fs.readFileSync(logPath, 'utf8').slice(logStart);
  const plans = log.split(/\n(?=\S.*LOG:\s+duration:)/).filter((p) => p.includes('Query Text:'));
  const seq = plans.filter((p) => /Seq Scan on (frontier|urls|pages)\b/.test(p));
  // A join that compares every row with every other (a nested loop over a rescanned subquery): its
  // cost grows with the square of what it touches (the heartbeat's, before its InitPlan form).
  const quadratic = plans.filter((p) => [...p.matchAll(/Rows Removed by Join Filter: (\d+)/g)].some((m) => Number(m[1]) > 10_000));
  const slow = plans.map((p) => ({ ms: Number(/duration: ([\d.]+) ms/.exec(p)?.[1] ?? 0), text: (/Query Text: ([^\n]*)/.exec(p)?.[1] ?? '').slice(0, 140) }))
    .sort((a, b) => b.ms - a.ms).slice(0, 12);
  // Server time per statement over the explained rounds: where a write's time goes.
  const byStatement = new Map<string, { ms: number; n: number }>();
  for (const p of plans) {
    const text = (/Query Text: ([^\n]*)/.exec(p)?.[1] ?? '').replace(/\s+/g, ' ').slice(0, 100);
    const x = byStatement.get(text) ?? { ms: 0, n: 0 };
    x.ms += Number(/duration: ([\d.]+) ms/.exec(p)?.[1] ?? 0);
    x.n++;
    byStatement.set(text, x);
  }
  const totals = [...byStatement].sort((a, b) => b[1].ms - a[1].ms).slice(0, 16);
  const rows = [...t].map(([name, xs]) => `| ${name} | ${xs.length} | ${pct(xs, 0.5).toFixed(1)} | ${pct(xs, 0.99).toFixed(1)} | ${Math.max(...xs).toFixed(1)} |`);
  const report = [
    `# PostgreSQL frontier at scale — ${new Date().toISOString().slice(0, 10)}`, '',
    `${urls.toLocaleString('en')} URLs over ${hosts.toLocaleString('en')} hosts; ${pages.toLocaleString('en')} fetched pages with search vectors;`,
    `${(OWNED_HOSTS * CLAIMS_PER_OWNED_HOST).toLocaleString('en')} entries claimed by ${OTHER_OWNERS} other owners over ${OWNED_HOSTS} hosts.\n\n${machineDescription(ROOT)}`, '',
    'Times are whole transactions measured by the worker (server time plus a loopback round trip per statement).', '',
    '| operation | n | p50 ms | p99 ms | max ms |', '|---|---|---|---|---|', ...rows, '',
    `Statements explained by the server (auto_explain, ANALYZE, BUFFERS): ${plans.length}; with a Seq Scan on frontier, urls or pages: **${seq.length}**;`,
    `with a join filter that removed over 10,000 rows: **${quadratic.length}**.`, '',
    'Slowest statements of the explained rounds (server time with ANALYZE overhead):', '', '| ms | statement |', '|---|---|',
    ...slow.map((x) => `| ${x.ms.toFixed(1)} | \`${x.text.replace(/\|/g, '\\|')}\` |`), '',
    'Server time by statement over the explained rounds (with ANALYZE overhead):', '', '| total ms | calls | statement |', '|---|---|---|',
    ...totals.map(([text, x]) => `| ${x.ms.toFixed(1)} | ${x.n} | \`${text.replace(/\|/g, '\\|')}\` |`), '',
    ...[...seq, ...quadratic].slice(0, 5).map((p) => '```\n' + p.slice(0, 3000) + '\n```'),
    // --plans TEXT: the full plans of the statements whose text contains TEXT (the slowest two).
    ...(argv.includes('--plans') ? plans.filter((p) => (/Query Text: ([^\n]*)/.exec(p)?.[1] ?? '').includes(argv[argv.indexOf('--plans') + 1]))
      .sort((a, b) => Number(/duration: ([\d.]+) ms/.exec(b)?.[1] ?? 0) - Number(/duration: ([\d.]+) ms/.exec(a)?.[1] ?? 0))
      .slice(0, 2).map((p) => '```\n' + p.slice(0, 6000) + '\n```') : []),
  ].join('\n');
  const out = path.join(ROOT, 'bench', 'results', `${new Date().toISOString().slice(0, 10)}-${argv.includes('--out') ? argv[argv.indexOf('--out') + 1] : 'pg-scale'}.md`);
  fs.writeFileSync(out, report + '\n');
  process.stdout.write(report + `\n\nwritten to ${path.relative(ROOT, out)}\n`);
  if (seq.length || quadratic.length) process.exitCode = 1;
}
