/**
 * The read contract: every query command, run through the real CLI with --format json on the same
 * fixture (test/query-fixture.ts), answers what ./golden/ recorded, on every backend; where a
 * backend may differ, ./commands.ts names how. Imported by one test file per backend
 * (test/reader-sqlite.test.ts, test/reader-postgres.test.ts), which say how to get the fixture in.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { redactPassword } from '../../src/store/location.js';
import { runCli, ROOT } from '../helpers/cli.js';
import { COMMANDS, type ContractCommand } from './commands.js';

const GOLDEN = path.join(ROOT, 'test', 'reader', 'golden');

type Json = Record<string, unknown>;

/** The answer a backend must give: the recorded one, with the differences it is allowed. */
function expected(c: ContractCommand, backend: 'sqlite' | 'postgres', actual: unknown): { want: unknown; got: unknown } {
  const want = JSON.parse(fs.readFileSync(path.join(GOLDEN, `${c.name}.json`), 'utf8')) as unknown;
  if (backend === 'sqlite') return { want, got: actual };
  switch (c.pg) {
    case 'none': return { want, got: actual };
    case 'order': {
      const sort = (rows: unknown) => (rows as Json[]).map((r) => JSON.stringify(r)).sort();
      return { want: sort(want), got: sort(actual) };
    }
    case 'workers': {
      // runs: rows; stats: sections, the run section one row.
      const strip = (v: unknown): unknown => Array.isArray(v) ? v.map(strip)
        : v && typeof v === 'object' && 'workers' in v ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'workers'))
          : v && typeof v === 'object' && 'run' in v ? { ...(v as Json), run: strip((v as Json).run) } : v;
      return { want, got: strip(actual) };
    }
    case 'ranking': {
      const pages = (rows: unknown) => (rows as Json[]).map((r) => [r.url, r.title]);
      return { want: pages(want), got: pages(actual) };
    }
    case 'matches': {
      const pages = (rows: unknown) => (rows as Json[]).map((r) => `${r.url} ${r.title}`).sort();
      return { want: pages(want), got: pages(actual) };
    }
  }
}

/** Registers the contract's tests for `backend`; `db()` is the database holding the fixture. */
export function readerContract(backend: 'sqlite' | 'postgres', db: () => string, skip: string | false = false): void {
  for (const c of COMMANDS) {
    test(`${backend}: crawl ${c.args.join(' ')} answers as recorded${backend === 'postgres' && c.pg !== 'none' ? ` (allowed difference: ${c.pg})` : ''}`, { skip }, async () => {
      const args = backend === 'postgres' && c.pgArgs ? c.pgArgs : c.args;
      const r = await runCli([...args, ...(args.includes('--format') ? [] : ['--format', 'json']), '--db', db()]);
      assert.equal(r.code, 0, r.stderr);
      if (backend === 'sqlite') {
        // Byte for byte: the read side behind a port prints what it printed before.
        assert.equal(r.stdout, fs.readFileSync(path.join(GOLDEN, `${c.name}.json`), 'utf8'));
      }
      const { want, got } = expected(c, backend, JSON.parse(r.stdout));
      assert.deepEqual(got, want);
    });
  }

  test(`${backend}: the same messages for the same mistakes`, { skip }, async () => {
    for (const [args, message] of [
      [['stats', '--run', '9'], /--run 9: no such run \(runs 1\.\.2 exist; see crawl runs\)/],
      [['changes', '--change', 'bogus'], /--change bogus: unknown change; choose from new, changed/],
      [['export', '--columns', 'nope'], /--columns: pages has no column nope; its columns are url_id, url, host/],
      [['export', '--table', 'nope'], /--table nope: no such table or view; choose one of .*pages/],
      [['export', '--limit', '-1'], /--limit -1: give a whole number \(0: all rows\)/],
      [['report', 'bogus'], /unknown report "bogus"/],
      [['runs', '--last', '-1'], /--last -1: give a whole number/],
      [['query', 'DELETE FROM pages'], backend === 'sqlite' ? /refused SQL: DELETE statements change the database/ : /read-only transaction/],
      [['query', 'SELECT nope FROM pages'], /query failed|bad SQL/],
    ] as [string[], RegExp][]) {
      const r = await runCli([...args, '--db', db()]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
    }
  });

  test(`${backend}: report html shows what it showed on SQLite`, { skip }, async () => {
    const r = await runCli(['report', 'html', '--db', db(), '--out=-']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes('s3cret'), 'no password in the page');
    assert.equal(normalizeHtml(r.stdout, redactPassword(db())), fs.readFileSync(path.join(GOLDEN, 'report.html'), 'utf8'));
  });
}

/** The page without what differs by run: the database's name, the time it was made and the Chart.js bundle. */
export function normalizeHtml(html: string, db: string): string {
  return html.split(db).join('DB')
    .replace(/generated \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/g, 'generated TIME')
    .replace(/<script>\/\*!\s*\* Chart\.js[\s\S]*?<\/script>/, '<script>[Chart.js]</script>');
}
