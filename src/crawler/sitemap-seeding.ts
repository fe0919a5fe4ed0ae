/** --sitemaps: seeds the frontier from robots.txt Sitemap: lines and /sitemap.xml of each seed origin. */
import { readSitemaps, type SitemapStart } from '../polite/sitemaps.js';
import type { EnqueueItem } from '../frontier/types.js';
import { normalizeUrl } from '../url/normalize.js';
import type { CrawlContext } from './context.js';
import { hostOf } from '../url/host.js';

const BATCH = 500;

/** Streams every sitemap of the seeds' origins into the frontier (depth 1, in scope only). */
export async function seedFromSitemaps(ctx: CrawlContext, origins: string[]): Promise<void> {
  for (const origin of origins) {
    const starts: SitemapStart[] = [];
    if (ctx.robots) {
      await ctx.robots.check(origin + '/');
      for (const url of ctx.robots.sitemaps(origin)) starts.push({ url, robotsOrigin: origin });
    }
    starts.push({ url: origin + '/sitemap.xml', robotsOrigin: origin });
    let batch: EnqueueItem[] = [];
    const push = async () => {
      if (!batch.length) return;
      await ctx.frontier.enqueue(batch);
      batch = [];
    };
    for await (const item of readSitemaps(starts, {
      fetcher: ctx.fetcher, signal: ctx.hardStop, onEvent: (e) => { if (e.type === 'sitemap') ctx.outbox.request(); },
    })) {
      const url = normalizeUrl(item.url, undefined, ctx.rules);
      if (!url || ctx.scope.check(url, 1)) continue;
      batch.push({ url, host: hostOf(url), depth: 1, source: 'sitemap', lastmod: item.lastmod ?? undefined });
      if (batch.length >= BATCH) await push();
    }
    await push();
  }
}
