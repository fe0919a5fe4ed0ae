/** Seed files are validated, then streamed into the frontier; runs.options keeps their name, count and digest. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { crawl } from '../src/index.js';
import { scanSeedFile, seedBatches } from '../src/frontier/seeds.js';
import { startRouteServer } from './helpers/route-server.js';
import { tempDir } from './helpers/cli.js';

const dir = tempDir();
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const rules = { stripParams: [] };

test('LF, CRLF and CR-only line endings (also split across chunks) all separate seeds', async () => {
  const file = path.join(dir, 'endings.txt');
  fs.writeFileSync(file, 'http://a.test/1\rhttp://a.test/2\r\nhttp://b.test/3\n# c\r\rhttp://a.test/4 # note\r');
  const scan = await scanSeedFile(file, rules, 2048);
  assert.equal(scan.count, 4);
  assert.deepEqual(scan.origins.sort(), ['http://a.test', 'http://b.test']);
  const all: string[] = [];
  for await (const b of seedBatches(file, rules, 3)) all.push(...b);
  assert.deepEqual(all, ['http://a.test/1', 'http://a.test/2', 'http://b.test/3', 'http://a.test/4']);
  const big = path.join(dir, 'big-crlf.txt');
  fs.writeFileSync(big, Array.from({ length: 100_000 }, (_, i) => `http://a.test/p/${i}`).join('\r\n'));
  assert.equal((await scanSeedFile(big, rules, 2048)).count, 100_000, 'a CRLF cut between two 1 MiB chunks is one line break');
});

test('a bad line deep in a large file is reported with its number; nothing is created', async () => {
  const file = path.join(dir, 'bad.txt');
  const lines = Array.from({ length: 60_000 }, (_, i) => `http://a.test/p/${i}`);
  lines[54_321] = 'ftp://a.test/x';
  fs.writeFileSync(file, lines.join('\n'));
  await assert.rejects(scanSeedFile(file, rules, 2048), /bad.txt:54322: .*scheme "ftp"/);
});

test('20,000 seeds: queued in batches while the crawl runs; runs.options keeps count and digest, not the lines', async () => {
  const srv = await startRouteServer({ '/robots.txt': (_q, res) => { res.writeHead(200); res.end('User-agent: *\nDisallow: /\n'); } });
  const file = path.join(dir, 'many.txt');
  fs.writeFileSync(file, Array.from({ length: 20_000 }, (_, i) => `${srv.origin}/p/${i}`).join('\n'));
  const db = path.join(dir, 'many.db');
  const summary = await crawl({ urls: file, db, delay: '0ms', perHost: 16, progress: false });
  assert.equal(summary.counters.disallowed, 20_000, 'every seed reached the frontier');
  const d = new Database(db, { readonly: true });
  const row = d.prepare('SELECT options FROM runs').get() as { options: string };
  d.close();
  assert.ok(row.options.length < 5_000, `runs.options is ${row.options.length} bytes`);
  const o = JSON.parse(row.options) as { seeds: string[]; seedCount: number; seedDigest: string; seedFile: string; seedOrigins: string[] };
  assert.deepEqual([o.seeds.length, o.seedCount, o.seedFile, o.seedOrigins], [0, 20_000, file, [srv.origin]]);
  assert.match(o.seedDigest, /^[0-9a-f]{64}$/);
});
