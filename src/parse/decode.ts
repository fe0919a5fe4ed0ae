/**
 * Bytes -> string for an HTML body, following the WHATWG encoding sniffing order:
 * BOM, then the Content-Type charset, then a <meta charset> / http-equiv prescan of the
 * first 1024 bytes (all three done by encoding-sniffer), then a default.
 *
 * The default differs from the spec's locale-dependent fallback on purpose: a body with no
 * declaration that is valid UTF-8 is decoded as UTF-8 (as browsers' detectors effectively do),
 * anything else as windows-1252. Pure ASCII decodes the same either way.
 */

import { isAscii, isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';
import { Sniffer, ResultType } from 'encoding-sniffer/sniffer';

/** A decoded body and the (lower-cased WHATWG) name of the encoding used. */
export interface Decoded {
  text: string;
  encoding: string;
}

/** How many leading bytes the binary check and the meta prescan look at. */
const SNIFF_BYTES = 1024;

/** What a decoder must do: TextDecoder, or one of the single-byte decoders below. */
interface ByteDecoder {
  decode(bytes: Uint8Array): string;
}

/**
 * Node 20's TextDecoder decodes "windows-1252" and "iso-8859-15" as plain latin1 (0x80-0x9f
 * become C1 controls instead of €, “, ” ...; 0xa4 stays ¤). Both are common on the web, so
 * they get their own table-driven decoders: latin1 plus the code points that differ.
 */
function singleByte(overrides: Record<number, number>): ByteDecoder {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) table[i] = overrides[i] ?? i;
  const first = Math.min(...Object.keys(overrides).map(Number));
  return {
    decode(bytes: Uint8Array): string {
      // Fast path: nothing that differs from latin1.
      let i = 0;
      while (i < bytes.length && (bytes[i] < first || table[bytes[i]] === bytes[i])) i++;
      if (i === bytes.length) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
      const out: string[] = [];
      const CHUNK = 8192;
      for (let start = 0; start < bytes.length; start += CHUNK) {
        const end = Math.min(bytes.length, start + CHUNK);
        const units = new Uint16Array(end - start);
        for (let j = start; j < end; j++) units[j - start] = table[bytes[j]];
        out.push(String.fromCharCode(...units));
      }
      return out.join('');
    },
  };
}

// WHATWG index-windows-1252 for 0x80-0x9f (0x81, 0x8d, 0x8f, 0x90, 0x9d stay as they are).
const CP1252: Record<number, number> = {
  0x80: 0x20ac, 0x82: 0x201a, 0x83: 0x0192, 0x84: 0x201e, 0x85: 0x2026, 0x86: 0x2020, 0x87: 0x2021,
  0x88: 0x02c6, 0x89: 0x2030, 0x8a: 0x0160, 0x8b: 0x2039, 0x8c: 0x0152, 0x8e: 0x017d,
  0x91: 0x2018, 0x92: 0x2019, 0x93: 0x201c, 0x94: 0x201d, 0x95: 0x2022, 0x96: 0x2013, 0x97: 0x2014,
  0x98: 0x02dc, 0x99: 0x2122, 0x9a: 0x0161, 0x9b: 0x203a, 0x9c: 0x0153, 0x9e: 0x017e, 0x9f: 0x0178,
};
const ISO8859_15: Record<number, number> = {
  0xa4: 0x20ac, 0xa6: 0x0160, 0xa8: 0x0161, 0xb4: 0x017d, 0xb8: 0x017e, 0xbc: 0x0152, 0xbd: 0x0153, 0xbe: 0x0178,
};

// TextDecoder construction is not free and the set of encodings seen is small.
const decoders = new Map<string, ByteDecoder>([
  ['windows-1252', singleByte(CP1252)],
  ['iso-8859-15', singleByte(ISO8859_15)],
]);

function decoderFor(encoding: string): ByteDecoder {
  let d = decoders.get(encoding);
  if (!d) {
    // fatal: false -> invalid byte sequences become U+FFFD instead of throwing.
    d = new TextDecoder(encoding, { fatal: false });
    decoders.set(encoding, d);
  }
  return d;
}

/**
 * Picks the encoding of `bytes` (lower-cased, e.g. "utf-8", "shift_jis", "windows-1252").
 * `charset` is the Content-Type charset parameter; an unknown label is ignored.
 */
export function sniffEncoding(bytes: Uint8Array, charset: string | null): string {
  const sniffer = new Sniffer({ maxBytes: SNIFF_BYTES, transportLayerEncodingLabel: charset ?? undefined });
  sniffer.write(bytes.subarray(0, SNIFF_BYTES));
  if (sniffer.resultType === ResultType.DEFAULT) {
    return isUtf8(bytes) ? 'utf-8' : 'windows-1252';
  }
  const encoding = sniffer.encoding.toLowerCase();
  // A latin1/ASCII/windows-1252 label on bytes that are valid UTF-8 with non-ASCII in them is a
  // mislabel (real latin1 text with accents is almost never valid UTF-8): decode as UTF-8.
  if (encoding === 'windows-1252' && sniffer.resultType !== ResultType.BOM && !isAscii(bytes) && isUtf8(bytes)) return 'utf-8';
  return encoding;
}

/** Decodes `bytes` as HTML, sniffing the encoding. Never throws: invalid bytes become U+FFFD. */
export function decodeHtml(bytes: Uint8Array, charset: string | null): Decoded {
  return decodeAs(bytes, sniffEncoding(bytes, charset));
}

/**
 * Decodes `bytes` with an encoding from sniffEncoding. The returned encoding differs only
 * when Node cannot decode the one asked for. Never throws.
 */
export function decodeAs(bytes: Uint8Array, encoding: string): Decoded {
  let decoder: ByteDecoder;
  try {
    decoder = decoderFor(encoding);
  } catch {
    // An encoding name Node's ICU does not know (e.g. "x-user-defined", "replacement"):
    // windows-1252 maps every byte, so the page is still readable where it is ASCII.
    encoding = 'windows-1252';
    decoder = decoderFor(encoding);
  }
  // TextDecoder drops a BOM that matches its encoding, so a UTF-8/16 BOM never reaches the text.
  return { text: decoder.decode(bytes), encoding };
}

// Magic numbers of formats that servers mislabel as text/html most often.
const MAGIC: readonly (readonly number[])[] = [
  [0x89, 0x50, 0x4e, 0x47], // PNG
  [0x47, 0x49, 0x46, 0x38], // GIF8
  [0xff, 0xd8, 0xff], // JPEG
  [0x25, 0x50, 0x44, 0x46, 0x2d], // %PDF-
  [0x50, 0x4b, 0x03, 0x04], // ZIP (also docx, xlsx, jar)
  [0x1f, 0x8b], // gzip (a body served compressed without Content-Encoding)
];

/**
 * True when the body is clearly not text: a known binary magic number, or NUL / C0 control
 * bytes in the first 1 KB. UTF-16 bodies (which are full of NULs) must be ruled out by the
 * caller via the sniffed encoding. ESC (0x1b) is allowed: ISO-2022-JP uses it.
 */
export function looksBinary(bytes: Uint8Array): boolean {
  for (const magic of MAGIC) {
    if (bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b)) return true;
  }
  const n = Math.min(bytes.length, SNIFF_BYTES);
  let nul = 0;
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i];
    if (b === 0) nul++;
    else if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0c && b !== 0x0d && b !== 0x1b) control++;
  }
  // A stray NUL or two happens in sloppy HTML; more than that, or >3% control bytes, is binary.
  // (Random or compressed data has ~10% on average, but a 1 KB sample can fall below 9%.)
  return nul > 2 || (n > 0 && (nul + control) / n > 0.03);
}
