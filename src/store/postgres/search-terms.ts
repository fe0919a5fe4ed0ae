/**
 * Search terms for PostgreSQL full-text search. One tokenizer serves pages (tsvectorBinary, run in
 * the parse threads; tsvectorLiteral where text is wanted) and queries (src/store/postgres/tsquery.ts), so a query word finds the page
 * word it was typed from whatever the server's locale or text-search parser would make of either:
 * a word is a run of letters, digits and marks (Unicode L, N, M, Co), lower-cased, with the
 * diacritics of Latin letters removed (`café` = `cafe`), as FTS5's `unicode61 remove_diacritics 2`
 * does on SQLite. Building the tsvector here rather than with to_tsvector() in the server moved
 * ~0.7 ms of server CPU per page (7 KB of text) into a parse thread (bench/results/2026-12-02-pg-ab.md);
 * sending it in binary rather than as text saved the server the parse of it, another ~0.3 ms a page
 * (bench/results/2026-12-07-pg-binary-ab.md).
 */

const WORD = /[\p{L}\p{N}\p{M}\p{Co}]+/gu;
const ASCII = /^[\x00-\x7f]*$/;
/** A Latin letter and the combining marks that follow it (after NFD): the marks go. */
const LATIN_MARKS = /(\p{Script=Latin})\p{Mn}+/gu;

/** PostgreSQL's tsvector limits (src/include/tsearch/ts_type.h): past them it errors or clamps. */
export const MAX_LEXEME_BYTES = 2046;
const MAX_POSITION = 16383;
const MAX_POSITIONS_PER_LEXEME = 256;
/**
 * A tsvector's data (each word padded to an even length, plus 2 bytes of count and 2 per position)
 * must stay under 1 MiB: past this budget a huge page's further words and positions are not indexed.
 */
const MAX_VECTOR_BYTES = 1_000_000;

/** One word as it is indexed and searched: lower case, Latin diacritics removed. */
export function normalizeWord(word: string): string {
  const w = word.toLowerCase();
  if (ASCII.test(w)) return w;
  return w.normalize('NFD').replace(LATIN_MARKS, '$1').normalize('NFC');
}

/** The words of `s`, normalized, in order. */
export function searchWords(s: string): string[] {
  const out: string[] = [];
  for (const m of s.matchAll(WORD)) out.push(normalizeWord(m[0]));
  return out;
}

/**
 * A page's words and their positions, within PostgreSQL's tsvector limits: the title's words with
 * weight A, then the text's with weight B, positions counted on from the title's (as
 * `setweight(…, 'A') || setweight(…, 'B')` would number them). Over-long words are skipped
 * (to_tsvector skips them too), at most 256 positions are kept per word, and a page whose vector
 * would pass 1 MiB keeps its first words (to_tsvector would fail). Each word's positions ascend; a
 * title position is negated (-3 is position 3, weight A).
 *
 * Positions past 16,383 wrap around to 1 (word 16,384 is at 1, 16,385 at 2, …) where to_tsvector
 * clamps them all to 16,383: a phrase (`a <-> b` needs b one position after a) is then found to the
 * end of a long page, not only in its first 16,383 words. The price: a phrase split by a wrap is
 * missed, and two words at adjacent positions of different 16,383-word segments read as a phrase.
 */
function wordPositions(title: string | null, text: string): { positions: Map<string, number[]>; ascii: boolean } {
  // After a wrap, text positions overlap the title's, so the weight cannot be told from the position: hence the sign.
  const positions = new Map<string, number[]>();
  let count = 0;
  let wrapped = false;
  let inTitle = true;
  let size = 0;
  let allAscii = true;
  const word = (w: string, bytes: number) => {
    count++;
    const pos = ((count - 1) % MAX_POSITION) + 1;
    if (pos === 1 && count > 1) wrapped = true;
    let list = positions.get(w);
    if (list === undefined) {
      const cost = bytes + (bytes & 1) + 4;
      if (bytes > MAX_LEXEME_BYTES || size + cost > MAX_VECTOR_BYTES) return;
      size += cost;
      list = [];
      positions.set(w, list);
    } else if (list.length >= MAX_POSITIONS_PER_LEXEME || size + 2 > MAX_VECTOR_BYTES) {
      return; // at most 256 positions
    } else if (wrapped && (list.includes(pos) || list.includes(-pos))) {
      return; // the word is at this position of an earlier segment: once (the first, maybe the title's)
    } else {
      size += 2;
    }
    list.push(inTitle ? -pos : pos);
  };
  const add = (s: string) => {
    const lower = s.toLowerCase();
    if (ASCII.test(lower)) {
      // Most pages are ASCII: words are runs of a-z and 0-9, read a character at a time (no
      // normalization, no match objects; several times faster than the Unicode expression).
      const n = lower.length;
      for (let i = 0; i < n; i++) {
        if (!isAsciiWordChar(lower.charCodeAt(i))) continue;
        const start = i;
        while (i + 1 < n && isAsciiWordChar(lower.charCodeAt(i + 1))) i++;
        word(lower.slice(start, i + 1), i + 1 - start);
      }
      return;
    }
    allAscii = false;
    WORD.lastIndex = 0;
    for (let m = WORD.exec(lower); m !== null; m = WORD.exec(lower)) {
      const w = normalizeWord(m[0]);
      word(w, Buffer.byteLength(w));
    }
  };
  if (title) add(title);
  inTitle = false;
  add(text);
  if (wrapped) for (const list of positions.values()) list.sort((a, b) => Math.abs(a) - Math.abs(b));
  return { positions, ascii: allAscii };
}

/** a-z or 0-9 (a lower-cased ASCII word's characters). */
const isAsciiWordChar = (c: number) => (c >= 97 && c <= 122) || (c >= 48 && c <= 57);

/** The page's tsvector (wordPositions) in PostgreSQL's input syntax (`'word':1A,3B …`). */
export function tsvectorLiteral(title: string | null, text: string): string {
  let out = '';
  // Words hold no quote or backslash (letters, digits, marks), so quoting needs no escapes.
  for (const [w, list] of wordPositions(title, text).positions) {
    out += out ? ` '${w}':` : `'${w}':`;
    for (let i = 0; i < list.length; i++) out += `${i ? ',' : ''}${Math.abs(list[i])}${list[i] < 0 ? 'A' : 'B'}`;
  }
  return out;
}

/** Weight bits of a tsvector position (src/include/tsearch/ts_type.h: A = 3, B = 2, in the top two bits). */
const WEIGHT_A = 3 << 14, WEIGHT_B = 2 << 14;

/**
 * The page's tsvector (wordPositions) in PostgreSQL's binary format (tsvectorrecv): a count, then
 * per word its UTF-8 bytes, a NUL, a position count and the positions with their weight bits; words
 * in the server's order (bytes compared, a prefix first), so the server need not sort. Reading this
 * costs the server a fifth of the input syntax (256 pages of 800 words: 18 ms against 94 ms).
 */
export function tsvectorBinary(title: string | null, text: string): Uint8Array {
  const { positions, ascii } = wordPositions(title, text);
  const out = ascii ? asciiVector(positions) : utf8Vector(positions);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** All words ASCII: a string's code units are its bytes, so strings sort in the server's order. */
function asciiVector(positions: Map<string, number[]>): Buffer {
  const words = [...positions.keys()].sort();
  let size = 4;
  for (const w of words) size += w.length + 3 + 2 * positions.get(w)!.length;
  const out = Buffer.allocUnsafeSlow(size); // its own ArrayBuffer: moved, not copied, from the parse thread
  let o = out.writeInt32BE(words.length, 0);
  for (const w of words) {
    for (let i = 0; i < w.length; i++) out[o++] = w.charCodeAt(i);
    out[o++] = 0;
    o = writePositions(out, o, positions.get(w)!);
  }
  return out;
}

/** Words with other characters: sorted by their UTF-8 bytes (UTF-16 order differs past U+FFFF). */
function utf8Vector(positions: Map<string, number[]>): Buffer {
  const words: { w: Buffer; list: number[] }[] = [];
  let size = 4;
  for (const [w, list] of positions) {
    const b = Buffer.from(w, 'utf8');
    words.push({ w: b, list });
    size += b.length + 3 + 2 * list.length;
  }
  words.sort((a, b) => Buffer.compare(a.w, b.w));
  const out = Buffer.allocUnsafeSlow(size);
  let o = out.writeInt32BE(words.length, 0);
  for (const { w, list } of words) {
    o += w.copy(out, o);
    out[o++] = 0;
    o = writePositions(out, o, list);
  }
  return out;
}

/** A word's position count and positions with their weight bits (title positions are negative: weight A). */
function writePositions(out: Buffer, o: number, list: number[]): number {
  out[o++] = list.length >> 8;
  out[o++] = list.length & 255;
  for (const p of list) {
    const v = p < 0 ? WEIGHT_A | -p : WEIGHT_B | p;
    out[o++] = v >> 8;
    out[o++] = v & 255;
  }
  return o;
}
