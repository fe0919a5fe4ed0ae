/**
 * Visible text of a DOM subtree (htmlparser2 / domhandler nodes, as cheerio holds them).
 *
 * A hand-written walk instead of cheerio's `.text()`: `.text()` includes script/style
 * contents and glues adjacent blocks together ("<p>Hello</p><p>World</p>" -> "HelloWorld"),
 * and cloning + removing nodes first would cost more than the walk itself.
 */

import type { AnyNode } from 'domhandler';

/** Elements whose content a reader never sees as text. */
const HIDDEN = new Set(['script', 'style', 'noscript', 'template', 'svg', 'iframe', 'head', 'title']);

/**
 * Elements that do NOT start a new word when they open or close. Every other element
 * (p, div, li, td, br, h1...) is treated as a boundary, so unknown and block elements
 * are separated by a space; "Hel<b>lo</b>" stays "Hello".
 */
const INLINE = new Set([
  'a', 'abbr', 'b', 'bdi', 'bdo', 'cite', 'code', 'data', 'del', 'dfn', 'em', 'font', 'i', 'ins',
  'kbd', 'label', 'mark', 'q', 's', 'samp', 'small', 'span', 'strike', 'strong', 'sub', 'sup',
  'time', 'tt', 'u', 'var', 'wbr', 'big', 'nobr',
]);

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
 * Returns the visible text of `nodes` and their descendants, whitespace collapsed, with a
 * space between block-level elements. Iterative, so deeply nested junk cannot overflow the stack.
 */
export function visibleText(nodes: AnyNode | readonly AnyNode[]): string {
  return visibleTextAndWords(nodes).text;
}

/**
 * visibleText() plus the number of words, counted on the way.
 *
 * The text equals collapseWhitespace() of all text nodes and block boundaries joined, but
 * whitespace is collapsed per text node while walking, after a scan that finds nearly every node
 * already clean: one regex pass over the whole joined text (plus its copy) and a second pass to
 * count words took ~35% of the worker's time on a 44 KB page.
 */
export function visibleTextAndWords(nodes: AnyNode | readonly AnyNode[]): TextAndWords {
  const b = new TextBuilder();
  // Stack of nodes still to visit; `null` marks the end of a block element (owes a space).
  const stack: (AnyNode | null)[] = Array.isArray(nodes) ? [...nodes].reverse() : [nodes as AnyNode];
  while (stack.length) {
    const node = stack.pop();
    if (node === null) {
      b.boundary();
      continue;
    }
    if (node === undefined) break;
    switch (node.type) {
      case 'text':
        b.text(node.data);
        break;
      case 'tag':
      case 'root': {
        const name = node.type === 'tag' ? node.name : '';
        if (HIDDEN.has(name)) break;
        if (node.type === 'tag' && !INLINE.has(name)) {
          b.boundary();
          stack.push(null);
        }
        for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]);
        break;
      }
      // 'script' and 'style' node types, comments, directives and CDATA are not visible text.
      default:
        break;
    }
  }
  return b.result();
}

/**
 * True for elements whose subtree is never visible text: HIDDEN, plus <script> and <style>
 * (which domhandler gives node types of their own). None of them is a word boundary either.
 */
export function isHiddenElement(name: string): boolean {
  return HIDDEN.has(name) || name === 'script' || name === 'style';
}

/** True for elements that start a new word where they open and close (block and unknown ones). */
export function isBoundaryElement(name: string): boolean {
  return !INLINE.has(name);
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
