/**
 * The raw fields a parse result is built from, and the one function that turns them into a
 * ParseOk. They are found either by walking cheerio's DOM (fieldsFromDom, used when a custom
 * extractor needs the DOM) or while htmlparser2 parses, without building a DOM
 * (stream-fields.ts); test/parse-parity.test.ts holds the two to the same output.
 */
import { createHash } from 'node:crypto';
import type { AnyNode, Element } from 'domhandler';
import { normalizeUrl, type NormalizeRules } from '../url/normalize.js';
import { collect } from './collect.js';
import { collapseWhitespace, visibleText, visibleTextAndWords } from './extract-text.js';
import type { ParsedLink, ParseOk } from './protocol.js';

/** Anchor text is capped so a link wrapped around a whole article does not bloat the database. */
export const MAX_ANCHOR_TEXT = 300;

const UTF8 = new TextEncoder();

export interface PageFields {
  /** lang attribute of the first <html>, as written. */
  lang: string | undefined;
  /** Text of the first <title> outside <svg>, as written; null without one. */
  title: string | null;
  /** Visible text of the first <h1>; null without one. */
  h1: string | null;
  /** href of the first <base href>. */
  base: string | null;
  /** Every <meta name>, in document order. */
  metas: { name: string; content: string | undefined }[];
  /**
   * Encoding declared by the first <meta charset> or <meta http-equiv=content-type> with a known
   * label (decode.ts metaEncoding), wherever it is; null without one. The worker decodes again
   * with it when the encoding was only a guess (decode.ts encodingChange).
   */
  charset: string | null;
  /** href of the first <link rel~=canonical href>. */
  canonical: string | null;
  /** Every <a href> and <area href>, in document order, with its visible text (up to a nested <a>). */
  anchors: { href: string; rel: string | undefined; text: string }[];
  /** Visible text of the whole document, and its word count. */
  text: string;
  words: number;
}

/** The fields, read from a parsed document (cheerio's root node). */
export function fieldsFromDom(root: AnyNode): PageFields {
  const c = collect(root);
  // The whole document: browsers show text before <body> and after </body></html> too.
  const { text, words } = visibleTextAndWords(root);
  return {
    lang: c.html?.attribs.lang,
    title: c.title ? textOf(c.title) : null,
    h1: c.h1 ? visibleText(c.h1.children) : null,
    base: c.base ? c.base.attribs.href : null,
    metas: c.metas.map((m) => ({ name: m.attribs.name, content: m.attribs.content })),
    charset: c.charset,
    canonical: c.canonical ? c.canonical.attribs.href : null,
    anchors: c.links.map((a) => ({ href: a.attribs.href, rel: a.attribs.rel, text: visibleText(a.children, true) })),
    text,
    words,
  };
}

/** Raw text content (a <title> holds only text, so no block spacing is needed). */
function textOf(el: Element): string {
  return el.children.map((n) => (n.type === 'text' ? n.data : '')).join('');
}

/** Builds a page's search index entry from its title and text (the backend's, see ParseWorkerData.searchIndexer). */
export type SearchIndexer = (title: string | null, text: string) => Uint8Array;

/** The parse result: URLs resolved and normalized, whitespace collapsed, links deduplicated, content hashed. */
export function toParseOk(f: PageFields, pageUrl: string, encoding: string, rules: NormalizeRules, indexer?: SearchIndexer): ParseOk {
  const base = baseUrl(f.base, pageUrl);
  const title = f.title === null ? null : collapseWhitespace(f.title);
  let description: string | null = null;
  const robots: string[] = [];
  for (const meta of f.metas) {
    const name = meta.name.trim().toLowerCase();
    if (meta.content === undefined) continue;
    if (name === 'description' && description === null) description = collapseWhitespace(meta.content);
    else if (name === 'robots') robots.push(collapseWhitespace(meta.content));
  }
  const lang = f.lang?.trim();
  return {
    ok: true,
    encoding,
    title,
    description,
    canonical: f.canonical !== null ? normalizeUrl(f.canonical, base, rules) ?? null : null,
    lang: lang ? lang : null,
    h1: f.h1,
    // Several robots metas combine, as search engines read them.
    metaRobots: robots.length ? robots.join(', ').toLowerCase() : null,
    links: links(f.anchors, base, rules),
    text: UTF8.encode(f.text),
    wordCount: f.words,
    ...(indexer ? { searchVector: indexer(title, f.text) } : {}),
    contentHash: createHash('sha256').update(`${title ?? ''}\n${f.text}`).digest('hex'),
  };
}

/** The document base URL: <base href> resolved against the page URL, if it is http(s). */
function baseUrl(href: string | null, pageUrl: string): string {
  if (href === null) return pageUrl;
  try {
    const u = new URL(href, pageUrl);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : pageUrl;
  } catch {
    return pageUrl;
  }
}

function links(anchors: PageFields['anchors'], base: string, rules: NormalizeRules): ParsedLink[] {
  const seen = new Set<string>();
  const out: ParsedLink[] = [];
  for (const a of anchors) {
    const url = normalizeUrl(a.href, base, rules);
    if (url === undefined || seen.has(url)) continue;
    seen.add(url);
    const rel = a.rel === undefined ? null : collapseWhitespace(a.rel).toLowerCase();
    out.push({
      url,
      text: a.text.length > MAX_ANCHOR_TEXT ? a.text.slice(0, MAX_ANCHOR_TEXT) : a.text,
      rel: rel ? rel : null,
    });
  }
  return out;
}
