/**
 * A crawl database for the HTML report tests, made the real way: three small sites on loopback
 * addresses (127.0.0.1-3, so the per-host chart has several hosts), crawled three times with
 * changes in between (new, changed, gone and failing pages for the history chart), with 404s, a
 * 500, a reset connection, a body over --max-bytes, redirect chains and a loop, slow pages, a large
 * page, non-HTML files, and a page whose title, anchors and links try to inject markup and script.
 */
import type http from 'node:http';
import { crawl } from '../src/index.js';
import { startRouteServer, type Handler } from './helpers/route-server.js';

/**
 * A title that would run script if the report inserted it as HTML or ended its JSON block early.
 * (No U+2028 here: the parser collapses it with other whitespace; test/report-html.test.ts puts one
 * into the database directly.)
 */
export const EVIL_TITLE = '</script><script>alert("title")</script> <b>bold</b> & "quotes" \'single\'';

/** Anchor text (as the page's text, so markup characters) aimed at the broken-links table. */
export const EVIL_ANCHOR = '<img src=x onerror=alert("anchor")>';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** An HTML page with a title, links ([href, anchor]) and some text. */
function page(title: string, links: [string, string][] = [], text = ''): string {
  const a = links.map(([href, anchor]) => `<li><a href="${esc(href)}">${esc(anchor)}</a></li>`).join('');
  return `<!doctype html><html><head><title>${esc(title)}</title></head><body><h1>${esc(title)}</h1><ul>${a}</ul><p>${esc(text)}</p></body></html>`;
}

function html(body: string | (() => string), delayMs = 0, status = 200): Handler {
  return (_req, res) => {
    const send = (): void => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
      res.end(typeof body === 'function' ? body() : body);
    };
    if (delayMs > 0) setTimeout(send, delayMs); else send();
  };
}

function redirect(to: string, status = 301): Handler {
  return (_req, res) => { res.writeHead(status, { location: to }); res.end(); };
}

function file(type: string, bytes: number): Handler {
  return (_req: http.IncomingMessage, res: http.ServerResponse) => { res.writeHead(200, { 'content-type': type }); res.end('x'.repeat(bytes)); };
}

/** Crawls the three sites three times into `db`; returns the run ids. */
export async function buildCrawledSite(db: string): Promise<number[]> {
  let run = 1;
  const words = (n: number, seed: string): string => Array.from({ length: n }, (_, i) => `${seed}${i % 17}`).join(' ');
  const a = await startRouteServer({});
  const b = await startRouteServer({}, '127.0.0.2');
  const c = await startRouteServer({}, '127.0.0.3');

  const home = (): [string, string][] => [
    ['/docs/1', 'Docs'], ['/about', 'About'], ['/old', 'Old page'], ['/r/a', 'Moved'], ['/loop/1', 'Loop'],
    ['/missing/1', 'Missing one'], ['/missing/2', 'Missing two'], ['/big', 'Big page'], ['/data.json', 'Data'],
    ['/file.pdf', 'PDF'], ['/error', 'Server error'], ['/evil', 'Evil'], ['/reset', 'Reset'], ['/huge', 'Huge'],
    ...[1, 2, 3, 4, 5].map((i): [string, string] => [`/slow/${i}`, `Slow ${i}`]),
    ...(run >= 2 ? [['/news', 'News'] as [string, string]] : []),
  ];
  Object.assign(a.routes, {
    '/': html(() => page('Docs home', home(), `run ${run >= 2 ? 2 : 1}`)),
    '/about': html(page('About', [['/', 'Home']], words(200, 'about'))),
    '/old': redirect('/new'), '/new': html(page('New place', [['/', 'Home']])),
    '/r/a': redirect('/r/b'), '/r/b': redirect('/r/c', 302), '/r/c': redirect('/docs/1'),
    '/loop/1': redirect('/loop/2', 302), '/loop/2': redirect('/loop/1', 302),
    '/big': html(page('A large page', [], words(40_000, 'big'))),
    '/data.json': file('application/json', 2_000), '/file.pdf': file('application/pdf', 60_000),
    '/error': html('<h1>Internal error</h1>', 0, 500),
    '/reset': (req) => req.socket.destroy(),
    '/huge': file('text/html', 1_200_000),
    '/evil': html(page(EVIL_TITLE, [['/missing/evil', EVIL_ANCHOR], ['/"><script>alert("href")</script>', 'Quoted href']])),
    '/news': html(() => page(`News of run ${run}`, run >= 3 ? [['/news/2', 'More news']] : [])),
    '/news/2': html(page('More news')),
  } satisfies Record<string, Handler>);
  [80, 180, 320, 650, 1200].forEach((ms, i) => { a.routes[`/slow/${i + 1}`] = html(page(`Slow ${i + 1}`, [], words(50 * (i + 1), 'slow')), ms); });
  for (let i = 1; i <= 8; i++) {
    const links: [string, string][] = i < 8 ? [[`/docs/${i + 1}`, 'Next']] : [];
    if (i % 3 === 0) links.push([`/missing/docs-${i}`, `Broken from docs ${i}`]);
    a.routes[`/docs/${i}`] = html(() => {
      // Docs 2 changes in run 2, docs 3 in run 3, docs 5 is gone from run 2 on (see below).
      const v = (i === 2 && run >= 2) || (i === 3 && run >= 3) ? run : 1;
      return page(`Docs ${i}`, links, words(300 + 100 * i, `d${i}v${v}-`));
    });
  }
  const docs5 = a.routes['/docs/5'];
  a.routes['/docs/5'] = (req, res) => (run >= 2 ? html('<h1>Gone</h1>', 0, 410)(req, res) : docs5(req, res));

  Object.assign(b.routes, {
    '/': html(page('Blog', [...[1, 2, 3, 4, 5, 6].map((i): [string, string] => [`/post/${i}`, `Post ${i}`]), ['/slow', 'Slow post']])),
    '/slow': html(page('Slow post', [], words(500, 'slowpost')), 450),
    '/gone-post': html('<h1>Gone</h1>', 0, 410),
  });
  for (let i = 1; i <= 6; i++) {
    b.routes[`/post/${i}`] = html(() => page(`Post ${i}`, i === 3 ? [['/gone-post', 'An old post']] : [['/', 'Blog']],
      words(800, `p${i}v${i === 2 ? run : 1}-`)), 30 * i);
  }

  Object.assign(c.routes, {
    '/': html(page('Shop', [...[1, 2, 3, 4, 9].map((i): [string, string] => [`/item/${i}`, `Item ${i}`]), ['/cart', 'Cart']])),
    '/cart': redirect('/login', 302), '/login': html(page('Log in')),
  });
  for (const i of [1, 2, 3, 4]) {
    c.routes[`/item/${i}`] = (req, res) => (i === 4 && run >= 3 ? html('nope', 0, 404)(req, res) : html(page(`Item ${i}`, [['/', 'Shop']], words(1500 * i, `i${i}`)), 120)(req, res));
  }

  const ids: number[] = [];
  for (run = 1; run <= 3; run++) {
    const summary = await crawl({
      seeds: [a.origin + '/', b.origin + '/', c.origin + '/'], db, delay: '0ms', perHost: 8, concurrency: 16,
      progress: false, quiet: true, retries: 0, recrawlAfter: '0', maxBytes: '1MiB',
    });
    ids.push(summary.runId);
  }
  return ids;
}
