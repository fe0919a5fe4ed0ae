/**
 * Incremental parser for one sitemap file (sitemaps.org protocol 0.9): XML <urlset> and
 * <sitemapindex>, or a plain-text list of URLs. Fed decoded text chunk by chunk, so a 50 MB
 * sitemap is never held in memory.
 */
import type { Parser } from 'htmlparser2';
import { LinearParser } from '../parse/html-parser.js';

/** One <url> (kind 'url', also every line of a text sitemap) or index <sitemap> (kind 'sitemap'). */
export interface SitemapItem {
  kind: 'url' | 'sitemap';
  /** The <loc> text, trimmed; not validated. */
  loc: string;
  /** The <lastmod> text, trimmed, or null. */
  lastmod: string | null;
}

/** What the file turned out to be; 'unknown' until its first non-blank character. */
export type SitemapFormat = 'unknown' | 'urlset' | 'index' | 'text' | 'xml';

/** Parses one sitemap incrementally; stops collecting after `maxItems` items. */
export class SitemapParser {
  /** Items collected so far (never more than maxItems). */
  count = 0;
  format: SitemapFormat = 'unknown';
  private xml: Parser | null = null;
  private textCarry = '';
  private out: SitemapItem[] = [];
  /** Element names (lower-cased, namespace prefix removed) from the root down. */
  private readonly stack: string[] = [];
  private record: { kind: 'url' | 'sitemap'; loc: string; lastmod: string; depth: number } | null = null;

  constructor(private readonly maxItems: number) {}

  /** True once maxItems items were collected: the caller should stop reading. */
  get full(): boolean {
    return this.count >= this.maxItems;
  }

  /** Feeds decoded text; returns the items completed by it. */
  write(text: string): SitemapItem[] {
    if (this.format === 'unknown') {
      const first = text.search(/\S/);
      if (first < 0) return [];
      // The protocol allows XML or one URL per line; anything starting with '<' is XML.
      if (text[first] === '<') {
        this.format = 'xml';
        this.xml = this.makeXmlParser();
      } else {
        this.format = 'text';
      }
    }
    if (this.xml) this.xml.write(text);
    else this.writeText(text);
    return this.take();
  }

  /** Ends the file; returns the items completed by the end. */
  end(): SitemapItem[] {
    if (this.xml) this.xml.end();
    else if (this.format === 'text') this.writeText('\n');
    return this.take();
  }

  private take(): SitemapItem[] {
    const items = this.out;
    this.out = [];
    return items;
  }

  private emit(item: SitemapItem): void {
    if (this.count >= this.maxItems || !item.loc) return;
    this.count++;
    this.out.push(item);
  }

  private writeText(text: string): void {
    const lines = (this.textCarry + text).split(/\r\n|\r|\n/);
    this.textCarry = lines.pop() ?? '';
    for (const line of lines) {
      const loc = line.trim();
      if (loc) this.emit({ kind: 'url', loc, lastmod: null });
    }
  }

  private makeXmlParser(): Parser {
    // LinearParser: htmlparser2's own stack made a deeply nested file quadratic (src/parse/html-parser.ts).
    return new LinearParser(
      {
        onopentag: (name) => {
          const local = localName(name);
          this.stack.push(local);
          if (this.stack.length === 1) {
            this.format = local === 'urlset' ? 'urlset' : local === 'sitemapindex' ? 'index' : 'xml';
          } else if (this.stack.length === 2 && !this.record) {
            // Only direct children of the root count: <image:loc> and friends must not.
            if (local === 'url' && this.format === 'urlset') this.record = { kind: 'url', loc: '', lastmod: '', depth: 2 };
            if (local === 'sitemap' && this.format === 'index') this.record = { kind: 'sitemap', loc: '', lastmod: '', depth: 2 };
          }
        },
        ontext: (text) => {
          const r = this.record;
          if (!r || this.stack.length !== r.depth + 1) return;
          const field = this.stack[this.stack.length - 1];
          if (field === 'loc') r.loc += text;
          else if (field === 'lastmod') r.lastmod += text;
        },
        onclosetag: () => {
          const r = this.record;
          if (r && this.stack.length === r.depth) {
            this.emit({ kind: r.kind, loc: r.loc.trim(), lastmod: r.lastmod.trim() || null });
            this.record = null;
          }
          this.stack.pop();
        },
      },
      { xmlMode: true, decodeEntities: true },
    );
  }
}

function localName(name: string): string {
  const i = name.lastIndexOf(':');
  return (i >= 0 ? name.slice(i + 1) : name).toLowerCase();
}

const W3C_DATETIME = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?)?)?$/i;

/**
 * Normalizes a <lastmod> (W3C Datetime: YYYY, YYYY-MM, YYYY-MM-DD, or with a time and zone) to
 * ISO 8601 UTC (`toISOString()`); null when it is not one. A time without a zone is read as UTC.
 * Date.parse alone is too lenient ("1" parses as 2001).
 */
export function normalizeLastmod(raw: string | null): string | null {
  if (!raw) return null;
  const m = W3C_DATETIME.exec(raw.trim());
  if (!m) return null;
  const [, y, mo = '01', d = '01', h, mi, s = '00', frac = '', zone] = m;
  let iso = `${y}-${mo}-${d}`;
  if (h !== undefined) {
    let z = (zone ?? 'Z').toUpperCase();
    if (z !== 'Z' && !z.includes(':')) z = `${z.slice(0, 3)}:${z.slice(3)}`;
    iso += `T${h}:${mi}:${s}${frac.slice(0, 4)}${z}`;
  } else {
    iso += 'T00:00:00Z';
  }
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return null;
  const out = new Date(t);
  // Date.parse rolls 2024-02-31 over to March; reject impossible calendar dates instead.
  if (h === undefined && out.toISOString().slice(0, 10) !== `${y}-${mo}-${d}`) return null;
  return out.toISOString();
}
