/**
 * The WARC writer as the fetcher sees it: turns each exchange into a response (or revisit) record
 * and a request record, and hands their bytes to the archive thread (archive-thread.ts), which
 * gzips and appends them in order. Off the fetch path: the main thread only builds header text and
 * digests. The queue is bounded by bytes: past HIGH_WATER, add() hands back a `ready` promise and
 * the fetcher waits for the disk.
 */
import { Worker } from 'node:worker_threads';
import { CREDENTIAL_HEADERS, REDACTED } from '../options/request-options.js';
import type { ArchiveReply, ArchiveRequest } from './archive-thread.js';
import type { WarcFilesOptions } from './file-writer.js';
import { httpResponseHead, recordId, serializeRecord, sha1Digest, warcDate } from './record.js';
import type { ArchiveSink, Conversion, Exchange, WarcLocation } from './types.js';

export { warcFileName } from './file-writer.js';

/** Bytes of records posted to the archive thread and not yet written, above which fetches wait. */
const HIGH_WATER = 32 * 1024 * 1024;

export interface WarcWriterOptions extends WarcFilesOptions {
  keepAuth: boolean;
}

interface Pending { resolve: (l: WarcLocation | null) => void; bytes: number }

export class WarcWriter implements ArchiveSink {
  readonly keepAuth: boolean;
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private queued = 0;
  private drained: { promise: Promise<void>; resolve: () => void } | null = null;
  private closed: Promise<void> | null = null;
  /** The first write error; later exchanges are not archived. */
  error: Error | null = null;

  private constructor(private readonly worker: Worker, opts: WarcWriterOptions) {
    this.keepAuth = opts.keepAuth;
    worker.on('message', (m: ArchiveReply) => this.onReply(m));
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', () => this.fail(new Error('WARC archive thread exited')));
  }

  /**
   * Starts the archive thread on `opts.dir`: it cuts a torn last record from the newest file of
   * this prefix (a crawl killed mid-write) and starts a new file. Rejects if the directory cannot be used.
   */
  static async open(opts: WarcWriterOptions): Promise<WarcWriter> {
    const { keepAuth: _k, ...files } = opts;
    const worker = new Worker(new URL('./archive-thread.js', import.meta.url), { workerData: files satisfies WarcFilesOptions });
    const first = await new Promise<ArchiveReply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    if (first.type !== 'opened') {
      await worker.terminate();
      throw new Error(`--warc ${opts.dir}: ${first.type === 'failed' ? first.message : 'archive thread did not start'}`);
    }
    return new WarcWriter(worker, opts);
  }

  add(ex: Exchange): { location: Promise<WarcLocation | null>; ready: Promise<void> | null } {
    return this.append(this.records(ex));
  }

  /**
   * A conversion record (WARC 1.1 §6.8): the DOM a browser rendered from the response `c.refersTo`
   * names. pages.warc_file/warc_offset of a rendered page point here, so `crawl reparse` parses what
   * was stored.
   */
  addConversion(c: Conversion): Promise<WarcLocation | null> {
    const fields: [string, string][] = [
      ['WARC-Type', 'conversion'], ['WARC-Record-ID', recordId()], ['WARC-Target-URI', c.url], ['WARC-Date', warcDate(c.date)],
      ...(c.refersTo ? [['WARC-Refers-To', c.refersTo] as [string, string]] : []),
      ['Content-Type', c.contentType], ['WARC-Payload-Digest', sha1Digest([c.body])], ['WARC-Block-Digest', sha1Digest([c.body])],
    ];
    return this.append([concatOwned(serializeRecord(fields, [c.body]))]).location;
  }

  private append(records: Buffer[]): { location: Promise<WarcLocation | null>; ready: Promise<void> | null } {
    if (this.error || this.closed) return { location: Promise.resolve(null), ready: null };
    let bytes = 0;
    for (const r of records) bytes += r.length;
    const id = this.nextId++;
    const location = new Promise<WarcLocation | null>((resolve) => this.pending.set(id, { resolve, bytes }));
    this.queued += bytes;
    this.worker.postMessage({ type: 'append', id, records } satisfies ArchiveRequest, records.map((r) => r.buffer as ArrayBuffer));
    let ready: Promise<void> | null = null;
    if (this.queued > HIGH_WATER) {
      if (!this.drained) {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => { resolve = r; });
        this.drained = { promise, resolve };
      }
      ready = this.drained.promise;
    }
    return { location, ready };
  }

  /** Waits for every queued record, then closes the file and the thread. */
  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      const done = (): void => { this.worker.terminate().finally(resolve); };
      this.worker.on('message', (m: ArchiveReply) => { if (m.type === 'closed') done(); });
      this.worker.once('exit', () => resolve());
      this.worker.postMessage({ type: 'close' } satisfies ArchiveRequest);
    });
    return this.closed;
  }

  private onReply(m: ArchiveReply): void {
    if (m.type === 'written' || m.type === 'failed') {
      if (m.type === 'failed') this.error ??= new Error(m.message);
      const p = m.id === null ? undefined : this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id!);
      this.queued -= p.bytes;
      p.resolve(m.type === 'written' ? { file: m.file, offset: m.offset } : null);
      if (this.queued <= HIGH_WATER / 2 && this.drained) { this.drained.resolve(); this.drained = null; }
    }
  }

  /** The thread died: nothing more is archived; every waiter is released. */
  private fail(err: Error): void {
    this.error ??= err;
    for (const p of this.pending.values()) p.resolve(null);
    this.pending.clear();
    this.queued = 0;
    this.drained?.resolve();
    this.drained = null;
  }

  /** The response (or revisit) record and the request record of one exchange, each one buffer. */
  private records(ex: Exchange): [Buffer, Buffer] {
    const date = warcDate(ex.date);
    const responseId = ex.recordId ?? recordId();
    const head = httpResponseHead(ex.status, ex.statusText, ex.rawHeaders);
    const common: [string, string][] = [['WARC-Target-URI', ex.url], ['WARC-Date', date]];
    let response: Buffer[];
    if (ex.status === 304) {
      // A 304 carries no payload: a revisit record says "same as what we have" (server-not-modified profile).
      response = serializeRecord([
        ['WARC-Type', 'revisit'], ['WARC-Record-ID', responseId], ...common,
        ['WARC-Profile', 'http://netpreserve.org/warc/1.1/revisit/server-not-modified'],
        ['WARC-Refers-To-Target-URI', ex.url],
        ['Content-Type', 'application/http;msgtype=response'], ['WARC-Block-Digest', sha1Digest([head])],
      ], [head]);
    } else {
      const fields: [string, string][] = [
        ['WARC-Type', 'response'], ['WARC-Record-ID', responseId], ...common,
        ['Content-Type', 'application/http;msgtype=response'],
        ['WARC-Payload-Digest', sha1Digest(ex.body)], ['WARC-Block-Digest', sha1Digest([head, ...ex.body])],
      ];
      if (ex.concurrentTo) fields.push(['WARC-Concurrent-To', ex.concurrentTo]);
      if (ex.truncated) fields.push(['WARC-Truncated', ex.truncated]);
      response = serializeRecord(fields, [head, ...ex.body]);
    }
    const reqBlock = Buffer.from(this.keepAuth ? ex.requestHead : redactHead(ex.requestHead), 'latin1');
    const request = serializeRecord([
      ['WARC-Type', 'request'], ['WARC-Record-ID', recordId()], ...common, ['WARC-Concurrent-To', responseId],
      ['Content-Type', 'application/http;msgtype=request'], ['WARC-Block-Digest', sha1Digest([reqBlock])],
    ], [reqBlock]);
    // One fresh buffer each (never a pooled slice), so it can be transferred to the thread, not copied.
    return [concatOwned(response), concatOwned(request)];
  }
}

/** Concatenates into a buffer that owns its whole ArrayBuffer (Buffer.concat may use the shared pool). */
function concatOwned(parts: Buffer[]): Buffer {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = Buffer.from(new ArrayBuffer(n));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** Replaces the values of credential headers in a request head. */
export function redactHead(head: string): string {
  return head.replace(/^([^:\r\n]+):[^\r\n]*$/gm, (line, name: string) =>
    (CREDENTIAL_HEADERS.has(name.trim().toLowerCase()) ? `${name}: ${REDACTED}` : line));
}
