/**
 * The parse worker's message protocol. Errors cross the thread boundary as data
 * (an Error subclass loses its `code` when structured-cloned). This file imports nothing
 * from the fetcher or the store.
 */

/** Fixed per-pool settings, passed as Piscina `workerData`. */
export interface ParseWorkerData {
  /** Query parameters stripped during link normalization (see src/url/normalize.ts). */
  stripParams: string[];
  /** Absolute file URL of a custom extractor module, or null. */
  extract: string | null;
  /**
   * Optional shared counter (one BigInt64 slot) to which every worker adds the microseconds it
   * spends inside parse(), so the pool can report real thread utilization.
   */
  busyUs?: SharedArrayBuffer;
  /**
   * Optional shared BigInt64 array: the worker stores Date.now() at `startStamps[task.slot]` when it
   * starts parsing a task and -1 when done, so the pool times the parse itself, not the wait before it.
   */
  startStamps?: SharedArrayBuffer;
  /** Optional shared Int32 array: the worker's threadId at `startThreads[task.slot]`, stored with the stamp. */
  startThreads?: SharedArrayBuffer;
  /**
   * A module (file URL) whose default export `(title, text) => string` builds each page's search
   * index entry (ParseOk.searchVector): the backend's indexer (Backend.searchIndexer), if it has one.
   */
  searchIndexer?: string;
}

/** One page to parse. `body` is copied to the thread (structured clone). */
export interface ParseTask {
  /** The URL the body was fetched from (base for relative links unless <base href> says otherwise). */
  url: string;
  body: Uint8Array;
  /** charset parameter of the Content-Type header, if any (second in the sniffing order after a BOM). */
  charset: string | null;
  /** The pool's timing slot for this task (see ParseWorkerData.startStamps). */
  slot?: number;
}

export interface ParsedLink {
  /** Normalized absolute http(s) URL. */
  url: string;
  /** Anchor text, whitespace collapsed, at most 300 characters. */
  text: string;
  /** rel attribute, lower-cased, or null. */
  rel: string | null;
}

export interface ParseOk {
  ok: true;
  /**
   * Encoding the body was decoded with (e.g. "utf-8", "windows-1252", "shift_jis"), followed by
   * the declared one in parentheses when a declaration was overridden: "utf-8 (declared utf-16le)"
   * for a UTF-16 Content-Type on a body that is not UTF-16 (decode.ts sniff).
   */
  encoding: string;
  title: string | null;
  description: string | null;
  /** Canonical link, normalized absolute URL, or null. */
  canonical: string | null;
  /** <html lang>, or null. */
  lang: string | null;
  /** Text of the first <h1>, or null. */
  h1: string | null;
  /** content of <meta name="robots">, lower-cased, or null. */
  metaRobots: string | null;
  /** Outgoing links, deduplicated by URL (first anchor kept), in document order. */
  links: ParsedLink[];
  /**
   * Visible text of the whole document (README "What text is stored"; whitespace collapsed),
   * UTF-8 encoded: bytes live outside the JS heap, so the main thread, which only passes the text
   * on to the store, never holds it as a string (that was ~10% of the crawl's CPU in GC).
   */
  text: Uint8Array;
  wordCount: number;
  /** The page's search index entry, built by ParseWorkerData.searchIndexer when there is one. */
  searchVector?: Uint8Array;
  /** sha256 hex of title + "\n" + visible text: equal hashes mean the same content to a reader. */
  contentHash: string;
  /** Result of the custom extractor (JSON-serializable), absent without --extract. */
  extract?: unknown;
  /** Set when the custom extractor threw; the rest of the result is still valid. */
  extractError?: string;
}

export interface ParseFailure {
  ok: false;
  code: 'PARSE_FAILED' | 'NOT_HTML';
  message: string;
}

export type ParseResult = ParseOk | ParseFailure;
