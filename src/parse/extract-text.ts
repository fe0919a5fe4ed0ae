/**
 * Visible text of a document: the same rules for the DOM walk (htmlparser2 / domhandler nodes,
 * as cheerio holds them; fields.ts) and for the streaming extraction (stream-fields.ts), because
 * both feed the element events of a document, in order, to one TextCollector.
 *
 * A hand-written walk instead of cheerio's `.text()`: `.text()` includes script/style
 * contents and glues adjacent blocks together ("<p>Hello</p><p>World</p>" -> "HelloWorld"),
 * and cloning + removing nodes first would cost more than the walk itself.
 */

import type { AnyNode } from 'domhandler';
import { BLOCK, HIDDEN, SVG_LABELS } from './html-elements.js';

/** Collapses runs of whitespace (including NBSP) to one space and trims. */
export function collapseWhitespace(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Visible text and its word count (words = runs of non-whitespace). */
export interface TextAndWords {
  text: string;
  words: number;
}

/**
 * Visible text of a subtree, fed its events in document order: open and close of every element
 * (void ones included), and the data of every text node. The element the subtree belongs to is
 * not fed itself. Which elements hide text or separate words: html-elements.ts.
 */
export class TextCollector {
  readonly b = new TextBuilder();
  /** Depth inside a hidden element (script, style, head, noscript, ...); 0 when text is shown. */
  private hidden = 0;
  /**
   * For each open element inside an <svg>, the <svg> included: whether text in it is shown
   * (only inside SVG_LABELS). Empty outside SVG, so HTML pages pay nothing for it.
   */
  private readonly svg: boolean[] = [];

  open(name: string): void {
    if (this.hidden) {
      this.hidden++;
      return;
    }
    const inSvg = this.svg.length > 0;
    // An SVG <title> is a label (the diagram's accessible name), not the page title.
    if (HIDDEN.has(name) && !(inSvg && name === 'title')) {
      this.hidden = 1;
      return;
    }
    if (inSvg || name === 'svg') {
      const label = inSvg && SVG_LABELS.has(name);
      this.svg.push(name === 'svg' ? false : label || this.svg[this.svg.length - 1]!);
      if (label) this.b.boundary();
    }
    if (BLOCK.has(name)) this.b.boundary();
  }

  close(name: string): void {
    if (this.hidden) {
      this.hidden--;
      return;
    }
    if (this.svg.length > 0) {
      this.svg.pop();
      if (this.svg.length > 0 && SVG_LABELS.has(name)) this.b.boundary();
    }
    if (BLOCK.has(name)) this.b.boundary();
  }

  text(data: string): void {
    if (this.hidden === 0 && (this.svg.length === 0 || this.svg[this.svg.length - 1])) this.b.text(data);
  }

  /** True while inside a hidden element: its subtree cannot change the text. */
  get isHidden(): boolean {
    return this.hidden > 0;
  }

  result(): TextAndWords {
    return this.b.result();
  }
}

/**
 * Returns the visible text of `nodes` and their descendants, whitespace collapsed, with a
 * space between block-level elements. Iterative, so deeply nested junk cannot overflow the stack.
 */
export function visibleText(nodes: AnyNode | readonly AnyNode[], untilLink = false): string {
  return visibleTextAndWords(nodes, untilLink).text;
}

/**
 * visibleText() plus the number of words, counted on the way. With `untilLink`, the walk stops at
 * the first <a> element: link text ends where another link starts, as in browsers, whose parser
 * closes an open <a> at the next <a> start tag (htmlparser2 nests them instead).
 */
export function visibleTextAndWords(nodes: AnyNode | readonly AnyNode[], untilLink = false): TextAndWords {
  const c = new TextCollector();
  // Nodes still to visit; a string marks the end of the element of that name.
  const stack: (AnyNode | string)[] = Array.isArray(nodes) ? [...nodes].reverse() : [nodes as AnyNode];
  while (stack.length) {
    const node = stack.pop()!;
    if (typeof node === 'string') {
      c.close(node);
      continue;
    }
    switch (node.type) {
      case 'text':
        c.text(node.data);
        break;
      case 'root':
        for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]);
        break;
      // <script> and <style> have node types of their own in domhandler.
      case 'tag':
      case 'script':
      case 'style':
        if (untilLink && node.name === 'a') return c.result();
        c.open(node.name);
        // A hidden subtree cannot change the text; when looking for the next <a>, it is still walked.
        if (c.isHidden && !untilLink) {
          c.close(node.name);
          break;
        }
        stack.push(node.name);
        for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]);
        break;
      // Comments, directives and CDATA are not visible text.
      default:
        break;
    }
  }
  return c.result();
}

/**
 * Builds visible text from text nodes and block boundaries, in document order: whitespace
 * collapsed to single spaces, a space at a boundary between words, words counted. Used by the
 * DOM walk above and by the streaming extraction (stream-fields.ts), so both produce the same text.
 */
export class TextBuilder {
  private readonly out: string[] = [];
  private words = 0;
  /** A space is owed before the next word (whitespace or a block boundary was seen since the last one). */
  private space = false;

  /** A block element opened or closed. */
  boundary(): void {
    this.space = true;
  }

  /** The data of one text node (adjacent text merged, as domhandler does). */
  text(data: string): void {
    let s = data;
    let spaces = scan(s);
    if (spaces < 0) {
      s = s.replace(/\s+/g, ' ');
      spaces = countSpaces(s);
    }
    if (s === '') return;
    // Now the only whitespace in s is single plain spaces, `spaces` of them.
    const lead = s.charCodeAt(0) === 32;
    const trail = s.charCodeAt(s.length - 1) === 32;
    if (lead || trail) {
      s = s.slice(lead ? 1 : 0, trail ? s.length - 1 : s.length);
      spaces -= (lead ? 1 : 0) + (trail && s !== '' ? 1 : 0);
    }
    if (s === '') {
      this.space = true; // the node was whitespace only
      return;
    }
    if (this.out.length === 0) this.words++;
    else if (this.space || lead) {
      this.out.push(' ');
      this.words++;
    } // else glued to the previous word ("Hel<b>lo</b>"): no new word
    this.out.push(s);
    this.words += spaces;
    this.space = trail;
  }

  result(): TextAndWords {
    return { text: this.out.join(''), words: this.words };
  }
}

/** Whitespace other than a plain space, or two spaces in a row: the text needs collapsing. */
const NEEDS_COLLAPSE = /[^\S ]| {2}/;

/**
 * Plain spaces in `s`, or -1 when `s` needs collapsing (other whitespace, or two spaces in a row).
 * The whitespace set is JavaScript's \s (what collapseWhitespace and trim() use). A regex test
 * and indexOf() take 2/3 of the time of a charCodeAt() loop on a 40 KB text.
 */
function scan(s: string): number {
  return NEEDS_COLLAPSE.test(s) ? -1 : countSpaces(s);
}

function countSpaces(s: string): number {
  let n = 0;
  for (let i = s.indexOf(' '); i !== -1; i = s.indexOf(' ', i + 1)) n++;
  return n;
}
