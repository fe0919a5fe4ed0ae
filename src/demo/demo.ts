/**
 * `npm run demo`: crawls a generated 300-page site on 127.0.0.1 with the real CLI (no internet
 * needed) into data/demo.db, then checks the crawl from the server's side: every reachable page
 * fetched once, nothing fetched from the out-of-scope host.
 *
 * Extra arguments are passed on to the crawler, e.g. `npm run demo -- --verbose`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSite } from './site.js';

/** Repository root (this file is dist/src/demo/demo.js). */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CRAWL_BIN = path.join(ROOT, 'bin', 'crawl.js');
const DEMO_DB = path.join('data', 'demo.db');
const DEMO_PAGES = 300;

async function main(argv: string[]): Promise<number> {
  const site = await startSite({ pages: DEMO_PAGES });
  const tmp = mkdtempSync(path.join(tmpdir(), 'crawl-demo-'));
  try {
    const seeds = path.join(tmp, 'seeds.txt');
    writeFileSync(seeds, `# demo seed: a generated site with ${DEMO_PAGES} pages, redirects, 404s, a PDF and an out-of-scope link\n${site.url}/\n`);
    // A fresh database each time, so the demo always shows a full first crawl.
    mkdirSync(path.join(ROOT, 'data'), { recursive: true });
    for (const suffix of ['', '-wal', '-shm']) rmSync(path.join(ROOT, DEMO_DB + suffix), { force: true });
    const args = [CRAWL_BIN, '--urls', seeds, '--db', DEMO_DB, '--delay', '0ms', '--per-host', '8', ...argv];
    process.stdout.write(`demo: site ${site.url}/ (${DEMO_PAGES} pages, max depth ${site.maxDepth}); other host ${site.otherHostUrl}\n`);
    process.stdout.write(`demo: node ${path.relative(ROOT, CRAWL_BIN)} ${args.slice(1).join(' ')}\n\n`);
    const code = await run(process.execPath, args);

    const reachable = site.reachablePaths();
    const missed = reachable.filter((p) => !site.requests.has(p));
    const duplicates = reachable.reduce((n, p) => n + Math.max(0, (site.requests.get(p) ?? 0) - 1), 0);
    process.stdout.write(`\ndemo: the server saw ${site.totalRequests} requests: ${reachable.length - missed.length}/${reachable.length} pages fetched, ` +
      `${duplicates} fetched twice, ${site.otherHostTotalRequests} requests to the out-of-scope host\n`);
    if (missed.length) process.stdout.write(`demo: never fetched: ${missed.slice(0, 10).join(' ')}${missed.length > 10 ? ' ...' : ''}\n`);
    process.stdout.write(`demo: results in ${DEMO_DB}; try: sqlite3 ${DEMO_DB} "select url, status, title from pages limit 5"\n`);
    return code;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    await site.close();
  }
}

/** Runs the crawler with our stdio (its progress bar and summary show as is); resolves to its exit code. */
function run(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: 'inherit' });
    // Ctrl-C reaches the crawler too (same process group); do not die before it finishes cleanly.
    const onSigint = () => {};
    process.on('SIGINT', onSigint);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', onSigint);
      resolve(code ?? (signal ? 128 + 2 : 1));
    });
  });
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err) => {
  process.stderr.write(`demo: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
