/**
 * `crawl reparse`: parses the archived responses of a crawl again (a new --extract, a parser fix)
 * without fetching anything. Each page's last archived response is read from its WARC record,
 * decoded with the fetcher's own Content-Encoding decoders, parsed in the worker pool, and its
 * content columns and links are written back, 256 pages per transaction, under the run lock.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { BadInputError } from '../errors.js';
import { decodeBody } from '../fetch/decompress.js';
import { parseContentType } from '../fetch/headers.js';
import { ParsePool } from '../parse/pool.js';
import { looksLikeHtml } from '../parse/sniff-html.js';
import { openReparseTarget, type ArchivedPage, type ReparsedPage } from '../store/reparse.js';
import { hostOf } from '../url/host.js';
import { readResponseAt } from '../warc/read-record.js';

/** Pages written per transaction. */
const BATCH = 256;

/** Settings of a reparse. */
export interface ReparseOptions {
  /** The crawl database (a SQLite file or sqlite:FILE). */
  db: string;
  /** Extractor module; @default the one the last run used */
  extract?: string;
  /** WARC directory; @default the last run's --warc */
  warc?: string;
  /** Parse worker threads; @default the last run's */
  workers?: number;
}

/** What a reparse did. */
export interface ReparseSummary {
  /** Pages parsed again and written. */
  reparsed: number;
  /** Of those, pages whose stored content differed. */
  changed: number;
  /** Records skipped because the body was not archived in full (WARC-Truncated). */
  truncated: number;
  /** Pages whose record could not be read (file gone, bad offset). */
  missing: number;
  /** Records left as they are: not a 2xx HTML response, or the body failed to decode or parse. */
  skipped: number;
  /** Reparsed pages whose extractor threw (their `extract` is null, as in a crawl). */
  extractFailed: number;
  elapsedMs: number;
}

/** Runs a reparse; throws BadInputError, LockedError or DatabaseError (exit 2, 5, 6). */
export async function reparse(opts: ReparseOptions): Promise<ReparseSummary> {
  const started = performance.now();
  const store = await openReparseTarget(opts.db);
  let pool: ParsePool | undefined;
  try {
    const run = await store.lastRun();
    if (!run) throw new BadInputError(`${opts.db} holds no crawl run; crawl with --warc first`);
    const o = run.options;
    const warcDir = opts.warc ?? (typeof o.warc === 'string' ? o.warc : undefined);
    if (!warcDir) throw new BadInputError(`the last run of ${opts.db} did not archive with --warc; give the WARC directory with --warc DIR`);
    if (!fs.existsSync(warcDir) || !fs.statSync(warcDir).isDirectory()) throw new BadInputError(`WARC directory ${warcDir} does not exist; give it with --warc DIR`);
    const files = await store.warcFiles();
    const absent = files.filter((f) => !fs.existsSync(path.join(warcDir, f)));
    if (absent.length > 0) throw new BadInputError(`WARC file${absent.length > 1 ? 's' : ''} missing in ${warcDir}: ${absent.slice(0, 3).join(', ')}${absent.length > 3 ? ', …' : ''}`);
    const maxBytes = typeof o.maxBytes === 'number' ? o.maxBytes : 5 * 1024 * 1024;
    pool = new ParsePool({
      workers: opts.workers ?? (typeof o.workers === 'number' ? o.workers : 1),
      parseTimeoutMs: typeof o.parseTimeoutMs === 'number' ? o.parseTimeoutMs : 10_000,
      workerMemoryMb: typeof o.workerMemory === 'number' ? o.workerMemory : 256,
      stripParams: Array.isArray(o.stripParams) ? o.stripParams.map(String) : [],
      extract: opts.extract ?? (typeof o.extract === 'string' ? o.extract : null),
    });
    const sum: ReparseSummary = { reparsed: 0, changed: 0, truncated: 0, missing: 0, skipped: 0, extractFailed: 0, elapsedMs: 0 };
    // Pages written meanwhile are never read again: the keyset moves on from the last one read.
    for (let pages = await store.archivedPages(0, BATCH); pages.length > 0; pages = await store.archivedPages(pages[pages.length - 1]!.urlId, BATCH)) {
      const results = await Promise.all(pages.map((p) => reparseOne(pool!, warcDir, p, maxBytes)));
      const done: ReparsedPage[] = [];
      for (const r of results) {
        if (r === 'truncated') sum.truncated++;
        else if (r === 'missing') sum.missing++;
        else if (r === 'skipped') sum.skipped++;
        else {
          done.push(r);
          if (r.extractFailed) sum.extractFailed++;
        }
      }
      sum.changed += await store.writeBatch(done, run.id);
      sum.reparsed += done.length;
    }
    sum.elapsedMs = performance.now() - started;
    return sum;
  } finally {
    await pool?.close();
    await store.close();
  }
}

/** One page: read its record, decode and parse the body. */
async function reparseOne(pool: ParsePool, dir: string, p: ArchivedPage, maxBytes: number): Promise<(ReparsedPage & { extractFailed: boolean }) | 'truncated' | 'missing' | 'skipped'> {
  let rec;
  try { rec = await readResponseAt(path.join(dir, p.warcFile), p.warcOffset); } catch { return 'missing'; }
  if (rec.type !== 'response' && rec.type !== 'conversion') return 'skipped'; // conversion: a rendered page's DOM (--render)
  if (rec.truncated) return 'truncated';
  if (rec.status < 200 || rec.status >= 300) return 'skipped';
  let body: Buffer;
  try { body = await decoded(rec.payload, rec.headers['content-encoding'], maxBytes); } catch { return 'skipped'; }
  const [type, charset] = parseContentType(rec.headers['content-type']);
  if (!looksLikeHtml(type, body)) return 'skipped';
  const r = await pool.parse({ url: p.url, body, charset });
  if (!r.ok) return 'skipped';
  return {
    urlId: p.urlId,
    content: {
      title: r.title, description: r.description, canonical: r.canonical, lang: r.lang, h1: r.h1, meta_robots: r.metaRobots,
      text: Buffer.from(r.text.buffer, r.text.byteOffset, r.text.byteLength).toString('utf8'), word_count: r.wordCount,
      content_hash: r.contentHash, extract: r.extract === undefined ? null : JSON.stringify(r.extract), encoding: r.encoding,
    },
    links: r.links.map((l) => ({ url: l.url, host: hostOf(l.url), anchor: l.text, rel: l.rel })),
    extractFailed: r.extractError !== undefined,
  };
}

/** The body with its Content-Encoding undone by the fetcher's decoders, capped like a fetch. */
async function decoded(payload: Buffer, encoding: string | undefined, maxBytes: number): Promise<Buffer> {
  const out: Buffer[] = [];
  let size = 0;
  for await (const chunk of decodeBody(Readable.from([payload]), encoding)) {
    out.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new Error('body larger than --max-bytes');
  }
  return Buffer.concat(out, size);
}
