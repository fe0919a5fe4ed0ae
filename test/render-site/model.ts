/**
 * The test site's pages and their labels. Kinds:
 * - `csr`: a client-rendered app (an empty shell; the app fetches its data and builds the page),
 * - `ssr`: the same app rendered on the server and hydrated in the browser (framework markers),
 * - `static`: plain HTML with harmless scripts (analytics beacon, menu toggle).
 * Every page also loads /private/track.js, which robots.txt disallows: it must never be requested.
 */
import type { Framework } from './apps.js';

export type Kind = 'csr' | 'ssr' | 'static';

export interface PageData {
  title: string;
  h1: string;
  text: string[];
  links: { href: string; text: string }[];
}

/** Pages per framework and kind; 3 × (40 + 20) + 40 = 220 labelled pages. */
export const COUNTS = { csr: 40, ssr: 20, static: 40 } as const;
export const FRAMEWORKS: Framework[] = ['react', 'vue', 'preact'];

const WORDS = ['river', 'lantern', 'copper', 'meadow', 'harbor', 'violet', 'quartz', 'ember', 'falcon', 'willow', 'summit', 'cobalt'];

/** A sentence that differs per page, so text comparisons mean something. */
function sentence(seed: number, i: number): string {
  const w = (k: number) => WORDS[(seed * 7 + i * 3 + k) % WORDS.length];
  return `The ${w(0)} near the ${w(1)} keeps its ${w(2)} colour while the ${w(3)} and the ${w(4)} wait for evening number ${seed}-${i}.`;
}

/** The section a page lives in: /csr/react/, /ssr/vue/, /static/. */
export function section(kind: Kind, fw?: Framework): string {
  return kind === 'static' ? '/static/' : `/${kind}/${fw}/`;
}

/** Page data of one page (what the app renders, or the static page shows). */
export function pageData(kind: Kind, fw: Framework | undefined, n: number): PageData {
  const count = COUNTS[kind];
  const base = section(kind, fw);
  const name = kind === 'static' ? 'Static' : `${fw![0].toUpperCase()}${fw!.slice(1)} ${kind.toUpperCase()}`;
  const seed = n + (kind === 'csr' ? 100 : kind === 'ssr' ? 200 : 300) + (fw ? FRAMEWORKS.indexOf(fw) * 1000 : 0);
  return {
    title: `${name} page ${n}`,
    h1: `${name} page ${n}`,
    text: [0, 1, 2].map((i) => sentence(seed, i)),
    links: [
      { href: `${base}${(n + 1) % count}`, text: `next ${(n + 1) % count}` },
      { href: `${base}${(n * 7 + 3) % count}`, text: `jump ${(n * 7 + 3) % count}` },
      { href: `${base}0`, text: 'home' },
    ],
  };
}

/** Every page of the site with its label. */
export function allPages(): { path: string; kind: Kind; fw?: Framework }[] {
  const out: { path: string; kind: Kind; fw?: Framework }[] = [];
  for (const kind of ['csr', 'ssr'] as const) for (const fw of FRAMEWORKS) for (let n = 0; n < COUNTS[kind]; n++) out.push({ path: `${section(kind, fw)}${n}`, kind, fw });
  for (let n = 0; n < COUNTS.static; n++) out.push({ path: `/static/${n}`, kind: 'static' });
  return out;
}
