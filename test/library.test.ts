/** The library API: typed options, callbacks (onPage, onError, onLink veto/priority), AbortSignal. */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import Database from 'better-sqlite3';
// Imported by package name, as a user would (self-reference through package.json "exports").
import { crawl, BadInputError, type PageEvent, type UrlErrorEvent } from 'crawl';
import { startSite, type Site } from '../src/demo/site.js';
import { tempDir } from './helpers/cli.js';

let site: Site;
let dir: string;
before(async () => { site = await startSite({ pages: 120, fanOut: 5, pageBytes: 3000 }); dir = tempDir(); });
after(async () => { await site.close(); fs.rmSync(dir, { recursive: true, force: true }); });

const opts = (name: string) => ({ seeds: [site.url + '/'], db: path.join(dir, name), delay: '0ms', perHost: 8, progress: false });

test('onPage, onError and onLink (veto and reprioritize) are called; the summary is returned', async () => {
  site.resetCounts();
  const pages: PageEvent[] = [];
  const errors: UrlErrorEvent[] = [];
  const vetoed = new Set<string>();
  let reprioritized = 0;
  const summary = await crawl(opts('cb.db'), {
    onPage: (p) => pages.push(p),
    onError: (e) => errors.push(e),
    onLink: (l) => {
      if (l.url.endsWith('/p/7')) { vetoed.add(l.url); return false; }
      if (l.url.endsWith('/p/100')) { reprioritized++; return 1; }
      return undefined;
    },
  });
  assert.equal(summary.status, 'done');
  assert.equal(summary.counters.pages, pages.length);
  assert.ok(vetoed.size > 0);
  assert.equal(site.requests.get('/p/7') ?? 0, 0, 'a vetoed link is never fetched');
  assert.ok(reprioritized > 0);
  const d = new Database(opts('cb.db').db, { readonly: true });
  const depth = d.prepare('SELECT depth FROM pages WHERE url = ?').get(site.url + '/p/100') as { depth: number };
  d.close();
  assert.equal(depth.depth, 1, 'onLink can requeue a URL at another depth');
  assert.ok(errors.some((e) => e.status === 404 && e.code === 'HTTP_STATUS'), 'onError sees the 404s');
  assert.ok(pages.some((p) => p.title && p.status === 200));
});

test('an AbortSignal stops the crawl gracefully; the next call resumes the same run', async () => {
  site.resetCounts();
  const ac = new AbortController();
  let seen = 0;
  const first = await crawl(opts('abort.db'), { signal: ac.signal, onPage: () => { if (++seen === 10) ac.abort(); } });
  assert.equal(first.status, 'interrupted');
  assert.equal(first.stopReason, 'aborted');
  assert.ok(first.counters.pages < site.reachablePaths().length);
  const second = await crawl(opts('abort.db'));
  assert.equal(second.runId, first.runId);
  assert.equal(second.resumed, true);
  assert.equal(second.status, 'done');
  for (const p of site.reachablePaths()) assert.equal(site.requests.get(p), 1, `${p} fetched once`);
});

test('bad options throw BadInputError naming the option, before anything is fetched', async () => {
  site.resetCounts();
  await assert.rejects(crawl({ ...opts('bad.db'), concurrency: 0 }), (e: unknown) => e instanceof BadInputError && /concurrency/.test(e.message));
  await assert.rejects(crawl({ ...opts('bad.db'), maxPage: 3 } as never), (e: unknown) => e instanceof BadInputError && /did you mean "maxPages"/.test(e.message));
  await assert.rejects(crawl({ ...opts('bad.db'), seeds: ['ftp://x/'] }), BadInputError);
  assert.equal(site.totalRequests, 0);
});
