/** Crawls of the render test site, and what they stored, for the render tests and the bench. */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { crawl } from '../../src/index.js';
import type { CrawlOptions } from '../../src/options/options.js';
import { findChromium } from '../helpers/chromium.js';

/** The browser the render tests drive: $CHROMIUM or one on PATH. */
export const CHROMIUM = findChromium();

/** Why render tests are skipped here, or fail in CI (they never pass unseen). */
export const NO_CHROMIUM = 'chromium is not installed (Debian: apt-get install -y chromium; .ci/run installs it; or set CHROMIUM=/path/to/chrome)';

/** Whether a render test can run: skipped with NO_CHROMIUM where there is no browser, a failure under CI=true. */
export function needChromium(t: TestContext): boolean {
  if (CHROMIUM) return true;
  if (process.env.CI === 'true') assert.fail(NO_CHROMIUM);
  t.skip(NO_CHROMIUM);
  return false;
}

/** Options of a quick local crawl of the given URLs only (depth 0: the seed list is the site). */
export function siteOptions(dir: string, name: string, urls: string[], extra: Partial<CrawlOptions> = {}): Partial<CrawlOptions> & { seeds: string[] } {
  return {
    seeds: urls, db: path.join(dir, `${name}.db`), delay: '0ms', perHost: 8, concurrency: 16, maxDepth: 0, progress: false, quiet: true,
    renderConcurrency: 4, browser: CHROMIUM, ...extra,
  };
}

/** Crawls and returns each stored page by path: title, text, sorted link targets, rendered, error. */
export async function crawlSite(opts: Partial<CrawlOptions> & { seeds: string[] }) {
  const summary = await crawl(opts);
  const db = new Database(opts.db!, { readonly: true });
  try {
    const pages = new Map<string, { title: string | null; text: string | null; links: string[]; rendered: string | null; error: string | null }>();
    for (const r of db.prepare('SELECT url_id, url, title, text, rendered, error_code FROM pages').all() as Record<string, string | null>[]) {
      const links = (db.prepare('SELECT u.url FROM links l JOIN urls u ON u.id = l.dst_id WHERE l.src_id = ? ORDER BY u.url').all(r.url_id) as { url: string }[])
        .map((l) => new URL(l.url).pathname);
      pages.set(new URL(r.url!).pathname, { title: r.title, text: r.text, links, rendered: r.rendered, error: r.error_code });
    }
    const verdicts = db.prepare('SELECT * FROM render_verdicts ORDER BY prefix').all() as Record<string, unknown>[];
    return { summary, pages, verdicts };
  } finally {
    db.close();
  }
}
