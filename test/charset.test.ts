/**
 * Charset decisions beyond the 1 KB prescan (issues 16.9 and 17.12), through the real parse
 * workers: a <meta charset> anywhere changes a guessed encoding (HTML standard "change the
 * encoding"), never one from a BOM or the Content-Type; a UTF-16 Content-Type on a body that is
 * not UTF-16 is overridden and the page's encoding says so.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ParsePool } from '../src/parse/pool.js';
import type { ParseOk } from '../src/parse/protocol.js';
import { encodingChange, metaEncoding, sniff } from '../src/parse/decode.js';

let pool: ParsePool;
before(() => {
  pool = new ParsePool({ workers: 1, parseTimeoutMs: 30_000, workerMemoryMb: 256, stripParams: [], extract: null });
});
after(async () => {
  await pool.close();
});

const bytes = (...parts: (string | number[])[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
// 日本語 in Shift_JIS: not valid UTF-8, so the default guess is windows-1252.
const NIHONGO = [0x93, 0xfa, 0x96, 0x7b, 0x8c, 0xea];
const PADDING = `<!-- ${'x'.repeat(1100)} -->`;

async function parse(body: Uint8Array, charset: string | null): Promise<ParseOk & { words: string }> {
  const r = await pool.parse({ url: 'http://example.jp/', body, charset });
  assert.equal(r.ok, true, JSON.stringify(r));
  const ok = r as ParseOk;
  return { ...ok, words: new TextDecoder().decode(ok.text) };
}

test('a <meta charset> after the first 1024 bytes changes a guessed encoding', async () => {
  const r = await parse(bytes('<html><head>', PADDING, '<meta charset="shift_jis"><title>', NIHONGO, '</title></head><body>', NIHONGO, '</body></html>'), null);
  assert.equal(r.encoding, 'shift_jis');
  assert.equal(r.title, '日本語');
  assert.equal(r.words, '日本語');
  // http-equiv counts too, and so does a <meta> in the body.
  const r2 = await parse(bytes(PADDING, '<p>', NIHONGO, '</p><meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">'), null);
  assert.deepEqual([r2.encoding, r2.words], ['shift_jis', '日本語']);
});

test('a late <meta charset> does not override a Content-Type charset, a BOM, or an earlier <meta>', async () => {
  const late = bytes(PADDING, '<meta charset="shift_jis"><p>caf', [0xe9], '</p>');
  assert.deepEqual([(await parse(late, 'windows-1252')).encoding, (await parse(late, 'windows-1252')).words], ['windows-1252', 'café']);
  const bom = bytes([0xef, 0xbb, 0xbf], PADDING, '<meta charset="shift_jis"><p>caf', [0xc3, 0xa9], '</p>');
  assert.deepEqual([(await parse(bom, null)).encoding, (await parse(bom, null)).words], ['utf-8', 'café']);
  const first = await parse(bytes('<meta charset="windows-1252">', PADDING, '<meta charset="shift_jis"><p>caf', [0xe9], '</p>'), null);
  assert.deepEqual([first.encoding, first.words], ['windows-1252', 'café']);
  // Not a <meta> the parser meets: inside a comment or a script.
  const hidden = await parse(bytes(PADDING, '<!-- <meta charset="shift_jis"> --><script>"<meta charset=shift_jis>"</script><p>caf', [0xe9], '</p>'), null);
  assert.deepEqual([hidden.encoding, hidden.words], ['windows-1252', 'café']);
});

test('a late windows-1252 <meta> on valid UTF-8 is a mislabel, as an early one is', async () => {
  const r = await parse(bytes(PADDING, '<meta charset="iso-8859-1"><p>caf', [0xc3, 0xa9], '</p>'), null);
  assert.deepEqual([r.encoding, r.words], ['utf-8', 'café']);
});

test('a UTF-16 Content-Type on an ASCII body keeps its title, and the encoding says what happened', async () => {
  const r = await parse(Buffer.from('<html><head><title>Plain ASCII</title></head><body><p>Hello</p></body></html>'), 'utf-16');
  assert.equal(r.title, 'Plain ASCII');
  assert.equal(r.words, 'Hello');
  assert.equal(r.encoding, 'utf-8 (declared utf-16le)');
  // A <meta> in it is followed (prescan rules: a utf-16 label there means utf-8).
  const sj = await parse(bytes('<meta charset="shift_jis"><title>', NIHONGO, '</title>'), 'utf-16');
  assert.deepEqual([sj.encoding, sj.title], ['shift_jis (declared utf-16le)', '日本語']);
});

test('UTF-16 without a BOM is decoded as UTF-16, in the byte order the bytes show', async () => {
  const html = '<title>wide</title><p>ü</p>';
  const le = await parse(Buffer.from(html, 'utf16le'), 'utf-16');
  assert.deepEqual([le.encoding, le.title, le.words], ['utf-16le', 'wide', 'ü']);
  const be = Buffer.from(html, 'utf16le').swap16();
  const r = await parse(be, 'utf-16le');
  assert.deepEqual([r.encoding, r.title, r.words], ['utf-16be (declared utf-16le)', 'wide', 'ü']);
});

test('sniff confidence, meta labels and the change rule', () => {
  assert.deepEqual(sniff(bytes('<p>x</p>'), null), { encoding: 'utf-8', tentative: true });
  assert.deepEqual(sniff(bytes('<meta charset=euc-jp>'), null), { encoding: 'euc-jp', tentative: true });
  assert.deepEqual(sniff(bytes('<p>x</p>'), 'shift_jis'), { encoding: 'shift_jis', tentative: false });
  assert.deepEqual(sniff(bytes([0xef, 0xbb, 0xbf], '<p>x</p>'), 'shift_jis'), { encoding: 'utf-8', tentative: false });
  assert.equal(metaEncoding({ charset: ' UTF-16 ' }), 'utf-8');
  assert.equal(metaEncoding({ charset: 'x-user-defined' }), 'windows-1252');
  assert.equal(metaEncoding({ charset: 'no-such-label' }), null);
  assert.equal(encodingChange('utf-16le', 'shift_jis', bytes('')), null, 'a UTF-16 document keeps its encoding');
  assert.equal(encodingChange('windows-1252', 'windows-1252', bytes('')), null);
  assert.equal(encodingChange('windows-1252', 'shift_jis', bytes('')), 'shift_jis');
});
