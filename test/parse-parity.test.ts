/**
 * The parse worker finds page fields two ways: by walking cheerio's DOM (with a custom
 * extractor, which needs the DOM) and while htmlparser2 parses, without a DOM (the default).
 * Both must give exactly the same fields: checked on tricky hand-written documents, on the
 * demo site's pages, and on seeded random tag soup.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { load } from 'cheerio/slim';
import type { AnyNode } from 'domhandler';
import { fieldsFromDom } from '../src/parse/fields.js';
import { fieldsFromHtml } from '../src/parse/stream-fields.js';
import { prng, SiteModel } from '../src/demo/site-model.js';

function assertSame(html: string, label: string): void {
  const dom = fieldsFromDom(load(html).root().get(0) as AnyNode);
  const stream = fieldsFromHtml(html);
  assert.deepEqual(stream, dom, `${label}: ${html.length > 400 ? html.slice(0, 400) + '...' : html}`);
}

const TRICKY: string[] = [
  '',
  'just text, no tags at all   ',
  '<title>T</title>plain text after <b>bold</b> and <div>block</div>',
  '<html lang=" en "><head><title> A  &amp; B </title><meta name="Description" content=" d "><meta name=robots content="NOINDEX">'
    + '<link rel="alternate canonical" href="/c"><base href="/base/"></head><body><h1>Head <span>line</span></h1><p>One</p><p>Two</p></body></html>',
  // No <body>: the whole document minus <head>; text after </body> is outside the body.
  '<html><head><title>x</title></head><p>para</p><script>var a = "<p>";</script><style>p{}</style>tail</html>',
  '<body>in body</body>after body <a href="/after">after link</a>',
  // Nested and implied elements.
  '<p>one<p>two<div>three</div><li>four<li>five<table><tr><td>six<td>seven</table>',
  '<a href="/outer">outer <a href="/inner">inner</a> rest</a><a href="/x"><div>block</div>in<b>line</b></a>',
  '<a href="/n"><noscript>hidden</noscript>shown <script>x</script><template>t</template><iframe>i</iframe>end</a>',
  '<noscript><a href="/ns">no script link</a></noscript><svg><title>tooltip</title><a href="/svg">svg link</a></svg><title>real</title>',
  '<h1><noscript>no</noscript>yes <b>bold</b><div>block</div></h1><h1>second</h1>',
  '<area href="/map" rel=" NoFollow  Ugc "><a href="">empty</a><a>no href</a><a href="javascript:void(0)">js</a><a href="/dup">1</a><a href="/dup">2</a>',
  'a&nbsp;&nbsp;b\u00a0\u2003c\t\n\r d  <!-- comment --> e<!---->f<![CDATA[cdata]]>g<?pi x?>h',
  'Hel<b>lo</b> wor<i>ld</i><br>next<br/>line<img alt=x>img<wbr>wbr',
  '<BODY><DIV>Upper</DIV><A HREF="/UP">Up</A></BODY>',
  '<title>first</title><title>second</title><base><base href="//cdn.example.com/"><meta content="no name"><meta name="description">',
  '<body><body>nested body</body>text</body><body>second body</body>',
  '<div>unclosed <span>span <p>para',
  '</p></div></br>stray closes<br></br>',
  '<textarea><b>not a tag</b></textarea><select><option>o1<option>o2</select>',
  '<head><body>body in head</body></head>',
  '<svg><svg><title>deep</title></svg><title>still svg</title></svg><title>outside</title>',
  '<a href="/a" rel="">x</a><a href="/b" rel="  ">y</a><link rel=canonical><link href="/nc" rel="stylesheet">',
  '<html lang=""><html lang="fr"><p>two html tags</p>',
  `<a href="/long">${'word '.repeat(200)}</a>`,
  '<p>  lead and trail  </p>  <p>\n\n</p><span> </span><span>x</span>',
  '<ul><li><a href="/1">One</a></li><li><a href="/2">Two</a></li></ul><nav><a href="/3">Three</a>|<a href="/4">Four</a></nav>',
  // Obsolete inline and custom elements; text around and after <body>.
  '<p>Compilation (<acronym>JIT</acronym>) <acronym>TOAST</acronym>ed <big>b</big><tt>t</tt><blink>k</blink><nobr>n</nobr><x-y>c</x-y></p>',
  'pre<html><head><title>t</title></head>mid<body><p>in</p></body></html>\n<p>after</p> tail',
  // SVG labels, nested SVG, foreignObject, svg <title> inside links and headings.
  '<svg><title>T</title><g>loose</g><text>a<tspan>b</tspan></text><foreignObject><p>f</p><svg><text>in</text>no</svg></foreignObject></svg>',
  '<a href="/s"><svg><text>label</text>x</svg></a><h1><svg><title>h</title></svg>head</h1><svg><style>s</style><script>j</script><text>k</text></svg>',
  // Unclosed links nest in htmlparser2; their text ends at the next <a>.
  '<a href="/1">one<a href="/2">two<a>three<noscript><a href="/4">four</a></noscript>five</a>six</a>seven',
  '<a href="/p"><b>x<area href="/q">y</b><a href="/r">z',
  // Encoding declarations: the first known one counts, wherever it is.
  '<meta charset="bogus"><meta name="x" charset="utf-16"><meta http-equiv="content-type" content="text/html; charset=shift_jis">',
  '<body><p>late</p><meta http-equiv="Content-Type" content="text/html;charset=&quot;euc-jp&quot;"><meta charset="gbk">',
];

test('the streaming fields equal the DOM fields on tricky documents', () => {
  TRICKY.forEach((html, i) => assertSame(html, `tricky #${i}`));
});

test('the streaming fields equal the DOM fields on the demo site pages', () => {
  const model = new SiteModel({ pages: 50, pageBytes: 44_000, fanOut: 10, seed: 3, extras: true });
  for (let i = 0; i < 50; i += 7) assertSame(model.html(i, 'http://127.0.0.1:1', 'http://localhost:2', 1), `page ${i}`);
});

test('the streaming fields equal the DOM fields on random tag soup', () => {
  const rand = prng(20261123);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const TAGS = ['a', 'area', 'div', 'p', 'span', 'b', 'i', 'h1', 'title', 'body', 'html', 'head', 'script', 'style', 'noscript',
    'svg', 'meta', 'link', 'base', 'br', 'img', 'table', 'tr', 'td', 'li', 'ul', 'template', 'iframe', 'textarea', 'option', 'select', 'wbr', 'em',
    'acronym', 'x-custom', 'text', 'tspan', 'foreignObject', 'g', 'rt', 'rp'];
  const ATTRS = ['href="/p"', 'href=""', 'href="#f"', 'href="http://other.example/x?utm_source=1"', 'rel="nofollow"', 'rel="canonical"',
    'name="description"', 'name="robots"', 'content=" c  d "', 'lang="en"', 'lang=" "'];
  const TEXTS = ['word', ' ', '  ', '\n', '\t', '&nbsp;', '\u00a0', '&amp;', 'two words', ' lead', 'trail ', 'é', '<', '>', '&'];
  for (let doc = 0; doc < 400; doc++) {
    let html = rand() < 0.2 ? '<!DOCTYPE html>' : '';
    const n = 5 + Math.floor(rand() * 60);
    for (let k = 0; k < n; k++) {
      const r = rand();
      if (r < 0.35) {
        const attrs = Array.from({ length: Math.floor(rand() * 3) }, () => pick(ATTRS)).join(' ');
        html += `<${pick(TAGS)}${attrs ? ' ' + attrs : ''}>`;
      } else if (r < 0.55) html += `</${pick(TAGS)}>`;
      else if (r < 0.6) html += pick(['<!-- c -->', '<br/>', '<![CDATA[x]]>', '<?x?>']);
      else html += pick(TEXTS);
    }
    assertSame(html, `random #${doc}`);
  }
});
