#!/usr/bin/env node
/**
 * The Crawlee side of `npm run bench`: a CheerioCrawler doing the same work as our crawler
 * (fetch, parse, extract title / description / canonical / h1 / links / text, follow same-origin
 * links) into Crawlee's default storage (a Dataset on disk under CRAWLEE_STORAGE_DIR, which
 * bench.ts points at a temp dir). Tuned the way a fair user would: fixed concurrency (no slow
 * autoscaling ramp-up), robots.txt ignored like ours with --ignore-robots, logging at WARNING.
 *
 * Usage: node bench/crawlee-runner.mjs --start URL [--concurrency 64] [--max-requests N]
 * Prints one JSON line {"event":"summary", ...} on stdout at the end.
 */
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    start: { type: 'string' },
    concurrency: { type: 'string', default: '64' },
    'max-requests': { type: 'string' },
  },
});
if (!values.start) {
  process.stderr.write('crawlee-runner: --start URL is required\n');
  process.exit(2);
}

let crawlee;
try {
  crawlee = await import('@crawlee/cheerio');
} catch (err) {
  process.stderr.write(`crawlee-runner: cannot load @crawlee/cheerio (${err.code ?? err.message}); install it with: npm install --no-save @crawlee/cheerio@3.18\n`);
  process.exit(78);
}
const { CheerioCrawler, log, LogLevel } = crawlee;
log.setLevel(LogLevel.WARNING);

const concurrency = Number(values.concurrency);
const started = performance.now();
let pages = 0;
let failed = 0;

const crawler = new CheerioCrawler({
  minConcurrency: concurrency,
  maxConcurrency: concurrency,
  maxRequestsPerCrawl: values['max-requests'] ? Number(values['max-requests']) : undefined,
  async requestHandler({ request, $, enqueueLinks, pushData }) {
    const base = request.loadedUrl ?? request.url;
    const links = [];
    $('a[href]').each((_, el) => {
      try { links.push(new URL($(el).attr('href'), base).href); } catch { /* not a URL */ }
    });
    await pushData({
      url: request.url,
      title: $('title').first().text().trim(),
      description: $('meta[name="description"]').attr('content') ?? null,
      canonical: $('link[rel="canonical"]').attr('href') ?? null,
      h1: $('h1').first().text().trim(),
      links,
      text: $('body').text().replace(/\s+/g, ' ').trim(),
    });
    await enqueueLinks({ urls: links, strategy: 'same-origin' });
    pages++;
  },
  failedRequestHandler() {
    failed++;
  },
});

await crawler.run([values.start]);
const ru = process.resourceUsage();
process.stdout.write(JSON.stringify({
  event: 'summary',
  tool: 'crawlee',
  pages,
  failed,
  elapsed_ms: Math.round(performance.now() - started),
  cpu_s: (ru.userCPUTime + ru.systemCPUTime) / 1e6,
  max_rss_mb: Math.round(ru.maxRSS / 1024),
}) + '\n');
