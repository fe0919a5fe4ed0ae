/**
 * One page's render inside its fresh context: every request is intercepted (the main document is
 * answered with the bytes already fetched, everything else by ./subfetch.ts), WebSockets are
 * refused (service workers are blocked by the pool's contexts), and the page is read once it has settled: `load`, then at most LIMITS.idleOpen requests
 * open for LIMITS.idleMs and none held back by the crawler's own pacing, capped at LIMITS.settleCapMs of
 * the page's own time (time a request waits for the crawler's pacing does not count)
 * (long-lived connections are refused, so they never hold it).
 */
import type { Page, Route } from 'playwright-core';
import { PageLane } from './pacer.js';
import type { PageBudget, SubFetcher } from './subfetch.js';
import { LIMITS } from './types.js';

/** The main document as fetched: what the browser is given for the page's own URL. */
export interface MainDocument {
  url: string;
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
  /** With --warc: its response record's WARC-Record-ID. */
  recordId?: string;
}

const MAIN_DROP = new Set(['content-encoding', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'set-cookie']);

/** Renders `doc` in `page`; resolves to the serialized DOM and what the page spent. */
export async function renderPage(
  page: Page, doc: MainDocument, sub: SubFetcher, signal: AbortSignal, pageHost: string,
): Promise<{ html: string; budget: PageBudget }> {
  const budget: PageBudget = { pageHost, lane: new PageLane(), signal, requests: 0, bytes: 0, refused: 0, waiting: 0, warcPage: doc.recordId };
  const mainHeaders: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc.headers)) if (!MAIN_DROP.has(k)) mainHeaders[k] = v;
  // Requests open now, and since when at most LIMITS.idleOpen have been and none was held back by
  // the host's pacing (null: not quiet). A request leaving the pacer restarts the clock: its fetch
  // starts only then.
  let open = 0;
  let quietSince: number | null = Date.now();
  const changed = () => {
    if (open > LIMITS.idleOpen || budget.waiting > 0) quietSince = null;
    else quietSince ??= Date.now();
  };
  budget.onWaiting = changed;
  const opened = () => { open++; changed(); };
  const closed = () => { open--; changed(); };

  let navigated = false;
  await page.routeWebSocket(/.*/, (ws) => { void ws.close({ code: 1008, reason: 'no network in the crawler\'s browser' }).catch(() => {}); });
  await page.route('**/*', async (route: Route) => {
    const req = route.request();
    const url = req.url();
    const type = req.resourceType();
    // The page's own URL (its navigation, however Chromium spells the URL, or a script reading it
    // again): the fetched bytes, never a second fetch.
    const first = !navigated && req.isNavigationRequest() && req.frame() === page.mainFrame();
    if ((url === doc.url || first) && req.method() === 'GET') {
      navigated = true;
      await route.fulfill({ status: doc.status, headers: mainHeaders, body: Buffer.from(doc.body) }).catch(() => {});
      return;
    }
    const longLived = type === 'eventsource' || type === 'websocket';
    if (!longLived) opened();
    try {
      const a = await sub.answer(url, req.method(), type, budget);
      if (a.kind === 'fulfill') await route.fulfill({ status: a.response.status, headers: a.response.headers, body: a.response.body });
      else await route.abort('blockedbyclient');
    } catch { /* the page or its context closed while this was answered */ } finally {
      if (!longLived) closed();
    }
  });

  await page.goto(doc.url, { waitUntil: 'load', timeout: 0 });
  if (quietSince !== null) quietSince = Date.now(); // the quiet time counts from `load`
  let capAt = Date.now() + LIMITS.settleCapMs;
  while (Date.now() < capAt && !signal.aborted) {
    if (quietSince !== null && Date.now() - quietSince >= LIMITS.idleMs) break;
    const before = Date.now();
    await new Promise((r) => setTimeout(r, 50));
    // While a request is held back by the crawler's own pacing the page waits for us, not for the
    // site: the cap does not run then (the render timeout still bounds the whole render). Four pages
    // rendered at once on one host paced 600 ms apart had a page's data request wait past the cap.
    if (budget.waiting > 0) capAt += Date.now() - before;
  }
  const html = await page.content();
  return { html, budget };
}
