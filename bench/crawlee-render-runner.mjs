#!/usr/bin/env node
/**
 * The Crawlee side of `npm run bench -- --render`: a PlaywrightCrawler on the installed Chromium
 * (launchContext.launchOptions.executablePath; Playwright's own browser downloads are impossible
 * here), rendering each URL of a list and extracting title, text and links, like ours. Fixed
 * concurrency (no autoscaling ramp-up), Crawlee's default navigation wait (`load`).
 *
 * Usage: node bench/crawlee-render-runner.mjs --urls FILE --browser PATH [--concurrency 8]
 * Prints one JSON line {"event":"summary", ...} on stdout: pages, and pages whose title shows the
 * app finished building them ("complete").
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { urls: { type: 'string' }, browser: { type: 'string' }, concurrency: { type: 'string', default: '8' } } });
let crawlee;
let playwright;
try {
  crawlee = await import('@crawlee/playwright');
  playwright = await import('playwright');
} catch (err) {
  process.stderr.write(`crawlee-render-runner: cannot load @crawlee/playwright or playwright (${err.code ?? err.message}); install them with: npm install --no-save @crawlee/playwright@3.18 playwright\n`);
  process.exit(78);
}
const { PlaywrightCrawler, log, LogLevel } = crawlee;
log.setLevel(LogLevel.WARNING);
const urls = fs.readFileSync(values.urls, 'utf8').split('\n').filter(Boolean);
const concurrency = Number(values.concurrency);
let pages = 0;
let complete = 0;
let failed = 0;
const started = performance.now();
const crawler = new PlaywrightCrawler({
  launchContext: {
    launcher: playwright.chromium,
    launchOptions: {
      executablePath: values.browser, headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    },
  },
  minConcurrency: concurrency,
  maxConcurrency: concurrency,
  maxRequestRetries: 1,
  async requestHandler({ page, request, pushData }) {
    const title = await page.title();
    const links = await page.$$eval('a[href]', (as) => as.map((a) => a.href));
    const text = await page.evaluate(() => document.body?.innerText ?? '');
    await pushData({ url: request.url, title, links, text });
    pages++;
    if (/page \d+$/.test(title)) complete++;
  },
  failedRequestHandler() { failed++; },
});
await crawler.run(urls);
const ru = process.resourceUsage();
process.stdout.write(JSON.stringify({ event: 'summary', tool: 'crawlee-playwright', pages, complete, failed, elapsed_ms: Math.round(performance.now() - started), cpu_s: (ru.userCPUTime + ru.systemCPUTime) / 1e6 }) + '\n');
