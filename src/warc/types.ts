/** One HTTP exchange as it went over the wire: what the fetcher hands the WARC writer. */

/** Why an archived body is shorter than the response (WARC-Truncated values, WARC 1.1 §5.13). */
export type Truncation = 'length' | 'time' | 'disconnect' | 'unspecified';

export interface Exchange {
  /** The request URL (WARC-Target-URI). */
  url: string;
  /** When the request started (WARC-Date). */
  date: Date;
  /** Request line and headers as sent, ending with the blank line. */
  requestHead: string;
  status: number;
  statusText: string;
  /** Response header names and values as received, in order: [name, value, name, value, ...]. */
  rawHeaders: string[];
  /** The body as received (Content-Encoding not undone), up to the fetcher's cap. */
  body: Buffer[];
  bodyBytes: number;
  /** Set when `body` is not the whole body. */
  truncated?: Truncation;
  /** The response record's WARC-Record-ID, when the fetcher chose it (to refer to it later); else the writer makes one. */
  recordId?: string;
  /** WARC-Concurrent-To of the response record: the page whose render asked for this sub-resource. */
  concurrentTo?: string;
}

/** A conversion record: what a browser made of an archived response (the rendered DOM). */
export interface Conversion {
  url: string;
  date: Date;
  /** WARC-Record-ID of the response it was made from (WARC-Refers-To), when archived. */
  refersTo: string | null;
  contentType: string;
  body: Buffer;
}

/** Where a response record was written: the file's name (in the WARC directory) and its byte offset. */
export interface WarcLocation {
  file: string;
  offset: number;
}

/** Takes exchanges and archives them; the fetcher's view of the WARC writer. */
export interface ArchiveSink {
  /**
   * Queues one exchange. `location` resolves once its records are on disk (null if writing failed);
   * `ready` is set when the queue is full: the caller should wait for it before fetching more.
   */
  add(exchange: Exchange): { location: Promise<WarcLocation | null>; ready: Promise<void> | null };
  /** Queues one conversion record (--render); resolves to where it was written. */
  addConversion?(c: Conversion): Promise<WarcLocation | null>;
  /** Whether credential header values are kept in request records. */
  readonly keepAuth: boolean;
  close(): Promise<void>;
}
