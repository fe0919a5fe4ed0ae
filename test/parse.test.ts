/**
 * The parse stage through the real ParsePool (real worker threads): field extraction,
 * links, visible text and encoding sniffing. Fault handling and custom extractors are in
 * parse-faults.test.ts.
 */

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ParsePool, type PoolParseResult } from '../src/parse/pool.js';
import type { ParseOk } from '../src/parse/protocol.js';

let pool: ParsePool;

before(() => {
  pool = new ParsePool({ workers: 2, parseTimeoutMs: 30_000, workerMemoryMb: 256, stripParams: ['utm_*', 'sid'], extract: null });
});
after(async () => {
  await pool.close();
});

function bytes(...parts: (string | number[])[]): Uint8Array {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
}

/** A parse result with its text (UTF-8 bytes, see ParseOk.text) decoded for the assertions. */
type Parsed = Omit<ParseOk, 'text'> & { text: string };

async function parseOk(html: string | Uint8Array, url = 'http://example.com/dir/page.html', charset: string | null = null): Promise<Parsed> {
  const body = typeof html === 'string' ? new TextEncoder().encode(html) : html;
  const r: PoolParseResult = await pool.parse({ url, body, charset });
  assert.equal(r.ok, true, `expected ok, got ${JSON.stringify(r)}`);
  const ok = r as ParseOk;
  assert.ok(ok.text instanceof Uint8Array, 'the text crosses threads as bytes');
  return { ...ok, text: new TextDecoder('utf-8', { fatal: true }).decode(ok.text) };
}

const FULL = `<!DOCTYPE html>
<html lang="de-AT">
<head>
  <meta charset="utf-8">
  <title>  The   Title &amp; more </title>
  <meta name="Description" content="  A   page about things. ">
  <meta name="robots" content="NoIndex, Follow">
  <link rel="stylesheet" href="/s.css">
  <link rel="Canonical" href="/canon/?utm_source=feed&amp;id=7#top">
  <style>body { color: red }</style>
  <script>var hidden = "script text";</script>
</head>
<body>
  <svg><title>svg tooltip</title><text>svg text</text></svg>
  <h1>Main <em>heading</em></h1>
  <h1>Second heading</h1>
  <p>First   paragraph with <a href="other.html?sid=abc&amp;q=1" rel="NoFollow UGC">a
     link</a>.</p>
  <noscript>enable js</noscript><template><p>template text</p></template>
  <iframe src="x.html">iframe text</iframe>
  <map><area href="/area" alt="x"></map>
  <a href="mailto:me@example.com">mail</a><a href="javascript:void(0)">js</a><a href="ftp://x/">ftp</a>
  <a href="#frag">self</a>
</body>
</html>`;

describe('field extraction', () => {
  test('every field of a full page', async () => {
    const r = await parseOk(FULL);
    assert.equal(r.encoding, 'utf-8');
    assert.equal(r.title, 'The Title & more');
    assert.equal(r.description, 'A page about things.');
    assert.equal(r.canonical, 'http://example.com/canon/?id=7');
    assert.equal(r.lang, 'de-AT');
    assert.equal(r.h1, 'Main heading');
    assert.equal(r.metaRobots, 'noindex, follow');
    assert.deepEqual(r.links, [
      { url: 'http://example.com/dir/other.html?q=1', text: 'a link', rel: 'nofollow ugc' },
      { url: 'http://example.com/area', text: '', rel: null },
      { url: 'http://example.com/dir/page.html', text: 'self', rel: null },
    ]);
    // SVG labels are words on the page (see README "What is stored"); the SVG <title> is not the page title.
    assert.equal(r.text, 'svg tooltip svg text Main heading Second heading First paragraph with a link. mailjsftp self');
    assert.equal(r.wordCount, 15);
    const hash = createHash('sha256').update('The Title & more\n' + r.text).digest('hex');
    assert.equal(r.contentHash, hash);
    assert.equal(r.extract, undefined);
    assert.equal(r.extractError, undefined);
  });

  test('absent fields are null, empty body has no words', async () => {
    const r = await parseOk('<html><body></body></html>');
    assert.deepEqual(
      [r.title, r.description, r.canonical, r.lang, r.h1, r.metaRobots, r.text, r.wordCount, r.links],
      [null, null, null, null, null, null, '', 0, []],
    );
    assert.equal(r.contentHash, createHash('sha256').update('\n').digest('hex'));
  });

  test('a fragment without html/head/body still yields title, text and links', async () => {
    const r = await parseOk('<title>T</title><p>Just <a href="/x">text</a></p>');
    assert.equal(r.title, 'T');
    assert.equal(r.text, 'Just text');
    assert.deepEqual(r.links.map((l) => l.url), ['http://example.com/x']);
  });
});

describe('links', () => {
  test('<base href> is resolved against the page URL and used for links and canonical', async () => {
    const r = await parseOk(
      '<head><base href="../assets/v2/"><link rel="canonical" href="c.html"></head><body><a href="a.html">A</a><a href="/root">R</a><a href="//cdn.example.org/x">C</a></body>',
      'https://example.com/dir/sub/page.html',
    );
    assert.equal(r.canonical, 'https://example.com/dir/assets/v2/c.html');
    assert.deepEqual(r.links.map((l) => l.url), [
      'https://example.com/dir/assets/v2/a.html',
      'https://example.com/root',
      'https://cdn.example.org/x',
    ]);
  });

  test('a non-http <base href> is ignored', async () => {
    const r = await parseOk('<base href="javascript:alert(1)"><a href="a.html">A</a>', 'http://example.com/d/p');
    assert.deepEqual(r.links.map((l) => l.url), ['http://example.com/d/a.html']);
  });

  test('deduplicated by normalized URL, first anchor kept, document order', async () => {
    const r = await parseOk(`<body>
      <a href="/b">B first</a><a href="/a#x">A first</a><a href="/b#frag">B again</a>
      <a href="HTTP://EXAMPLE.com:80/a?utm_medium=m">A again</a><a href="/c" rel=" Next ">C</a></body>`);
    assert.deepEqual(r.links, [
      { url: 'http://example.com/b', text: 'B first', rel: null },
      { url: 'http://example.com/a', text: 'A first', rel: null },
      { url: 'http://example.com/c', text: 'C', rel: 'next' },
    ]);
  });

  test('anchor text is whitespace-collapsed and capped at 300 characters', async () => {
    const long = 'word '.repeat(200);
    const r = await parseOk(`<a href="/l"><span>${long}</span></a><a href="/m">  two\n\t <b>parts</b> <img alt="no"> </a>`);
    assert.equal(r.links[0].text.length, 300);
    assert.ok(r.links[0].text.startsWith('word word'));
    assert.equal(r.links[1].text, 'two parts');
  });
});

describe('visible text', () => {
  test('adjacent blocks do not run together; inline elements do not split words', async () => {
    const r = await parseOk('<body><p>Hello</p><p>World</p><div>a<div>b</div>c</div><ul><li>one</li><li>two</li></ul>x<br>y <b>bo</b>ld&nbsp;end<table><tr><td>1</td><td>2</td></tr></table></body>');
    assert.equal(r.text, 'Hello World a b c one two x y bold end 1 2');
    assert.equal(r.wordCount, 13);
  });

  test('script, style, noscript, template, iframe contents and SVG drawing are removed', async () => {
    const r = await parseOk('<body>A<script>s()</script><style>.x{}</style><noscript>n</noscript><template>t</template><iframe>i</iframe>B<!-- comment -->'
      + '<svg><style>.s{}</style><script>x()</script><g>loose</g><text>label</text></svg></body>');
    assert.equal(r.text, 'AB label');
  });
});

describe('decoding', () => {
  test('windows-1252 from the Content-Type charset only', async () => {
    const body = bytes('<html><body><p>caf', [0xe9], ' ', [0x93], 'quoted', [0x94], ' ', [0x80], '5</p></body></html>');
    const r = await parseOk(body, 'http://example.com/', 'windows-1252');
    assert.equal(r.encoding, 'windows-1252');
    assert.equal(r.text, 'café “quoted” €5');
  });

  test('iso-8859-1 label is decoded as windows-1252 (WHATWG)', async () => {
    const r = await parseOk(bytes('<p>', [0x80], '</p>'), 'http://example.com/', 'ISO-8859-1');
    assert.equal(r.encoding, 'windows-1252');
    assert.equal(r.text, '€');
  });

  test('Shift_JIS declared only by <meta charset>', async () => {
    // 日本語 in Shift_JIS
    const body = bytes('<html><head><meta charset="Shift_JIS"><title>', [0x93, 0xfa, 0x96, 0x7b, 0x8c, 0xea], '</title></head><body>', [0x93, 0xfa, 0x96, 0x7b], '</body></html>');
    const r = await parseOk(body, 'http://example.jp/', null);
    assert.equal(r.encoding, 'shift_jis');
    assert.equal(r.title, '日本語');
    assert.equal(r.text, '日本');
  });

  test('GBK via http-equiv Content-Type with the gb2312 label', async () => {
    // 中文 in GBK
    const body = bytes('<head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body>', [0xd6, 0xd0, 0xce, 0xc4], '</body>');
    const r = await parseOk(body, 'http://example.cn/', null);
    assert.equal(r.encoding, 'gbk');
    assert.equal(r.text, '中文');
  });

  test('a UTF-8 BOM overrides the Content-Type charset', async () => {
    const body = bytes([0xef, 0xbb, 0xbf], '<p>caf', [0xc3, 0xa9], '</p>');
    const r = await parseOk(body, 'http://example.com/', 'windows-1252');
    assert.equal(r.encoding, 'utf-8');
    assert.equal(r.text, 'café');
  });

  test('UTF-16LE with a BOM is text, not binary junk', async () => {
    const html = '<title>wide</title><p>ü</p>';
    const body = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(html, 'utf16le')]);
    const r = await parseOk(body, 'http://example.com/', 'utf-8');
    assert.equal(r.encoding, 'utf-16le');
    assert.equal(r.title, 'wide');
    assert.equal(r.text, 'ü');
  });

  test('invalid UTF-8 bytes become U+FFFD and never throw', async () => {
    const body = bytes('<p>ok ', [0xff, 0xc3, 0x28, 0xe2, 0x82], ' end</p>');
    const r = await parseOk(body, 'http://example.com/', 'utf-8');
    assert.equal(r.encoding, 'utf-8');
    assert.ok(r.text.startsWith('ok \uFFFD'), r.text);
    assert.ok(r.text.endsWith(' end'));
  });

  test('no declaration: valid UTF-8 is UTF-8, anything else windows-1252', async () => {
    const utf8 = await parseOk(bytes('<p>na', [0xc3, 0xaf], 've</p>'), 'http://example.com/', null);
    assert.deepEqual([utf8.encoding, utf8.text], ['utf-8', 'naïve']);
    const latin = await parseOk(bytes('<p>na', [0xef], 've</p>'), 'http://example.com/', null);
    assert.deepEqual([latin.encoding, latin.text], ['windows-1252', 'naïve']);
  });

  test('binary junk labelled text/html is NOT_HTML', async () => {
    const junk = new Uint8Array(2048);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919) % 251 < 40 ? 0 : (i * 31) % 256;
    const r = await pool.parse({ url: 'http://example.com/file.html', body: junk, charset: 'utf-8' });
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.code, 'NOT_HTML');
    const png = bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'IHDR rest of the image');
    const r2 = await pool.parse({ url: 'http://example.com/img', body: png, charset: null });
    assert.equal(!r2.ok && r2.code, 'NOT_HTML');
  });
});
