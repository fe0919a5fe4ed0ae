/**
 * Parsing is linear in the nesting depth (src/parse/html-parser.ts): htmlparser2's own stack of
 * open elements grew with Array#unshift, which made deeply nested pages quadratic, and the
 * streaming fields followed every open unclosed link. Checked by counting the work (no clock),
 * and by the time of a nested page relative to a flat page of the same size measured in the same
 * process (a ratio, so the machine's speed does not matter; quadratic parsing measured 29x, linear ~1x; the bound is 5x).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { load } from 'cheerio/slim';
import { Parser } from 'htmlparser2';
import { fieldsFromHtml } from '../src/parse/stream-fields.js';
import { LinearParser, OpenElements, parseDocument } from '../src/parse/html-parser.js';

const nested = (n: number, tag = 'div'): string => `<${tag}>x `.repeat(n) + `</${tag}>`.repeat(n);
const flat = (n: number, tag = 'div'): string => `<${tag}>x </${tag}>`.repeat(n);

/** Elements moved by Array#unshift (the array's length at each call) while `f` runs. */
function unshiftMoves(f: () => void): number {
  const original = Array.prototype.unshift;
  let moved = 0;
  Array.prototype.unshift = function (this: unknown[], ...items: unknown[]): number {
    moved += this.length;
    return original.apply(this, items);
  };
  try {
    f();
  } finally {
    Array.prototype.unshift = original;
  }
  return moved;
}

/** Fastest of `runs` runs of `f`, ms. */
function fastest(f: () => void, runs = 3): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    f();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

test('the installed htmlparser2 gets the linear stacks', () => {
  const p = new LinearParser({});
  assert.equal(p.linear, true, 'htmlparser2 changed how it keeps its stacks: see src/parse/html-parser.ts');
});

test('a page nested 3,000 deep moves no stack elements (htmlparser2 alone moves 4.5 million)', () => {
  const html = nested(3000);
  assert.ok(unshiftMoves(() => new Parser({}).end(html)) >= 3000 * 2999 / 2, 'the unpatched parser still unshifts');
  assert.equal(unshiftMoves(() => fieldsFromHtml(html)), 0);
  assert.equal(unshiftMoves(() => parseDocument(html)), 0);
});

test('the DOM and events equal htmlparser2\'s own, implied and stray end tags included', () => {
  const docs = [
    nested(50) + '</span></div>',
    '<p>a<p>b<div>c</p></div><li>x<li>y</ul><table><tr><td>1<td>2</table>',
    '<svg><rect/><g><path/></g></svg><math><mi/></math><br/></br></p>x',
    '<div><span><b>unclosed',
  ];
  for (const html of docs) {
    assert.equal(load(parseDocument(html)).html(), load(html).html(), html);
    const events = (P: typeof Parser): string[] => {
      const out: string[] = [];
      new P({ onopentag: (n) => out.push(`<${n}`), onclosetag: (n, implied) => out.push(`/${n}${implied ? '?' : ''}`), ontext: (t) => out.push(t) }).end(html);
      return out;
    };
    assert.deepEqual(events(LinearParser), events(Parser), html);
  }
});

test('OpenElements reads like htmlparser2\'s top-first array', () => {
  const s = new OpenElements<string>();
  for (const x of ['html', 'div', 'p', 'div']) s.unshift(x);
  assert.deepEqual([s.length, s[0], s.indexOf('div'), s.indexOf('p'), s.indexOf('html'), s.indexOf('span')], [4, 'div', 0, 1, 3, -1]);
  assert.equal(s.shift(), 'div');
  assert.equal(s.indexOf('div'), 1);
  s.length = 0;
  assert.deepEqual([s.length, s[0], s.indexOf('div'), s.shift()], [0, undefined, -1, undefined]);
});

test('nested pages parse in about the time of flat pages of the same size', () => {
  const n = 50_000;
  const cases: [string, string, string, (h: string) => unknown][] = [
    ['nested <div>, fields', nested(n), flat(n), fieldsFromHtml],
    ['nested <div>, DOM', nested(n), flat(n), parseDocument],
    // htmlparser2 nests unclosed links; the text of each used to be followed to the end of the page.
    // Before: 2,000 unclosed links took 2.1 s, 4,000 took 15 s, 20,000 did not end in 11 minutes.
    ['unclosed links', '<a href="/x">y '.repeat(20_000), '<a href="/x">y </a>'.repeat(20_000), fieldsFromHtml],
    // End tags with no open element of their name used to search the whole stack.
    ['stray end tags', '<div>x '.repeat(n) + '</span>'.repeat(n), '<div>x </div>'.repeat(n) + '</span>'.repeat(n), fieldsFromHtml],
  ];
  for (const [label, deep, wide, parse] of cases) {
    parse(wide); // warm up
    const ratio = fastest(() => parse(deep)) / fastest(() => parse(wide));
    assert.ok(ratio < 5, `${label}: nested took ${ratio.toFixed(1)}x the flat page`);
  }
});
