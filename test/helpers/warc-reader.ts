/**
 * An independent WARC reader for tests: it shares no code with src/warc/. Each gzip member is
 * inflated on its own (so member boundaries and offsets are checked too), then the WARC header
 * block and Content-Length are parsed per ISO 28500, and HTTP blocks are split into head and payload.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import zlib from 'node:zlib';

export interface ReadRecord {
  /** Byte offset of the record's gzip member in the file. */
  offset: number;
  version: string;
  headers: Map<string, string>;
  block: Buffer;
}

/** Splits a .warc.gz into records; throws if any member or record is malformed. */
export function readWarcGz(file: string): ReadRecord[] {
  const data = fs.readFileSync(file);
  const out: ReadRecord[] = [];
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] !== 0x1f || data[pos + 1] !== 0x8b) throw new Error(`no gzip member at ${pos}`);
    if (data[pos + 3] !== 0) throw new Error('unexpected gzip header flags');
    const inflated = zlib.inflateRawSync(data.subarray(pos + 10), { info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    const end = pos + 10 + inflated.engine.bytesWritten + 8;
    const member = zlib.gunzipSync(data.subarray(pos, end)); // checks CRC and length
    out.push(parseRecord(member, pos));
    pos = end;
  }
  return out;
}

function parseRecord(buf: Buffer, offset: number): ReadRecord {
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd < 0) throw new Error(`record at ${offset}: no end of headers`);
  const lines = buf.subarray(0, headEnd).toString('utf8').split('\r\n');
  const version = lines.shift()!;
  const headers = new Map<string, string>();
  for (const l of lines) {
    const i = l.indexOf(':');
    headers.set(l.slice(0, i).toLowerCase(), l.slice(i + 1).trim());
  }
  const len = Number(headers.get('content-length'));
  const block = buf.subarray(headEnd + 4, headEnd + 4 + len);
  if (block.length !== len) throw new Error(`record at ${offset}: block shorter than Content-Length`);
  if (buf.subarray(headEnd + 4 + len).toString() !== '\r\n\r\n') throw new Error(`record at ${offset}: not ended by CRLF CRLF`);
  return { offset, version, headers, block };
}

/** An HTTP message block split into start line, headers (as received, in order) and payload. */
export function splitHttp(block: Buffer): { startLine: string; headers: [string, string][]; payload: Buffer } {
  const end = block.indexOf('\r\n\r\n');
  const lines = block.subarray(0, end).toString('latin1').split('\r\n');
  const startLine = lines.shift()!;
  const headers = lines.map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()] as [string, string]);
  return { startLine, headers, payload: block.subarray(end + 4) };
}

/** sha1:BASE32 computed here, independently of the writer. */
export function sha1Base32(data: Buffer): string {
  const digest = crypto.createHash('sha1').update(data).digest();
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const b of digest) bits += b.toString(2).padStart(8, '0');
  let s = '';
  for (let i = 0; i < bits.length; i += 5) s += A[parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
  return 'sha1:' + s;
}
