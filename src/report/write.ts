/**
 * `crawl report html`: reads the database read-only (SQLite or PostgreSQL, through the reader),
 * renders the page and writes it to a file (or to standard output with `--out -`), then says where it went.
 */
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { BadInputError } from '../errors.js';
import { withReader } from '../store/reader.js';
import { bytesLabel, collectReport } from './data.js';
import { renderReport } from './html.js';

/** Writes the HTML report of `dbFile` to `outFile` ("-": `out`); resolves with the rows in its tables. */
export async function writeHtmlReport(dbFile: string, outFile: string, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  if (outFile === '') throw new BadInputError('--out needs a file name (or "-" for standard output)');
  const data = await withReader(dbFile, (r) => collectReport(r.reportSql(), r.location));
  // The Chart.js bundle is read here, after the database, so a bad --db is reported first.
  const html = renderReport(data);
  const t = data.tables;
  const rows = t.brokenLinks.rows.length + t.redirects.rows.length + t.slowest.rows.length + t.largest.rows.length;
  if (outFile === '-') {
    if (!out.write(html)) await once(out, 'drain');
    return rows;
  }
  try {
    fs.writeFileSync(outFile, html);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const hint = e.code === 'ENOENT' ? ' (does its directory exist?)' : e.code === 'EISDIR' ? ' (it is a directory: name a file)' : '';
    throw new BadInputError(`cannot write --out ${outFile}: ${e.message}${hint}`, { cause: err });
  }
  const s = data.summary;
  const what = s === null
    ? 'the database has no runs yet, so the page says to crawl first'
    : `${s.pages.toLocaleString('en-US')} pages, ${s.runs} run${s.runs === 1 ? '' : 's'}, ${s.brokenLinks.toLocaleString('en-US')} broken links`;
  out.write(`wrote ${path.resolve(outFile)} (${bytesLabel(Buffer.byteLength(html))}): ${what}\n`);
  return rows;
}
