/**
 * The render test site's HTTP server on 127.0.0.1:0. It logs every request with its start and end
 * time, so tests can check from the server's side what the crawler's browser asked for: nothing
 * robots.txt disallows, each page once, per-host gaps and requests in flight.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildBundles } from './build.js';
import { STATIC_SCRIPTS, type Framework } from './apps.js';
import { COUNTS, FRAMEWORKS, pageData, type Kind, type PageData } from './model.js';

export interface Logged { path: string; method: string; start: number; end: number; inflight: number }

export interface RenderSite {
  base: string;
  log: Logged[];
  /** Most requests in flight at once (robots.txt excluded). */
  maxInflight: number;
  /** Milliseconds every response but robots.txt waits before it is sent (tests that need requests to overlap). */
  slowMs: number;
  /** Paths answered only after 3 s the first time they are asked for (a render to interrupt). */
  holdOnce: Set<string>;
  close(): Promise<void>;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const json = (d: unknown) => JSON.stringify(d).replace(/</g, '\\u003c');

const ROBOTS = 'User-agent: *\nDisallow: /private/\n';
const TRACKER = '<script src="/private/track.js"></script>';

function page(head: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">${head}</head><body>${body}${TRACKER}</body></html>`;
}

/** The client-rendered shells: each framework's app starts from a different kind of empty page. */
function csrShell(fw: Framework, d: PageData): string {
  const script = `<script src="/assets/${fw}-csr.js"></script>`;
  if (fw === 'react') return page('<title>React app</title>', `<div id="root"></div>${script}`);
  if (fw === 'vue') return page('<title>Loading…</title>', `<div id="app"></div><p>Loading…</p>${script}`);
  void d;
  return page('<title>Preact app</title>', `<noscript>You need to enable JavaScript to run this app.</noscript><div id="preact-mount"></div>${script}`);
}

async function ssrPage(fw: Framework, d: PageData, render: (d: unknown) => Promise<string> | string): Promise<string> {
  const html = await render(d);
  const script = `<script src="/assets/${fw}-hydrate.js" defer></script>`;
  const title = `<title>${esc(d.title)}</title>`;
  if (fw === 'react') return page(title, `<div id="root">${html}</div><script id="__NEXT_DATA__" type="application/json">${json(d)}</script>${script}`);
  if (fw === 'vue') return page(title, `<div id="app">${html}</div><script>window.__NUXT__={data:${json(d)}}</script>${script}`);
  return page(title, `<div id="preact-mount">${html}</div><script id="page-data" type="application/json">${json(d)}</script>${script}`);
}

function staticPage(d: PageData): string {
  const links = d.links.map((l) => `<a href="${l.href}">${esc(l.text)}</a>`).join(' ');
  return page(`<title>${esc(d.title)}</title><script src="/assets/analytics.js" async></script>`,
    `<header><button id="menu-button">Menu</button><ul id="menu"><li><a href="/static/0">Home</a></li></ul></header>`
    + `<main><h1>${esc(d.h1)}</h1>${d.text.map((t) => `<p>${esc(t)}</p>`).join('')}<nav>${links}</nav></main><script>${STATIC_SCRIPTS.menu}</script>`);
}

/** Starts the site (bundles built on first use). */
export async function startRenderSite(): Promise<RenderSite> {
  const bundles = await buildBundles();
  let inflight = 0;
  const site: RenderSite = { base: '', log: [], maxInflight: 0, slowMs: 0, holdOnce: new Set(), close: async () => {} };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const entry: Logged = { path, method: req.method ?? 'GET', start: Date.now(), end: 0, inflight: 0 };
    site.log.push(entry);
    if (path !== '/robots.txt') { inflight++; entry.inflight = inflight; site.maxInflight = Math.max(site.maxInflight, inflight); }
    res.on('close', () => { entry.end = Date.now(); if (path !== '/robots.txt') inflight--; });
    const send = (status: number, type: string, body: string | Buffer) => {
      const go = () => { res.writeHead(status, { 'content-type': type }); res.end(body); };
      const hold = site.holdOnce.delete(path) ? 3000 : path === '/robots.txt' ? 0 : site.slowMs;
      if (hold) setTimeout(go, hold); else go();
    };
    void (async () => {
      if (path === '/robots.txt') return send(200, 'text/plain', ROBOTS);
      if (path === '/assets/analytics.js') return send(200, 'application/javascript', STATIC_SCRIPTS.analytics);
      const asset = /^\/assets\/(.+\.js)$/.exec(path);
      if (asset && bundles.client.has(asset[1])) return send(200, 'application/javascript', bundles.client.get(asset[1])!);
      const api = /^\/api\/csr\/(react|vue|preact)\/(\d+)\.json$/.exec(path);
      if (api) return send(200, 'application/json', JSON.stringify(pageData('csr', api[1] as Framework, Number(api[2]))));
      // A page whose script never yields (RENDER_TIMEOUT), and one that waits for its data (renders to interrupt).
      if (/^\/hang\/\d+$/.test(path)) return send(200, 'text/html', page('<title>hang</title>', '<div id="root"></div><script>for (;;) {}</script>'));
      if (/^\/wait\/\d+$/.test(path)) {
        return send(200, 'text/html', page('<title>wait</title>', `<div id="root"></div><script>fetch('/api/wait${path.slice(6)}').then((r) => r.text()).then((t) => { document.getElementById('root').innerHTML = '<h1>' + t + '</h1>'; document.title = t; })</script>`));
      }
      if (/^\/api\/wait\d+$/.test(path)) return send(200, 'text/plain', 'waited');
      const m = /^\/(csr|ssr)\/(react|vue|preact)\/(\d+)$/.exec(path) ?? /^\/(static)\/(\d+)$/.exec(path);
      if (m) {
        const kind = m[1] as Kind;
        const fw = kind === 'static' ? undefined : (m[2] as Framework);
        const n = Number(kind === 'static' ? m[2] : m[3]);
        if (n < COUNTS[kind] && (!fw || FRAMEWORKS.includes(fw))) {
          const d = pageData(kind, fw, n);
          const html = kind === 'csr' ? csrShell(fw!, d) : kind === 'ssr' ? await ssrPage(fw!, d, bundles.server.get(fw!)!) : staticPage(d);
          return send(200, 'text/html; charset=utf-8', html);
        }
      }
      send(404, 'text/plain', 'not found');
    })().catch((err) => { res.writeHead(500); res.end(String(err)); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  site.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  site.close = () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); });
  return site;
}
