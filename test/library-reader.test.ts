/** The README's library example that reads a crawl (withReader) runs as printed, on SQLite and on PostgreSQL. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startSite, type Site } from '../src/demo/site.js';
import { crawl } from '../src/index.js';
import { ROOT, tempDir } from './helpers/cli.js';
import { pgCluster } from './helpers/pg.js';

const cluster = await pgCluster();
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const dir = tempDir('crawl-library-reader-');
let site: Site;
before(async () => { site = await startSite({ pages: 30, fanOut: 4, pageBytes: 1500 }); });
after(async () => { await site.close(); fs.rmSync(dir, { recursive: true, force: true }); });

/** Runs `code` as an .mjs file in the package folder, so `from 'crawl'` resolves to this package. */
async function runMjs(code: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const file = path.join(ROOT, `.readme-reader-${process.pid}.mjs`);
  fs.writeFileSync(file, code);
  try {
    return await new Promise((resolve) => {
      const child = spawn(process.execPath, [file], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '', stderr = '';
      child.stdout.on('data', (d) => { stdout += d; });
      child.stderr.on('data', (d) => { stderr += d; });
      child.on('close', (c) => resolve({ code: c, stdout, stderr }));
    });
  } finally {
    fs.rmSync(file, { force: true });
  }
}

const block = /```js\n(import \{ withReader \} from 'crawl';[\s\S]*?)```/.exec(readme)?.[1];

for (const backend of ['sqlite', 'postgres'] as const) {
  test(`the README reader example runs as printed on ${backend}`, { skip: backend === 'postgres' && !cluster ? 'PostgreSQL not found' : false }, async () => {
    assert.ok(block, 'the withReader example in the README');
    const db = backend === 'sqlite' ? path.join(dir, 'example.db') : cluster!.newDatabase();
    const s = await crawl({ seeds: [site.url + '/'], db, delay: '0ms', perHost: 8, progress: false });
    assert.equal(s.status, 'done');
    const out = await runMjs(block.replace("'data/example.db'", JSON.stringify(db)).replace("search('example'", "search('page'"));
    assert.equal(out.code, 0, out.stderr);
    const lines = out.stdout.trim().split('\n');
    assert.equal(lines[0], `run ${s.runId} done`);
    assert.ok(lines.slice(1, 6).every((l) => l.startsWith(site.url + '/')), 'search hits');
    assert.ok(lines.some((l) => /^404 http:/.test(l)), 'a broken page from the export');
  });
}
