/**
 * Which text a page stores (README "What is stored"): word boundaries from the HTML standard's
 * rendering rules (html-elements.ts), text outside <body>, SVG labels, link text ending where
 * the next link starts. Each case is checked on both parse paths: the streaming one (default)
 * and the DOM walk (with --extract); test/parse-parity.test.ts holds them equal in general.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { load } from 'cheerio/slim';
import type { AnyNode } from 'domhandler';
import { fieldsFromDom, type PageFields } from '../src/parse/fields.js';
import { fieldsFromHtml } from '../src/parse/stream-fields.js';

/** The fields from both paths, which must agree. */
function fields(html: string): PageFields {
  const stream = fieldsFromHtml(html);
  assert.deepEqual(fieldsFromDom(load(html).root().get(0) as AnyNode), stream, html);
  return stream;
}

const text = (html: string): string => fields(html).text;

test('obsolete inline elements (acronym, big, tt, blink, nobr...) do not split words', () => {
  assert.equal(text('<p>Compilation (<acronym>JIT</acronym>)</p>'), 'Compilation (JIT)');
  assert.equal(text('<p><acronym title="The Oversized-Attribute Storage Technique">TOAST</acronym>ed values</p>'), 'TOASTed values');
  assert.equal(text('<p>a<big>b</big><tt>c</tt><strike>d</strike><font>e</font><blink>f</blink><nobr>g</nobr><marquee>h</marquee>i</p>'),
    'abcdefg h i');
  assert.equal(fields('<p>x<acronym>Y</acronym>z</p>').words, 1);
});

test('phrasing, unknown and custom elements are inline; block, table, list and form parts are word boundaries', () => {
  assert.equal(text('<p>un<my-widget>known</my-widget><x>glued</x><ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp></ruby></p>'), 'unknownglued漢 kan');
  assert.equal(text('<section>a</section><article>b</article><dl><dt>c<dd>d</dl><details><summary>e</summary>f</details>'
    + '<table><caption>g</caption><tr><th>h<td>i</table><select><option>j<option>k</select><button>l</button>m'), 'a b c d e f g h i j k l m');
  assert.equal(text('Hel<b>lo</b> wor<i>ld</i><br>next<wbr>line<img alt=x>img'), 'Hello world nextline img');
});

test('text after </body></html> and before <body> is kept, as browsers show it', () => {
  const f = fields('<html><head><title>t</title></head>before<body><p>inside</p></body></html>\n<p>after the end</p> tail');
  assert.equal(f.text, 'before inside after the end tail');
  assert.equal(f.words, 6);
  assert.equal(text('<body>in body</body>after body'), 'in body after body');
});

test('inline SVG: <text> and <title> labels are words; drawing, loose text, <style> and <script> are not', () => {
  const svg = '<p>Figure:<svg viewBox="0 0 10 10"><title>Pipeline diagram</title><desc>long description</desc>'
    + '<style>.box{fill:red}</style><script>draw()</script><g>loose<rect/><text x="1">fetch <tspan>stage</tspan></text>'
    + '<text>parse</text></g><foreignObject><div>html <b>in</b>side</div></foreignObject></svg>done</p>';
  const f = fields(`<title>Page</title>${svg}`);
  assert.equal(f.text, 'Figure: Pipeline diagram fetch stage parse html inside done');
  assert.equal(f.title, 'Page', 'an SVG <title> is not the page title');
});

test('link text ends where another <a> starts, as browsers parse unclosed links', () => {
  const f = fields('<a href="/1">one <b>bold<a href="/2">two</a> rest</b></a><a href="/3">x<area href="/4">y</a>');
  assert.deepEqual(f.anchors.map((a) => a.text), ['one bold', 'two', 'xy', '']);
});
