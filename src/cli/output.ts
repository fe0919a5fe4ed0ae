/**
 * Output formats shared by every read-only command (query, stats, search, export, report, runs,
 * changes), and the one option group (--db, --format) they all take. Like sqlite-utils' shared
 * output options: one place decides how rows look, so every command prints them the same way.
 *
 * Formats:
 * - `table`: aligned columns for people. Column widths come from the first {@link TABLE_SAMPLE_ROWS}
 *   rows, then the rest streams with those widths; cells longer than {@link MAX_CELL} characters are
 *   cut with an ellipsis, so a later row with a wider (but shorter than MAX_CELL) cell only pushes its
 *   own line to the right. Memory stays bounded by the sample.
 * - `json`: one array, streamed (`[`, rows joined by `,`, `]`).
 * - `jsonl`: one JSON object per line.
 * - `csv`: RFC 4180 (header row, CRLF line ends, fields with `"`, `,`, CR or LF quoted, `"` doubled).
 * NULL is `null` in JSON and an empty cell in table and CSV; BLOBs are written as hex.
 */
import { once } from 'node:events';
import type { Argv } from 'yargs';
import type { Section } from '../store/reader.js';

/** A titled group of rows, for commands that print several tables (stats): the reader's sections. */
export type { Section };

/** The names accepted by --format. */
export const OUTPUT_FORMATS = ['table', 'json', 'jsonl', 'csv'] as const;

/** One of {@link OUTPUT_FORMATS}. */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Arguments every read-only command receives from {@link addOutputOptions}. */
export interface OutputArgs {
  /** Crawl database to read: a SQLite file (or sqlite:FILE) or a postgres:// URL. @default 'data/crawl.db' */
  db: string;
  /** How rows are printed. @default 'table' (export: 'jsonl') */
  format: OutputFormat;
}

/** Where commands write: process.stdout in the CLI, a collecting stream in tests. */
export type OutputStream = NodeJS.WritableStream & { isTTY?: boolean };

/** Longest cell printed in table format before it is cut with an ellipsis. */
export const MAX_CELL = 60;

/** Rows buffered to compute table column widths; later rows stream with those widths. */
export const TABLE_SAMPLE_ROWS = 200;

/** Output is written in chunks of about this many characters (fewer, larger writes). */
const CHUNK_CHARS = 64 * 1024;

/** Adds --db and --format to a command's builder. `defaultFormat` lets `export` default to jsonl. */
export function addOutputOptions<T>(y: Argv<T>, defaultFormat: OutputFormat = 'table'): Argv<T & OutputArgs> {
  return y
    .option('db', {
      type: 'string',
      default: 'data/crawl.db',
      describe: 'Crawl database to read: a SQLite file (or sqlite:FILE) or a postgres:// URL (opened read-only; safe while a crawl writes)',
      group: 'Output',
    })
    .option('format', {
      type: 'string',
      choices: OUTPUT_FORMATS,
      default: defaultFormat,
      describe: 'table (aligned, for people), json (one array), jsonl (one object per line), csv (RFC 4180)',
      group: 'Output',
    }) as unknown as Argv<T & OutputArgs>;
}

/** A row is an object keyed by column name, or an array in column order (for duplicate names). */
export type Row = Record<string, unknown> | readonly unknown[];

/** Options for {@link writeRows}. */
export interface WriteRowsOptions {
  /** Table format only: longest cell before the ellipsis. @default MAX_CELL */
  maxCell?: number;
}

/**
 * Writes rows in the chosen format and resolves with the number of rows written. Streams: rows are
 * pulled one at a time and written in ~64 KiB chunks, waiting for 'drain' when the stream asks, so
 * exporting a huge table uses constant memory (table format buffers its first 200 rows only).
 */
export async function writeRows(
  rows: Iterable<Row> | AsyncIterable<Row>,
  columns: readonly string[],
  format: OutputFormat,
  out: OutputStream,
  options: WriteRowsOptions = {},
): Promise<number> {
  const w = new ChunkWriter(out);
  let count = 0;
  const values = (row: Row): unknown[] => (Array.isArray(row) ? (row as unknown[]) : columns.map((c) => (row as Record<string, unknown>)[c]));
  // Rows may come from a cursor (PostgreSQL): streamed as they arrive, except into a table, which sizes its columns on them all.
  const each = async (fn: (row: Row) => Promise<void>) => {
    if (Symbol.asyncIterator in rows) { for await (const row of rows) await fn(row); } else for (const row of rows) await fn(row);
  };
  switch (format) {
    case 'jsonl':
      await each(async (row) => {
        await w.write(JSON.stringify(toObject(columns, values(row))) + '\n');
        count++;
      });
      break;
    case 'json':
      await w.write('[');
      await each(async (row) => {
        await w.write((count === 0 ? '\n' : ',\n') + JSON.stringify(toObject(columns, values(row))));
        count++;
      });
      await w.write(count === 0 ? ']\n' : '\n]\n');
      break;
    case 'csv':
      await w.write(columns.map(csvField).join(',') + '\r\n');
      await each(async (row) => {
        await w.write(values(row).map((v) => csvField(cellText(v))).join(',') + '\r\n');
        count++;
      });
      break;
    case 'table': {
      const all: Row[] = [];
      if (Symbol.asyncIterator in rows) for await (const row of rows) all.push(row);
      count = await writeTable(Symbol.asyncIterator in rows ? all : rows, columns, values, w, options.maxCell ?? MAX_CELL);
      break;
    }
    default:
      throw new Error(`unknown output format ${String(format)}`);
  }
  await w.end();
  return count;
}

/** Column names made unique (`id`, `id_2`) so duplicate SELECT names survive as JSON keys. */
export function uniqueColumns(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    return k === 1 ? n : `${n}_${k}`;
  });
}

/** Quotes one CSV field per RFC 4180 when it holds a quote, comma, CR or LF. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Text of a cell for table and CSV: NULL is empty, BLOBs are hex. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Buffer.isBuffer(v)) return v.toString('hex');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function toObject(columns: readonly string[], vals: unknown[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = 0; i < columns.length; i++) {
    const v = vals[i];
    o[columns[i]] = Buffer.isBuffer(v) ? v.toString('hex') : typeof v === 'bigint' ? v.toString() : (v ?? null);
  }
  return o;
}

async function writeTable(
  rows: Iterable<Row>,
  columns: readonly string[],
  values: (r: Row) => unknown[],
  w: ChunkWriter,
  maxCell: number,
): Promise<number> {
  const it = rows[Symbol.iterator]();
  const sample: unknown[][] = [];
  let exhausted = false;
  while (sample.length < TABLE_SAMPLE_ROWS) {
    const r = it.next();
    if (r.done) { exhausted = true; break; }
    sample.push(values(r.value));
  }
  const widths = columns.map((c) => Math.min(maxCell, c.length));
  const numeric = columns.map(() => true);
  for (const vals of sample) {
    vals.forEach((v, i) => {
      widths[i] = Math.max(widths[i], Math.min(maxCell, tableCell(v, maxCell).length));
      if (v !== null && v !== undefined && typeof v !== 'number' && typeof v !== 'bigint') numeric[i] = false;
    });
  }
  const line = (cells: string[]): string =>
    cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd() + '\n';
  await w.write(line(columns.map((c) => truncate(c, maxCell))));
  await w.write(widths.map((n) => '-'.repeat(n)).join('  ') + '\n');
  let count = 0;
  for (const vals of sample) {
    await w.write(line(vals.map((v) => tableCell(v, maxCell))));
    count++;
  }
  if (!exhausted) {
    for (let r = it.next(); !r.done; r = it.next()) {
      await w.write(line(values(r.value).map((v) => tableCell(v, maxCell))));
      count++;
    }
  }
  if (count === 0) await w.write('(no rows)\n');
  return count;
}

/** A table cell: whitespace runs (newlines, tabs) folded to one space, cut at maxCell. */
function tableCell(v: unknown, maxCell: number): string {
  return truncate(cellText(v).replace(/\s+/g, ' '), maxCell);
}

function truncate(s: string, max: number): string {
  return s.length > max ? s.slice(0, Math.max(0, max - 1)) + '…' : s;
}

/** Collects small strings into ~64 KiB chunks and honours backpressure. */
class ChunkWriter {
  private buf = '';
  constructor(private readonly out: OutputStream) {}

  async write(s: string): Promise<void> {
    this.buf += s;
    if (this.buf.length >= CHUNK_CHARS) await this.flush();
  }

  async end(): Promise<void> {
    await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.buf.length === 0) return;
    const chunk = this.buf;
    this.buf = '';
    if (!this.out.write(chunk)) await once(this.out as NodeJS.EventEmitter, 'drain');
  }
}


/**
 * Writes several sections. table: a heading and a table each; json: one object keyed by section
 * name; jsonl: one object per row with a leading `section` field and that section's columns; csv: one header of `section`
 * plus every column of every section, so the output stays one valid RFC 4180 table.
 */
export async function writeSections(sections: readonly Section[], format: OutputFormat, out: OutputStream): Promise<void> {
  if (format === 'table') {
    for (const [i, s] of sections.entries()) {
      out.write(`${i === 0 ? '' : '\n'}${s.title}\n`);
      await writeRows(s.rows, s.columns, 'table', out);
    }
    return;
  }
  if (format === 'json') {
    const o: Record<string, unknown> = {};
    for (const s of sections) o[s.name] = s.single ? (s.rows[0] ?? null) : s.rows;
    out.write(JSON.stringify(o, null, 2) + '\n');
    return;
  }
  if (format === 'jsonl') {
    for (const s of sections) await writeRows(s.rows.map((r) => ({ section: s.name, ...r })), ['section', ...s.columns], 'jsonl', out);
    return;
  }
  const columns = ['section'];
  for (const s of sections) for (const c of s.columns) if (!columns.includes(c)) columns.push(c);
  const rows = sections.flatMap((s) => s.rows.map((r) => ({ section: s.name, ...r })));
  await writeRows(rows, columns, 'csv', out);
}
