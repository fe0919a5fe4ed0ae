/**
 * `crawl report html` as a person sees it: a database from three real crawls of local sites, the
 * report written by the CLI, opened from disk in headless Chromium with no network. Every chart
 * must have drawn coloured bars, nothing may log an error or open a dialog (the injected title and
 * anchors stay text), tables sort on a click, and a screenshot is saved (UPDATE_SCREENSHOT=1 also
 * writes docs/report.png, the picture the README shows).
 *
 * Needs Chromium (Debian: `apt-get install chromium`; .ci/run installs it). Without it the test is
 * skipped with the reason on a developer machine and fails in CI, so it never passes unseen.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, runCli, tempDir } from './helpers/cli.js';
import { findChromium, launchChromium, type Browser } from './helpers/chromium.js';
import { buildCrawledSite, EVIL_ANCHOR, EVIL_TITLE } from './report-site.js';
import { PAGE_ORDER } from '../src/report/charts.js';

const dir = tempDir('crawl-report-');
const DB = path.join(dir, 'site.db');
const OUT = path.join(dir, 'report.html');
const chromium = findChromium();
let browser: Browser | undefined;

before(async () => {
  const runs = await buildCrawledSite(DB);
  assert.equal(runs.length, 3);
  // Relative paths, as a person would type them (the page's header shows the --db given).
  const r = await runCli(['report', 'html', '--db', path.basename(DB), '--out', path.basename(OUT)], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  if (chromium) browser = await launchChromium(chromium);
}, { timeout: 300_000 });
after(async () => {
  await browser?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface CanvasInfo { id: string; rendered: string; width: number; height: number; ink: number; colour: number }

/** For each chart canvas: its size, pixels drawn at all, and saturated (bar-coloured, not grey text/grid) pixels. */
const CANVASES = `[...document.querySelectorAll('canvas[data-chart]')].map((c) => {
  const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let ink = 0, colour = 0;
  for (let i = 0; i < px.length; i += 4) {
    if (px[i + 3] === 0) continue;
    ink++;
    if (Math.max(px[i], px[i + 1], px[i + 2]) - Math.min(px[i], px[i + 1], px[i + 2]) > 60) colour++;
  }
  return { id: c.dataset.chart, rendered: c.dataset.rendered, width: c.width, height: c.height, ink, colour };
})`;

// A hung browser fails the test rather than the whole run (generous: machines differ several-fold in speed).
test('the report renders in Chromium: every chart drawn, no errors, injected text inert, tables sort; screenshot saved', { timeout: 180_000 }, async (t) => {
  if (!chromium) {
    const why = 'chromium is not installed (Debian: apt-get install -y chromium; .ci/run installs it; or set CHROMIUM=/path/to/chrome)';
    if (process.env.CI === 'true') assert.fail(`${why}: the HTML report cannot be checked in a browser`);
    t.skip(why);
    return;
  }
  const page = await browser!.newPage();
  await page.send('Emulation.setDeviceMetricsOverride', { width: 1280, height: 1000, deviceScaleFactor: 1, mobile: false });
  const loaded = page.once('Page.loadEventFired');
  await page.send('Page.navigate', { url: pathToFileURL(OUT).href });
  await loaded;
  // Two frames: Chart.js has drawn (it draws synchronously without animation; this also covers a resize).
  await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))');

  assert.deepEqual(page.errors, [], 'no console errors, exceptions, CSP violations or dialogs');
  const canvases = await page.evaluate<CanvasInfo[]>(CANVASES);
  assert.deepEqual(canvases.map((c) => c.id), PAGE_ORDER, 'one canvas per chart, in page order (this data leaves no chart empty)');
  assert.equal(await page.evaluate('document.documentElement.dataset.charts'), String(PAGE_ORDER.length));
  for (const c of canvases) {
    assert.ok(c.width > 100 && c.height > 100, `${c.id}: canvas sized (${c.width}x${c.height})`);
    assert.ok(Number(c.rendered) > 0, `${c.id}: Chart.js drew ${c.rendered} elements`);
    assert.ok(c.colour > 200, `${c.id}: coloured bars or slices drawn (${c.colour} coloured of ${c.ink} inked pixels)`);
  }

  // Attacker-controlled strings are text on the page, never markup or script.
  const dom = await page.evaluate<{ scripts: number; imgs: number; title: boolean; anchor: boolean; hrefs: string[] }>(`({
    scripts: document.scripts.length,
    imgs: document.images.length,
    title: document.querySelector('#largest + p + div, #largest ~ div')?.textContent.includes(${JSON.stringify(EVIL_TITLE)}) ?? false,
    anchor: document.body.textContent.includes(${JSON.stringify(EVIL_ANCHOR)}),
    hrefs: [...document.querySelectorAll('a[href]')].map((a) => a.protocol),
  })`);
  assert.equal(dom.scripts, 3, 'only the data block, Chart.js and the page script');
  assert.equal(dom.imgs, 0, 'no injected <img>');
  assert.ok(dom.title, 'the injected title shows as text in the largest-pages table');
  assert.ok(dom.anchor, 'the injected anchor shows as text in the broken-links table');
  assert.ok(dom.hrefs.length > 0 && dom.hrefs.every((p) => p === 'http:'), `links are http(s) only (${[...new Set(dom.hrefs)].join(',')})`);

  // Sorting: the slowest-pages table by its time column, ascending then descending.
  const sorted = (dirn: string) => page.evaluate<{ sort: string; values: number[] }>(`(() => {
    const table = document.querySelector('#slowest ~ .scroll table');
    const col = [...table.tHead.rows[0].cells].findIndex((th) => th.textContent.startsWith('time'));
    table.tHead.rows[0].cells[col].querySelector('button').click();
    return { sort: table.tHead.rows[0].cells[col].getAttribute('aria-sort'),
             values: [...table.tBodies[0].rows].map((r) => Number(r.cells[col].dataset.v)) };
  })() /* ${dirn} */`);
  const up = await sorted('ascending');
  assert.equal(up.sort, 'ascending');
  assert.deepEqual(up.values, [...up.values].sort((x, y) => x - y));
  const down = await sorted('descending');
  assert.equal(down.sort, 'descending');
  assert.deepEqual(down.values, [...up.values].sort((x, y) => y - x));
  assert.ok(down.values[0] >= 1200, `the 1.2 s page is the slowest (${down.values[0]} ms)`);

  // The screenshot: the summary and every chart (down to the first table's heading).
  const bottom = await page.evaluate<number>("Math.ceil(document.querySelector('.charts').getBoundingClientRect().bottom + window.scrollY + 12)");
  const shot = await page.send<{ data: string }>('Page.captureScreenshot', {
    format: 'png', captureBeyondViewport: true, clip: { x: 0, y: 0, width: 1280, height: bottom, scale: 1 },
  });
  const png = Buffer.from(shot.data, 'base64');
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  assert.ok(png.length > 20_000, `screenshot has content (${png.length} bytes)`);
  fs.writeFileSync(path.join(dir, 'report.png'), png);
  if (process.env.UPDATE_SCREENSHOT === '1') fs.writeFileSync(path.join(ROOT, 'docs', 'report.png'), png);
  assert.deepEqual(page.errors, []);
});
