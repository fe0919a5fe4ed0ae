/**
 * `crawl search` on PostgreSQL: the user's query, in the web-search syntax of websearch_to_tsquery
 * plus FTS5's `prefix*` and `title:`/`text:`, turned into a tsquery literal whose words went through
 * the same tokenizer as the pages (./search-terms.ts). The literal is cast with ::tsquery,
 * which takes words as they are: the server's parser and locale never see them, so a query matches
 * what was indexed on every server.
 *
 *   api token          both words (AND)
 *   "getting started"  the phrase (words next to each other)
 *   sitemap or robots  either (binds tighter than AND: `a b or c` is a AND (b OR c))
 *   -draft             pages without the word
 *   crawl*             words starting with crawl
 *   title:install      the word in the title (text:… in the text)
 *   foo-bar, v1.2      words joined by punctuation are a phrase (foo <-> bar), as in FTS5
 */
import { MAX_LEXEME_BYTES, searchWords } from './search-terms.js';

interface Term { text: string; not: boolean; prefix: boolean; column: 'A' | 'B' | null; phrase: boolean }

/**
 * The tsquery literal of `query`, or null when it holds no word. `inTitle`: its words (but not the
 * excluded ones) must be in the title; search ranks the pages this matches first, as on SQLite.
 */
export function tsqueryOf(query: string, inTitle = false): string | null {
  const groups: string[][] = [[]];
  let orNext = false;
  for (const t of terms(query)) {
    if (!t.phrase && !t.not && t.column === null && !t.prefix && t.text.toLowerCase() === 'or') {
      orNext = groups[groups.length - 1].length > 0;
      continue;
    }
    const q = termQuery(inTitle && !t.not && t.column === null ? { ...t, column: 'A' } : t);
    if (q === null) continue;
    if (orNext && !t.not) groups[groups.length - 1].push(q);
    else groups.push([q]);
    orNext = false;
  }
  const parts = groups.filter((g) => g.length).map((g) => (g.length > 1 ? `( ${g.join(' | ')} )` : g[0]));
  return parts.length ? parts.join(' & ') : null;
}

/** Splits the query into quoted phrases and bare terms, with their `-`, `column:` and `*`. */
function terms(query: string): Term[] {
  const out: Term[] = [];
  const re = /(-?)(?:(title|text):)?(?:"([^"]*)"?|(\S+))/giy;
  let i = 0;
  while (i < query.length) {
    if (/\s/.test(query[i])) { i++; continue; }
    re.lastIndex = i;
    const m = re.exec(query);
    if (!m) break; // cannot happen: \S+ always matches at a non-space
    i = re.lastIndex;
    const column = m[2] ? (m[2].toLowerCase() === 'title' ? 'A' : 'B') : null;
    if (m[3] !== undefined) { out.push({ text: m[3], not: m[1] === '-', prefix: false, column, phrase: true }); continue; }
    const word = m[4];
    out.push({ text: word.replace(/\*+$/, ''), not: m[1] === '-', prefix: word.endsWith('*'), column, phrase: false });
  }
  return out;
}

/** One term as tsquery: a word, or a phrase of the words it splits into; null without words. */
function termQuery(t: Term): string | null {
  // A word too long to be indexed is in no page (and the server would refuse it).
  const words = searchWords(t.text).filter((w) => Buffer.byteLength(w) <= MAX_LEXEME_BYTES);
  if (!words.length) return null;
  const last = words.length - 1;
  const lexemes = words.map((w, i) => {
    const flags = `${i === last && t.prefix ? '*' : ''}${t.column ?? ''}`;
    return `'${w}'${flags ? `:${flags}` : ''}`;
  });
  const q = lexemes.length > 1 ? `( ${lexemes.join(' <-> ')} )` : lexemes[0];
  return t.not ? `!${q}` : q;
}
