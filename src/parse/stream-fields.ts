/**
 * The page fields (fields.ts) found while htmlparser2 parses, without building a DOM: the same
 * parser and options as the DOM path (html-parser.ts), and the same rules as the DOM walk (collect.ts,
 * extract-text.ts), applied to the parser's events in document order. Building and walking the
 * DOM took ~40% of a parse thread's time on a 44 KB page.
 *
 * How the events map onto the DOM: domhandler builds its tree from exactly these callbacks,
 * so an element's subtree is everything between its onopentag and the matching onclosetag
 * (the parser closes implied and unclosed elements itself), and consecutive ontext calls make
 * one text node (any other event ends it).
 */
import { metaEncoding } from './decode.js';
import { TextCollector } from './extract-text.js';
import { LinearParser } from './html-parser.js';
import type { PageFields } from './fields.js';

/** A collector for the subtree of one element, which closes at `closesAt` (see StreamFields.depth). */
interface Open {
  c: TextCollector;
  closesAt: number;
}

interface OpenAnchor extends Open {
  /** Its entry in PageFields.anchors, whose text is filled in when it closes. */
  entry: PageFields['anchors'][number];
}

/** Parses `html` and returns its fields, equal to fieldsFromDom(cheerio/slim's load(html) root). */
export function fieldsFromHtml(html: string): PageFields {
  const f = new StreamFields();
  new LinearParser(f).end(html);
  return f.result();
}

class StreamFields {
  /** Elements open right now. */
  private depth = 0;
  /** Text not yet handed on: consecutive text events are one text node. */
  private pending = '';
  /** Open <svg> elements (a <title> inside one is a tooltip). */
  private svg = 0;
  /**
   * The whole document's text. Not only the <body>'s: browsers show text after </body></html>
   * (their parser moves it into the body) and before <body> too.
   */
  private readonly main = new TextCollector();
  private h1: Open | null = null;
  private h1Text: string | null = null;
  /** Depth of the first <title>'s children while it is open, else -1. */
  private titleAt = -1;
  /**
   * Links whose text is being collected: at most one <a> (an <a> start tag ends the open link's
   * text, see visibleTextAndWords) and an <area> (void) inside it. htmlparser2 nests unclosed
   * <a>s, so following every open one made a page of 10k unclosed links quadratic.
   */
  private readonly anchors: OpenAnchor[] = [];
  private readonly f: PageFields = {
    lang: undefined, title: null, h1: null, base: null, metas: [], charset: null, canonical: null, anchors: [], text: '', words: 0,
  };
  private sawHtml = false;

  onopentag(name: string, attribs: Record<string, string>): void {
    this.flushText();
    this.main.open(name);
    this.h1?.c.open(name);
    if (name === 'a') for (let i = this.anchors.length - 1; i >= 0; i--) this.finishAnchor(i);
    for (const a of this.anchors) a.c.open(name);
    const inner = this.depth + 1; // depth of this element's children
    switch (name) {
      case 'a':
      case 'area':
        if (attribs.href !== undefined) {
          const entry = { href: attribs.href, rel: attribs.rel, text: '' };
          this.f.anchors.push(entry);
          this.anchors.push({ entry, c: new TextCollector(), closesAt: this.depth });
        }
        break;
      case 'meta':
        if (attribs.name !== undefined) this.f.metas.push({ name: attribs.name, content: attribs.content });
        if (this.f.charset === null) this.f.charset = metaEncoding(attribs);
        break;
      case 'link':
        if (this.f.canonical === null && attribs.href !== undefined && attribs.rel !== undefined
          && attribs.rel.toLowerCase().split(/\s+/).includes('canonical')) this.f.canonical = attribs.href;
        break;
      case 'title':
        if (this.f.title === null && this.svg === 0) {
          this.f.title = '';
          this.titleAt = inner;
        }
        break;
      case 'h1':
        if (this.h1 === null && this.h1Text === null) this.h1 = { c: new TextCollector(), closesAt: this.depth };
        break;
      case 'base':
        if (this.f.base === null && attribs.href !== undefined) this.f.base = attribs.href;
        break;
      case 'html':
        if (!this.sawHtml) {
          this.sawHtml = true;
          this.f.lang = attribs.lang;
        }
        break;
      case 'svg':
        this.svg++;
        break;
      default:
        break;
    }
    this.depth = inner;
  }

  onclosetag(name: string): void {
    this.flushText();
    if (this.titleAt === this.depth) this.titleAt = -1;
    this.depth--;
    if (name === 'svg' && this.svg > 0) this.svg--;
    this.main.close(name);
    if (this.h1) {
      if (this.h1.closesAt === this.depth) {
        this.h1Text = this.h1.c.result().text;
        this.h1 = null;
      } else this.h1.c.close(name);
    }
    for (let i = this.anchors.length - 1; i >= 0; i--) {
      const a = this.anchors[i]!;
      if (a.closesAt === this.depth) this.finishAnchor(i);
      else a.c.close(name);
    }
  }

  ontext(data: string): void {
    this.pending += data;
  }

  oncomment(): void { this.flushText(); }
  oncdatastart(): void { this.flushText(); }
  onprocessinginstruction(): void { this.flushText(); }

  onend(): void {
    this.flushText();
  }

  result(): PageFields {
    const { text, words } = this.main.result();
    this.f.text = text;
    this.f.words = words;
    // The parser closes every open element before onend; these are only for safety.
    for (let i = this.anchors.length - 1; i >= 0; i--) this.finishAnchor(i);
    if (this.h1) this.h1Text = this.h1.c.result().text;
    this.f.h1 = this.h1Text;
    return this.f;
  }

  private flushText(): void {
    if (this.pending === '') return;
    const data = this.pending;
    this.pending = '';
    if (this.titleAt === this.depth) this.f.title += data;
    this.main.text(data);
    this.h1?.c.text(data);
    for (const a of this.anchors) a.c.text(data);
  }

  private finishAnchor(i: number): void {
    const a = this.anchors[i]!;
    this.anchors.splice(i, 1);
    a.entry.text = a.c.result().text;
  }
}
