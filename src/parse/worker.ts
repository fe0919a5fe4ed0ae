/**
 * The parse worker: Piscina runs the default export in a worker thread for every page.
 * Input and output follow src/parse/protocol.ts. Failures are returned as data
 * ({ ok: false, code, message }), never thrown: an Error crossing the thread boundary
 * loses its `code`.
 *
 * Test hooks (only when process.env.CRAWL_TEST_HOOKS === '1', which the fault tests set
 * before the pool starts; workers inherit the environment). When the page URL's path contains:
 *   __crawl_test_parse_throw__  an exception is thrown inside parsing      -> PARSE_FAILED
 *   __crawl_test_parse_hang__   a synchronous busy loop that never ends    -> the pool's timeout kills the thread
 *   __crawl_test_parse_oom__    allocation until the worker's heap limit    -> the thread dies, PARSE_FAILED
 */

import { threadId, workerData as rawWorkerData } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import type { CheerioAPI } from 'cheerio/slim';
import type { AnyNode } from 'domhandler';
import type { NormalizeRules } from '../url/normalize.js';
import { decodeAs, encodingChange, looksBinary, sniff } from './decode.js';
import { fieldsFromDom, toParseOk, type PageFields, type SearchIndexer } from './fields.js';
import { fieldsFromHtml } from './stream-fields.js';
import { parseDocument } from './html-parser.js';
import type { ParseOk, ParseResult, ParseTask, ParseWorkerData } from './protocol.js';
import { transferableBuffer } from '../transfer.js';

const settings: ParseWorkerData = (rawWorkerData as ParseWorkerData | null) ?? { stripParams: [], extract: null };
const rules: NormalizeRules = { stripParams: settings.stripParams };
/** Read once: a worker inherits its environment when the pool starts it. */
const TEST_HOOKS = process.env.CRAWL_TEST_HOOKS === '1';
const busyUs = settings.busyUs ? new BigInt64Array(settings.busyUs) : null;
const startStamps = settings.startStamps ? new BigInt64Array(settings.startStamps) : null;
const startThreads = settings.startThreads ? new Int32Array(settings.startThreads) : null;
/** cheerio only when a custom extractor needs a DOM: without one, pages are parsed without (~10 MB less per thread). */
const cheerio = settings.extract ? await import('cheerio/slim') : null;
/** The backend's search indexer (PostgreSQL's tsvector builder), loaded once per thread. */
const indexer = settings.searchIndexer ? (await import(settings.searchIndexer) as { default: SearchIndexer }).default : undefined;

/** The user's extractor function, as the module's default export. */
type Extractor = ($: CheerioAPI, url: string) => unknown;

// Loaded once per worker, on first use. A load failure is remembered and reported on every page.
let extractorPromise: Promise<Extractor> | null = null;

function loadExtractor(specifier: string): Promise<Extractor> {
  extractorPromise ??= import(specifier).then((mod: { default?: unknown }) => {
    if (typeof mod.default !== 'function') {
      throw new Error(`extractor ${specifier} has no default export function`);
    }
    return mod.default as Extractor;
  });
  return extractorPromise;
}

/** Parses one page. Never throws (see the file comment for the test hooks). */
export default function parse(task: ParseTask): ParseResult | Promise<ParseResult> {
  if (startStamps && startThreads && task.slot !== undefined) {
    Atomics.store(startThreads, task.slot, threadId); // before the stamp: the watchdog reads the stamp first
    Atomics.store(startStamps, task.slot, BigInt(Date.now()));
  }
  if (tasksInHand++ === 0) busySince = performance.now();
  // Synchronous unless a custom extractor is set: the end is marked before the thread can start
  // another task (a thread holding several starts the next one before sending this result).
  let out: ParseResult | Promise<ParseResult>;
  try {
    out = parsePage(task);
  } catch (err) {
    parsed(task); // parsePage returns failures as data; this is only for the unforeseen
    throw err;
  }
  if (out instanceof Promise) return out.finally(() => parsed(task)).then(movingText);
  parsed(task);
  return movingText(out);
}

/**
 * The result with its text bytes (and search vector) moved to the main thread instead of copied: the text (about as
 * large as the page) then exists once, and this thread has no dead copy to collect.
 */
function movingText(r: ParseResult): ParseResult {
  const buffers = r.ok ? [transferableBuffer(r.text), r.searchVector ? transferableBuffer(r.searchVector) : null].filter((b) => b !== null) : [];
  if (!buffers.length) return r;
  return move({ [transferableSymbol]: buffers, [valueSymbol]: r }) as unknown as ParseResult;
}

/** Marks the task parsed (no longer subject to the timeout) and counts the thread's busy time. */
function parsed(task: ParseTask): void {
  if (startStamps && task.slot !== undefined) Atomics.store(startStamps, task.slot, -1n);
  // A thread holds several tasks whose awaits may interleave: busy time is the union of their spans.
  if (--tasksInHand === 0 && busyUs) Atomics.add(busyUs, 0, BigInt(Math.round((performance.now() - busySince) * 1000)));
}

let tasksInHand = 0;
let busySince = 0;

function parsePage(task: ParseTask): ParseResult | Promise<ParseResult> {
  let ok: ParseOk;
  let $: CheerioAPI | undefined;
  try {
    // Structured clone turns a Buffer into a plain Uint8Array; view it without copying.
    const bytes = Buffer.from(task.body.buffer, task.body.byteOffset, task.body.byteLength);
    const sniffed = sniff(bytes, task.charset);
    // UTF-16 is full of NULs by nature; anything else with them is not a page.
    if (!sniffed.encoding.startsWith('utf-16') && looksBinary(bytes)) {
      return { ok: false, code: 'NOT_HTML', message: `body of ${task.url} is binary data, not HTML` };
    }
    let { text: html, encoding } = decodeAs(bytes, sniffed.encoding);
    if (TEST_HOOKS) testHooks(task.url);
    const fieldsOf = (source: string): PageFields => {
      if (!cheerio) return fieldsFromHtml(source); // same parser, same fields, no DOM (stream-fields.ts)
      // A custom extractor needs the DOM. cheerio/slim parses with htmlparser2 (2-3x faster than
      // parse5 on a 44 KB page; no synthesized <html>/<head>/<body>); the DOM is built with
      // LinearParser, linear in the nesting depth, and handed to cheerio as is.
      $ = cheerio.load(parseDocument(source));
      return fieldsFromDom($.root().get(0) as AnyNode);
    };
    let fields = fieldsOf(html);
    // A guessed encoding gives way to the first <meta charset> anywhere in the page, as in
    // browsers (the prescan reads only the first 1024 bytes): decode and parse once more.
    const change = sniffed.tentative ? encodingChange(encoding, fields.charset, bytes) : null;
    if (change !== null) {
      ({ text: html, encoding } = decodeAs(bytes, change));
      fields = fieldsOf(html);
    }
    ok = toParseOk(fields, task.url, sniffed.overridden ? `${encoding} (${sniffed.overridden})` : encoding, rules, indexer);
  } catch (err) {
    return { ok: false, code: 'PARSE_FAILED', message: errorMessage(err) };
  }
  if (settings.extract) return runExtractor(settings.extract, $!, task.url, ok).then(() => ok);
  return ok;
}

/** Runs the user's extractor; its failures land in `extractError`, never fail the page. */
async function runExtractor(specifier: string, $: CheerioAPI, url: string, ok: ParseOk): Promise<void> {
  try {
    const extractor = await loadExtractor(specifier);
    const value = await extractor($, url);
    // Round-trip through JSON: proves the value is serializable (BigInt and cycles throw here,
    // not later in the store) and strips what structured clone could not carry (functions).
    const json = JSON.stringify(value);
    ok.extract = json === undefined ? null : JSON.parse(json);
  } catch (err) {
    ok.extractError = errorMessage(err);
  }
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

// Retained on purpose by the OOM hook so the garbage collector cannot free it.
const hoard: unknown[] = [];

function testHooks(url: string): void {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return;
  }
  if (path.includes('__crawl_test_parse_throw__')) throw new Error('test hook: parse throw');
  if (path.includes('__crawl_test_parse_hang__')) {
    // Synchronous on purpose: only terminating the thread can stop it.
    for (;;) hoard.length = 0;
  }
  if (path.includes('__crawl_test_parse_oom__')) {
    for (;;) hoard.push(new Array(1 << 20).fill(hoard.length));
  }
}
