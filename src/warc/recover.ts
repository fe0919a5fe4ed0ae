/**
 * Finding the end of the last complete record in a WARC file (one gzip member per record), so a
 * crawl killed mid-write can cut the torn tail on its next start. Each member is inflated to find
 * where it ends and its trailer (CRC-32, length) is checked; the scan stops at the first member that
 * is cut short or does not check out.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';

/** Bytes read at a time; a member larger than this is read again with a larger window. */
const WINDOW = 16 * 1024 * 1024;

/** Length of a gzip member header at `buf[0..]`, or -1 if it is not a (complete) deflate gzip header. */
function gzipHeaderLength(buf: Buffer): number {
  if (buf.length < 10 || buf[0] !== 0x1f || buf[1] !== 0x8b || buf[2] !== 8) return -1;
  const flags = buf[3];
  let p = 10;
  if (flags & 4) { // FEXTRA
    if (buf.length < p + 2) return -1;
    p += 2 + buf.readUInt16LE(p);
  }
  for (const bit of [8, 16]) { // FNAME, FCOMMENT: zero-terminated
    if (flags & bit) {
      const end = buf.indexOf(0, p);
      if (end === -1) return -1;
      p = end + 1;
    }
  }
  if (flags & 2) p += 2; // FHCRC
  return p <= buf.length ? p : -1;
}

/** Byte length of the complete gzip member at the start of `buf`, or -1 when torn or corrupt. */
function memberLength(buf: Buffer): number {
  const h = gzipHeaderLength(buf);
  if (h === -1) return -1;
  let out: { buffer: Buffer; engine: zlib.InflateRaw };
  try {
    out = zlib.inflateRawSync(buf.subarray(h), { info: true }) as unknown as typeof out;
  } catch {
    return -1;
  }
  const end = h + out.engine.bytesWritten;
  if (buf.length < end + 8) return -1;
  const crc = buf.readUInt32LE(end);
  const size = buf.readUInt32LE(end + 4);
  if (size !== (out.buffer.length >>> 0) || crc !== zlib.crc32(out.buffer)) return -1;
  return end + 8;
}

/** Offset just past the last complete gzip member of `file` (its size when nothing is torn). */
export function completeLength(file: string): number {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    let pos = 0;
    let window = WINDOW;
    while (pos < size) {
      const len = Math.min(window, size - pos);
      const buf = Buffer.allocUnsafe(len);
      fs.readSync(fd, buf, 0, len, pos);
      const n = memberLength(buf);
      if (n === -1) {
        if (pos + len >= size) break; // torn at the end of the file
        window *= 4; // the member may be larger than the window: read more
        continue;
      }
      pos += n;
      window = WINDOW;
    }
    return pos;
  } finally {
    fs.closeSync(fd);
  }
}

/** Cuts a torn tail off `file`; returns the bytes removed. */
export function cutTornTail(file: string): number {
  const size = fs.statSync(file).size;
  const good = completeLength(file);
  if (good < size) fs.truncateSync(file, good);
  return size - good;
}
