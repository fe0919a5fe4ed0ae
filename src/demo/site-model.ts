/**
 * The deterministic content and link graph of the synthetic site (see site.ts for the server).
 *
 * Nothing is stored per page: page i's title, text and links are recomputed from (seed, i)
 * on every request, so a site of 100k (or 1M) pages costs no more memory than one of 10.
 * Large pages are padded from a pool of filler paragraphs built once, which keeps HTML
 * generation cheap (> 3000 pages/s) while every page still differs (its own title,
 * description, first paragraph and links).
 *
 * Link graph (N pages, B = fanOut, page 0 is `/`, page i > 0 is `/p/<i>`):
 *  - tree: page i links to its children i*B+1 .. i*B+B (those < N), so every page is
 *    reachable from `/` and the depth of page N-1 is the smallest d with
 *    1 + B + B^2 + ... + B^d >= N (see maxDepthFor): 4 for N=10k/B=10, 5 for 100k/B=10,
 *    9 for 100k/B=4, 11 for 100k/B=3. Keep fanOut >= 4 for 100k pages to stay within depth 10
 *    (cross links only make paths shorter).
 *  - nav: home (`/#top`), parent and next (i+1) links;
 *  - cross: ceil(B/4) pseudo-random links to any page (duplicates of already known URLs).
 */

/** Options of the generated content (a subset of SiteOptions, resolved). */
export interface ModelOptions {
  pages: number;
  pageBytes: number;
  fanOut: number;
  seed: number;
  extras: boolean;
}

const WORDS = (
  'crawler frontier harvest river garden lantern copper meadow signal archive harbor violet ' +
  'engine summit quiet orbit pebble canyon ember falcon glacier hollow island jasmine kettle ' +
  'ledger marble nectar oyster prairie quartz raven saddle timber umbrella velvet willow ' +
  'yonder zephyr anchor beacon cobalt dune estuary fern grove heron indigo juniper kelp ' +
  'lagoon mosaic nimbus opal pine quill ridge sparrow thistle tundra valley wander yarrow ' +
  'amber basalt cedar delta echo fjord granite hazel iris jade kiln lotus maple north ' +
  'ocean plume quest reef sage tide upland vista wharf axis bloom crest drift field'
).split(' ');

const STYLE = 'body{font-family:sans-serif;margin:0 auto;max-width:60em}nav a{margin-right:1em}' +
  '.children li{display:inline-block;margin:.2em}footer{color:#666;font-size:small}';
const SCRIPT = 'window.dataLayer=window.dataLayer||[];function track(e){dataLayer.push({event:e,t:Date.now()})}' +
  'document.addEventListener("DOMContentLoaded",function(){track("view")});';

/** A 32-bit hash of two integers (splitmix-style finalizer): seeds one page's generator. */
export function mix(a: number, b: number): number {
  let h = Math.imul((a | 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b | 0, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** mulberry32: a tiny, fast, deterministic PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Depth of the deepest page of an N-page site with tree fan-out B (the home page is depth 0). */
export function maxDepthFor(pages: number, fanOut: number): number {
  const b = Math.max(1, fanOut);
  let d = 0;
  let covered = 1;
  let level = 1;
  while (covered < pages) {
    level *= b;
    covered += level;
    d++;
  }
  return d;
}

function words(r: () => number, n: number): string {
  let s = WORDS[(r() * WORDS.length) | 0];
  for (let k = 1; k < n; k++) s += ' ' + WORDS[(r() * WORDS.length) | 0];
  return s;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The deterministic page model: paths, titles, links and HTML of every page. */
export class SiteModel {
  /** Filler paragraphs shared by all pages (built once per site). */
  private readonly filler: string[] = [];

  constructor(readonly opts: ModelOptions) {
    const r = prng(mix(opts.seed, -1));
    for (let k = 0; k < 64; k++) {
      const sentences: string[] = [];
      for (let s = 0; s < 8; s++) sentences.push(capitalize(words(r, 8 + ((r() * 10) | 0))) + '.');
      this.filler.push(`<p>${sentences.join(' ')}</p>\n`);
    }
  }

  /** URL path of page i: `/` for the home page, `/p/<i>` otherwise. */
  pagePath(i: number): string {
    return i === 0 ? '/' : `/p/${i}`;
  }

  /** Page index for a path, or -1 when the path is not a generated page (strict: no leading zeros). */
  pageIndex(pathname: string): number {
    if (pathname === '/') return 0;
    if (!pathname.startsWith('/p/')) return -1;
    const rest = pathname.slice(3);
    if (!/^[1-9][0-9]{0,9}$/.test(rest)) return -1;
    const i = Number(rest);
    return i < this.opts.pages ? i : -1;
  }

  /** Title of page i (also used as anchor text by the pages that link to it). */
  title(i: number): string {
    if (i === 0) return 'Home of the synthetic site';
    return capitalize(words(prng(mix(this.opts.seed, i)), 3)) + ` (page ${i})`;
  }

  /** Indices of the pages that page i links to: nav (home, parent, next), tree children, cross links. */
  links(i: number): { nav: number[]; children: number[]; cross: number[] } {
    const { pages: n, fanOut: b } = this.opts;
    const nav: number[] = [];
    if (i > 0) nav.push(0, Math.floor((i - 1) / b));
    if (i + 1 < n) nav.push(i + 1);
    const children: number[] = [];
    for (let c = i * b + 1; c <= i * b + b && c < n; c++) children.push(c);
    const cross: number[] = [];
    const r = prng(mix(this.opts.seed ^ 0x5bd1e995, i));
    for (let k = Math.ceil(b / 4); k > 0; k--) cross.push((r() * n) | 0);
    return { nav, children, cross };
  }

  /** Extra (non-page) links of page i when `extras` is on: redirects, 404s, a PDF, the other host. */
  extraLinks(i: number, otherHostUrl: string): Array<{ href: string; text: string }> {
    if (!this.opts.extras) return [];
    const out: Array<{ href: string; text: string }> = [];
    if (i === 0) {
      out.push({ href: '/r/1', text: 'Our old address' }, { href: '/r/tmp', text: 'Temporary offer' },
        { href: '/files/doc.pdf', text: 'Download the brochure (PDF)' }, { href: '/missing/home', text: 'A page that is gone' },
        { href: `${otherHostUrl}/`, text: 'Our partner site' });
    }
    if (i % 50 === 7) out.push({ href: `/missing/${i}`, text: 'Broken link' });
    if (i % 100 === 13) out.push({ href: `${otherHostUrl}/from/${i}`, text: 'Partner article' });
    return out;
  }

  /** Paths of the extra links that appear on pages 0..N-1 (404s and other-host paths). */
  extraTargets(): { notFound: string[]; otherHost: string[] } {
    const notFound = this.opts.extras ? ['/missing/home'] : [];
    const otherHost = this.opts.extras ? ['/'] : [];
    if (this.opts.extras) {
      for (let i = 7; i < this.opts.pages; i += 50) notFound.push(`/missing/${i}`);
      for (let i = 13; i < this.opts.pages; i += 100) otherHost.push(`/from/${i}`);
    }
    return { notFound, otherHost };
  }

  /** HTML of page i; `base` is the site origin (for the canonical link), `version` > 0 after touch(). */
  html(i: number, base: string, otherHostUrl: string, version: number): string {
    const r = prng(mix(this.opts.seed, i));
    const title = this.title(i);
    r(); r(); r(); // the three title words
    const desc = capitalize(words(r, 12)) + '.';
    const { nav, children, cross } = this.links(i);
    const path = this.pagePath(i);
    const a = (j: number, href: string, text: string) => `<a href="${href}" data-page="${j}">${text}</a>`;
    let navHtml = '<a href="/#top">Home</a>';
    if (i > 0) navHtml += ' ' + a(nav[1], this.pagePath(nav[1]), 'Up: ' + this.title(nav[1]));
    if (i + 1 < this.opts.pages) navHtml += ' ' + a(i + 1, i === 0 ? '/p/1' : String(i + 1), 'Next: ' + this.title(i + 1));
    let childHtml = '';
    for (const c of children) childHtml += `<li>${a(c, `/p/${c}`, this.title(c))}</li>`;
    let crossHtml = '';
    for (const c of cross) crossHtml += `<li>${a(c, base + this.pagePath(c), 'See also ' + this.title(c))}</li>`;
    let extraHtml = '';
    for (const e of this.extraLinks(i, otherHostUrl)) extraHtml += `<li><a href="${e.href}">${e.text}</a></li>`;
    let html = `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n` +
      `<title>${title} | Synthetic Site</title>\n<meta name="description" content="${desc}">\n` +
      `<meta name="viewport" content="width=device-width, initial-scale=1">\n<link rel="canonical" href="${base}${path}">\n` +
      `<style>${STYLE}</style>\n<script>${SCRIPT}</script>\n</head>\n<body>\n` +
      `<header id="top"><nav>${navHtml}</nav></header>\n<main>\n<h1>${title}</h1>\n` +
      `<p class="lead">${capitalize(words(r, 40))}.</p>\n` +
      (version > 0 ? `<p class="revision">Revision ${version}: ${words(r, 6)}.</p>\n` : '') +
      (childHtml ? `<h2>Sections</h2>\n<ul class="children">${childHtml}</ul>\n` : '') +
      (extraHtml ? `<ul class="extras">${extraHtml}</ul>\n` : '') +
      `<article>\n`;
    const tail = `</article>\n<aside><h2>Related</h2><ul>${crossHtml}</ul></aside>\n</main>\n` +
      `<footer><p>Synthetic page ${i} of ${this.opts.pages}.</p></footer>\n<script>track("page-${i}")</script>\n</body>\n</html>\n`;
    // Pad with shared filler paragraphs up to the requested size (at least one, so every page has body text).
    const target = this.opts.pageBytes - tail.length;
    do html += this.filler[(r() * this.filler.length) | 0]; while (html.length < target);
    return html + tail;
  }
}
