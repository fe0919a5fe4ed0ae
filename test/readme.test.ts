/** The README cannot drift: option reference, commands, error and exit codes, schema columns, command lines. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { optionsReference } from '../src/cli/reference.js';
import { ErrorCodes, EXIT } from '../src/errors.js';
import { MIGRATIONS } from '../src/store/sqlite/schema.js';
import { ROOT } from './helpers/cli.js';

const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

test('the option reference in README is the generated one', () => {
  const m = /<!-- options:start -->\n([\s\S]*?)\n<!-- options:end -->/.exec(readme);
  assert.ok(m, 'markers present');
  assert.equal(m[1].trim(), optionsReference().trim(), 'regenerate with: node dist/src/cli/reference.js');
});

test('every command has an example, every code and exit code is listed', () => {
  for (const cmd of ['query', 'stats', 'search', 'export', 'report', 'runs', 'changes', 'reparse', 'status']) {
    assert.match(readme, new RegExp(`\\ncrawl ${cmd}\\b`), `example for crawl ${cmd}`);
  }
  const runLevel = new Set(['BAD_INPUT', 'LOCKED', 'DB_ERROR', 'INTERNAL']);
  for (const code of Object.values(ErrorCodes)) if (!runLevel.has(code)) assert.ok(readme.includes('`' + code + '`'), code);
  for (const code of Object.values(EXIT)) assert.match(readme, new RegExp(`\\n\\| ${code} \\|`), `exit code ${code}`);
});

test('every table and column of the schema is documented', () => {
  const db = new Database(':memory:');
  db.exec(MIGRATIONS.join('\n'));
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'pages_fts_%' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[];
  for (const { name } of tables) {
    assert.ok(readme.includes(name), `table ${name}`);
    if (name.startsWith('v_') || name === 'pages_fts') continue;
    for (const col of db.prepare(`PRAGMA table_info(${name})`).all() as { name: string }[]) {
      assert.ok(readme.includes('`' + col.name + '`'), `${name}.${col.name}`);
    }
  }
  db.close();
});

test('the command lines the README shows work', () => {
  const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  assert.ok(readme.includes('npx --no -- crawl --urls'));
  const viaNpx = execFileSync('npx', ['--no', '--', 'crawl', '--version'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(viaNpx.trim(), version);
  assert.ok(readme.includes('npm run crawl -- --urls'));
  const viaScript = execFileSync('npm', ['run', '--silent', 'crawl', '--', '--version'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(viaScript.trim(), version);
});
