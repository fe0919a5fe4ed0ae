/**
 * The WARC writer: turns exchanges into records and appends them, one gzip member per record, to
 * PREFIX-TIMESTAMP-SERIAL.warc.gz files that rotate at a size. Off the fetch path: records are
 * compressed on libuv's thread pool (zlib's async API) while the crawl goes on, and appended in
 * order by one chain of writes. The queue is bounded by bytes: past HIGH_WATER, add() hands back a
 * `ready` promise and the fetcher waits for the disk.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { promisify } from 'node:util';
import { CREDENTIAL_HEADERS, REDACTED } from '../request-options.js';
import { httpResponseHead, recordId, serializeRecord, sha1Digest, warcDate } from './record.js';
import { cutTornTail } from './recover.js';
import type { ArchiveSink, Exchange, WarcLocation } from './types.js';

const gzip = promisify(zlib.gzip) as (buf: Buffer, opts: zlib.ZlibOptions) => Promise<Buffer>;

/** Bytes of exchanges queued (not yet on disk) above which fetches wait. */
const HIGH_WATER = 32 * 1024 * 1024;
/** zlib level: 6 (the default) costs ~2x the CPU of 3 for a few per cent smaller files on HTML. */
const GZIP = { level: 3 };

export interface WarcWriterOptions {
  dir: string;
  prefix: string;
  /** A new file is started when the next record pair would take a file past this size. */
  maxSize: number;
  keepAuth: boolean;
  /** Fields of every file's warcinfo record (software, robots policy, user agent...). */
  info: Record<string, string>;
}

/** `PREFIX-YYYYMMDDhhmmssSSS-NNNNN.warc.gz`: the name Heritrix and wget use, sortable by time. */
export function warcFileName(prefix: string, date: Date, serial: number): string {
  const ts = date.toISOString().replace(/[-:TZ.]/g, '');
  return `${prefix}-${ts}-${String(serial).padStart(5, '0')}.warc.gz`;
}

export class WarcWriter implements ArchiveSink {
  readonly keepAuth: boolean;
  private fd: fs.promises.FileHandle | null = null;
  private file = '';
  private size = 0;
  private serial: number;
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private drained: { promise: Promise<void>; resolve: () => void } | null = null;
  /** The first write error; later exchanges are not archived. */
  error: Error | null = null;

  private constructor(private readonly opts: WarcWriterOptions, lastSerial: number) {
    this.keepAuth = opts.keepAuth;
    this.serial = lastSerial;
  }

  /**
   * Opens the archive directory: creates it, cuts a torn last record from the newest file of this
   * prefix (a crawl killed mid-write), and starts a new file after it.
   */
  static async open(opts: WarcWriterOptions): Promise<WarcWriter> {
    fs.mkdirSync(opts.dir, { recursive: true });
    const re = new RegExp(`^${opts.prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d{17}-(\\d{5,})\\.warc\\.gz$`);
    let last = -1;
    let lastName: string | null = null;
    for (const name of fs.readdirSync(opts.dir)) {
      const m = re.exec(name);
      if (m && Number(m[1]) > last) { last = Number(m[1]); lastName = name; }
    }
    if (lastName) cutTornTail(path.join(opts.dir, lastName));
    const w = new WarcWriter(opts, last);
    await w.rotate();
    return w;
  }

  /** The file being written (name only). */
  get currentFile(): string {
    return this.file;
  }

  add(ex: Exchange): { location: Promise<WarcLocation | null>; ready: Promise<void> | null } {
    if (this.error) return { location: Promise.resolve(null), ready: null };
    const cost = ex.bodyBytes + 2048;
    this.queued += cost;
    const [response, request] = this.records(ex);
    // Compression starts now, on the thread pool; only the appends are serialised.
    const compressed = Promise.all([gzip(Buffer.concat(response), GZIP), gzip(Buffer.concat(request), GZIP)]);
    compressed.catch(() => {});
    const location = this.tail.then(async () => {
      try {
        if (this.error) return null;
        const [a, b] = await compressed;
        if (this.size + a.length + b.length > this.opts.maxSize && this.size > this.infoSize) await this.rotate();
        const at = { file: this.file, offset: this.size };
        await this.append([a, b]);
        return at;
      } catch (err) {
        this.error ??= err as Error;
        return null;
      } finally {
        this.queued -= cost;
        if (this.queued <= HIGH_WATER / 2 && this.drained) { this.drained.resolve(); this.drained = null; }
      }
    });
    this.tail = location;
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

  /** Waits for every queued record, then closes the file. */
  async close(): Promise<void> {
    await this.tail.catch(() => {});
    await this.fd?.close();
    this.fd = null;
  }

  private infoSize = 0;

  /** Closes the current file and starts the next with its warcinfo record. */
  private async rotate(): Promise<void> {
    await this.fd?.close();
    this.serial++;
    const now = new Date();
    this.file = warcFileName(this.opts.prefix, now, this.serial);
    this.fd = await fs.promises.open(path.join(this.opts.dir, this.file), 'wx');
    this.size = 0;
    let text = '';
    for (const [k, v] of Object.entries(this.opts.info)) text += `${k}: ${v}\r\n`;
    const block = Buffer.from(text, 'utf8');
    const info = serializeRecord([
      ['WARC-Type', 'warcinfo'], ['WARC-Record-ID', recordId()], ['WARC-Date', warcDate(now)],
      ['WARC-Filename', this.file], ['Content-Type', 'application/warc-fields'], ['WARC-Block-Digest', sha1Digest([block])],
    ], [block]);
    await this.append([await gzip(Buffer.concat(info), GZIP)]);
    this.infoSize = this.size;
  }

  private async append(members: Buffer[]): Promise<void> {
    let n = 0;
    for (const m of members) n += m.length;
    const { bytesWritten } = await this.fd!.writev(members, this.size);
    if (bytesWritten !== n) throw new Error(`short write to ${this.file}: ${bytesWritten} of ${n} bytes`);
    this.size += n;
  }

  /** The response (or revisit) record and the request record of one exchange. */
  private records(ex: Exchange): [Buffer[], Buffer[]] {
    const date = warcDate(ex.date);
    const responseId = recordId();
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
      if (ex.truncated) fields.push(['WARC-Truncated', ex.truncated]);
      response = serializeRecord(fields, [head, ...ex.body]);
    }
    const reqBlock = Buffer.from(this.keepAuth ? ex.requestHead : redactHead(ex.requestHead), 'latin1');
    const request = serializeRecord([
      ['WARC-Type', 'request'], ['WARC-Record-ID', recordId()], ...common, ['WARC-Concurrent-To', responseId],
      ['Content-Type', 'application/http;msgtype=request'], ['WARC-Block-Digest', sha1Digest([reqBlock])],
    ], [reqBlock]);
    return [response, request];
  }
}

/** Replaces the values of credential headers in a request head. */
export function redactHead(head: string): string {
  return head.replace(/^([^:\r\n]+):[^\r\n]*$/gm, (line, name: string) =>
    (CREDENTIAL_HEADERS.has(name.trim().toLowerCase()) ? `${name}: ${REDACTED}` : line));
}
