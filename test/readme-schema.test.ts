/**
 * The README's "Database schema" section against a fresh database: the schema version it names, the
 * columns of every table it documents (no more, no fewer), and the views and index it lists.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openWritable } from '../src/store/sqlite/open.js';
import { ROOT, tempDir } from './helpers/cli.js';

const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const section = /^## Database schema\n([\s\S]*?)^### What text is stored/m.exec(readme)?.[1] ?? '';
const dir = tempDir('crawl-readme-schema-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function freshDb() {
  return openWritable(path.join(dir, `fresh-${Math.random().toString(36).slice(2)}.db`));
}

/** Backticked names outside parentheses: `a`, `b` (values of a) → [a, b]. */
function namesOutsideParens(text: string): string[] {
  let flat = text;
  for (let prev = ''; prev !== flat;) { prev = flat; flat = flat.replace(/\([^()]*\)/g, ''); }
  return [...flat.matchAll(/`([a-z_0-9]+)`/g)].map((m) => m[1]);
}

test('the README names the schema version a new database has (PRAGMA user_version)', () => {
  assert.ok(section, 'README has a "Database schema" section');
  const m = /^Schema version (\d+) \(`PRAGMA user_version`\)/m.exec(section);
  assert.ok(m, 'the section starts with "Schema version N (`PRAGMA user_version`)"');
  const db = freshDb();
  try {
    assert.equal(Number(m[1]), db.pragma('user_version', { simple: true }));
  } finally { db.close(); }
});

test('every table the README documents has exactly the columns it lists', () => {
  const db = freshDb();
  try {
    const columnsOf = (t: string) => (db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(t) as string[]).sort();
    // Tables documented as | column | meaning | lists: the first cell names one or more columns.
    const tabled = [...section.matchAll(/^\*\*([a-z_]+)\*\* — [^\n]*\n(?:[^\n]*\n)*?\n\| column \| meaning \|\n\|---\|---\|\n((?:\|[^\n]*\n)+)/gm)];
    assert.deepEqual(tabled.map((m) => m[1]).sort(), ['links', 'pages', 'runs', 'urls']);
    for (const [, table, rows] of tabled) {
      const listed = rows.split('\n').filter(Boolean).flatMap((r) => namesOutsideParens(r.split('|')[1]));
      assert.deepEqual([...listed].sort(), columnsOf(table), `README columns of ${table}`);
    }
    // Tables documented in a sentence: "**name** — …: `a`, `b` (…), `c`."
    for (const table of ['page_runs', 'frontier', 'robots']) {
      const m = new RegExp(`^\\*\\*${table}\\*\\* — ([\\s\\S]*?)\\n\\n`, 'm').exec(section);
      assert.ok(m, `README documents ${table}`);
      const afterColon = m[1].slice(m[1].indexOf(':') + 1);
      const listed = namesOutsideParens(afterColon.split(/\.\s/)[0]);
      assert.deepEqual([...listed].sort(), columnsOf(table), `README columns of ${table}`);
    }
    assert.ok(/\*\*pages_fts\*\* — FTS5 index over `pages.title` and `pages.text`/.test(section));
    assert.deepEqual(columnsOf('pages_fts'), ['text', 'title']);
  } finally { db.close(); }
});

test('the README lists the views a new database has, with v_links\' columns', () => {
  const db = freshDb();
  try {
    const m = /^\*\*Views\*\*: ([\s\S]*?)\n\n/m.exec(section);
    assert.ok(m, 'README has a **Views** paragraph');
    const listed = namesOutsideParens(m[1]).sort();
    const views = db.prepare("SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name").pluck().all() as string[];
    assert.deepEqual(listed, views);
    const linkCols = /`v_links` \(([^)]*)\)/.exec(m[1])![1].split(',').map((s) => s.trim());
    assert.deepEqual(linkCols, db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('v_links'));
  } finally { db.close(); }
});
