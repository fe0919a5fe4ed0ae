/**
 * Search terms for PostgreSQL full-text search. One tokenizer serves pages (tsvectorLiteral, run in
 * the parse threads) and queries (src/store/postgres/tsquery.ts), so a query word finds the page
 * word it was typed from whatever the server's locale or text-search parser would make of either:
 * a word is a run of letters, digits and marks (Unicode L, N, M, Co), lower-cased, with the
 * diacritics of Latin letters removed (`café` = `cafe`), as FTS5's `unicode61 remove_diacritics 2`
 * does on SQLite. Building the tsvector here rather than with to_tsvector() in the server moved
 * ~0.7 ms of server CPU per page (7 KB of text) into a parse thread (bench/results/2026-12-02-pg-ab.md).
 */

const WORD = /[\p{L}\p{N}\p{M}\p{Co}]+/gu;
const ASCII = /^[\x00-\x7f]*$/;
/** WORD for lower-case ASCII text. */
const ASCII_WORD = /[a-z0-9]+/g;
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
 * The tsvector of a page, as PostgreSQL's input syntax: the title's words with weight A, then the
 * text's with weight B, positions counted on from the title's (as `setweight(…, 'A') ||
 * setweight(…, 'B')` would number them). Within PostgreSQL's limits: over-long words are skipped
 * (to_tsvector skips them too), positions past 16,383 are clamped and at most 256 are kept per
 * word, and a page whose vector would pass 1 MiB keeps its first words (to_tsvector would fail).
 */
export function tsvectorLiteral(title: string | null, text: string): string {
  const positions = new Map<string, number[]>();
  let pos = 0;
  let size = 0;
  const add = (s: string) => {
    const lower = s.toLowerCase();
    // Most pages are ASCII: a plain regex and no normalization, several times faster.
    const ascii = ASCII.test(lower);
    const re = ascii ? ASCII_WORD : WORD;
    re.lastIndex = 0;
    for (let m = re.exec(lower); m !== null; m = re.exec(lower)) {
      const w = ascii ? m[0] : normalizeWord(m[0]);
      pos = pos < MAX_POSITION ? pos + 1 : MAX_POSITION;
      let list = positions.get(w);
      if (list === undefined) {
        const bytes = ascii ? w.length : Buffer.byteLength(w);
        const cost = bytes + (bytes & 1) + 4;
        if (bytes > MAX_LEXEME_BYTES || size + cost > MAX_VECTOR_BYTES) continue;
        size += cost;
        list = [];
        positions.set(w, list);
      } else if (list.length >= MAX_POSITIONS_PER_LEXEME || list[list.length - 1] === pos || size + 2 > MAX_VECTOR_BYTES) {
        continue; // at most 256 positions; past 16,383 every word is at 16,383, once
      } else {
        size += 2;
      }
      list.push(pos);
    }
  };
  if (title) add(title);
  const titleEnd = pos;
  add(text);
  let out = '';
  // Words hold no quote or backslash (letters, digits, marks), so quoting needs no escapes.
  for (const [w, list] of positions) {
    out += out ? ` '${w}':` : `'${w}':`;
    for (let i = 0; i < list.length; i++) out += `${i ? ',' : ''}${list[i]}${list[i] <= titleEnd ? 'A' : 'B'}`;
  }
  return out;
}
