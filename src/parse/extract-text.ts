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

/**
 * Returns the visible text of `nodes` and their descendants, whitespace collapsed, with a
 * space between block-level elements. Iterative, so deeply nested junk cannot overflow the stack.
 */
export function visibleText(nodes: AnyNode | readonly AnyNode[]): string {
  const parts: string[] = [];
  // Stack of nodes still to visit; `null` marks the end of a block element (emit a space).
  const stack: (AnyNode | null)[] = Array.isArray(nodes) ? [...nodes].reverse() : [nodes as AnyNode];
  while (stack.length) {
    const node = stack.pop();
    if (node === null) {
      parts.push(' ');
      continue;
    }
    if (node === undefined) break;
    switch (node.type) {
      case 'text':
        parts.push(node.data);
        break;
      case 'tag':
      case 'root': {
        const name = node.type === 'tag' ? node.name : '';
        if (HIDDEN.has(name)) break;
        const block = node.type === 'tag' && !INLINE.has(name);
        if (block) {
          parts.push(' ');
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
  return collapseWhitespace(parts.join(''));
}
