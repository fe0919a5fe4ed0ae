/**
 * WARC/1.1 record serialisation (ISO 28500:2017): named header fields, CRLF, the block, CRLF CRLF.
 * Digests are SHA-1 in base32, the form Heritrix, wget and pywb write and check.
 */
import crypto from 'node:crypto';

/** RFC 4648 base32 (upper case, no padding needed for 20-byte SHA-1 digests). */
export function base32(bytes: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out + '='.repeat((8 - (out.length % 8)) % 8);
}

/** `sha1:BASE32` of the concatenated parts. */
export function sha1Digest(parts: readonly Uint8Array[]): string {
  const h = crypto.createHash('sha1');
  for (const p of parts) h.update(p);
  return 'sha1:' + base32(h.digest());
}

/** A new WARC-Record-ID. */
export function recordId(): string {
  return `<urn:uuid:${crypto.randomUUID()}>`;
}

/** WARC-Date: UTC to the second, as WARC/1.0 readers expect too. */
export function warcDate(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * One record as buffers: the header block (WARC/1.1 line, `fields`, Content-Length) and the content
 * block parts, then the two CRLFs that end a record. Field values must be single-line.
 */
export function serializeRecord(fields: [string, string][], block: readonly Buffer[]): Buffer[] {
  let length = 0;
  for (const b of block) length += b.length;
  let head = 'WARC/1.1\r\n';
  for (const [k, v] of fields) head += `${k}: ${v.replace(/[\r\n]+/g, ' ')}\r\n`;
  head += `Content-Length: ${length}\r\n\r\n`;
  return [Buffer.from(head, 'utf8'), ...block, Buffer.from('\r\n\r\n')];
}

/** The HTTP status line and header block of a response, as received (undici reports HTTP/1.1 only). */
export function httpResponseHead(status: number, statusText: string, rawHeaders: readonly string[]): Buffer {
  let s = `HTTP/1.1 ${status}${statusText ? ' ' + statusText : ''}\r\n`;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) s += `${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`;
  return Buffer.from(s + '\r\n', 'latin1');
}
