/**
 * Bytes -> string for an HTML body, following the WHATWG encoding sniffing order:
 * BOM, then the Content-Type charset, then a <meta charset> / http-equiv prescan of the
 * first 1024 bytes (all three done by encoding-sniffer), then a default. The last two are
 * "tentative": a <meta charset> the parser meets later still changes the encoding (the worker
 * decodes and parses again, see encodingChange).
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

/** The encoding sniffed for a body, before it is parsed. */
export interface Sniffed {
  /** Lower-cased WHATWG name, e.g. "utf-8", "shift_jis", "windows-1252". */
  encoding: string;
  /**
   * The HTML standard's "tentative" confidence: the encoding came from the <meta> prescan of the
   * first 1024 bytes or from the default guess, so the first <meta charset> the parser meets may
   * still change it (see encodingChange). False after a BOM or a Content-Type charset ("certain").
   */
  tentative: boolean;
  /** Set when a declared encoding was not used, e.g. "declared utf-16le": the page's encoding column shows it. */
  overridden?: string;
}

/**
 * Sniffs the encoding of `bytes`. `charset` is the Content-Type charset parameter; an unknown
 * label is ignored.
 */
export function sniff(bytes: Uint8Array, charset: string | null): Sniffed {
  const sniffer = new Sniffer({ maxBytes: SNIFF_BYTES, transportLayerEncodingLabel: charset ?? undefined });
  sniffer.write(bytes.subarray(0, SNIFF_BYTES));
  const type = sniffer.resultType;
  if (type === ResultType.DEFAULT) return { encoding: isUtf8(bytes) ? 'utf-8' : 'windows-1252', tentative: true };
  const encoding = sniffer.encoding.toLowerCase();
  if (type === ResultType.PASSED && (encoding === 'utf-16le' || encoding === 'utf-16be')) {
    // A UTF-16 Content-Type without a BOM (a BOM would have won). Browsers decode such a body as
    // UTF-16 whatever it holds, which turns an ASCII page into CJK-looking junk with no title. The
    // bytes tell: HTML in UTF-16 has a NUL beside every ASCII character of its markup.
    const layout = utf16Layout(bytes);
    if (layout === 'none') return { ...sniff(bytes, null), overridden: `declared ${encoding}` };
    if (layout !== 'unknown' && layout !== encoding) return { encoding: layout, tentative: false, overridden: `declared ${encoding}` };
  }
  const tentative = type === ResultType.META_TAG || type === ResultType.XML_ENCODING;
  if (encoding === 'windows-1252' && type !== ResultType.BOM && mislabelledUtf8(bytes)) return { encoding: 'utf-8', tentative };
  return { encoding, tentative };
}

/**
 * A latin1/ASCII/windows-1252 label on bytes that are valid UTF-8 with non-ASCII in them is a
 * mislabel (real latin1 text with accents is almost never valid UTF-8): they are decoded as UTF-8.
 */
function mislabelledUtf8(bytes: Uint8Array): boolean {
  return !isAscii(bytes) && isUtf8(bytes);
}

/** Where the NULs of the first 1 KB are: UTF-16LE markup has them at odd offsets, BE at even ones. */
function utf16Layout(bytes: Uint8Array): 'utf-16le' | 'utf-16be' | 'none' | 'unknown' {
  const n = Math.min(bytes.length, SNIFF_BYTES) & ~1;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < n; i++) if (bytes[i] === 0) (i & 1 ? odd++ : even++);
  if (even + odd === 0) return 'none';
  if (odd >= n / 8 && odd > 4 * even) return 'utf-16le';
  if (even >= n / 8 && even > 4 * odd) return 'utf-16be';
  return 'unknown';
}

/** Picks the encoding of `bytes` (see sniff()); the name only. */
export function sniffEncoding(bytes: Uint8Array, charset: string | null): string {
  return sniff(bytes, charset).encoding;
}

/**
 * The encoding a <meta> element declares, as the HTML standard's parser reads it: its charset
 * attribute, else the charset in the content of http-equiv="content-type"; utf-16 labels mean
 * utf-8 and x-user-defined means windows-1252 there. null when it declares none or an unknown
 * label. (The rules are encoding-sniffer's prescan, run on the one element.)
 */
export function metaEncoding(attribs: Record<string, string>): string | null {
  let tag: string;
  if (attribs.charset !== undefined) tag = `<meta charset="${attribs.charset.replace(/"/g, '')}">`;
  else if (attribs['http-equiv']?.trim().toLowerCase() === 'content-type' && attribs.content !== undefined) {
    tag = `<meta http-equiv="content-type" content="${attribs.content.replace(/"/g, '')}">`;
  } else return null;
  const bytes = Buffer.from(tag, 'utf8');
  const sniffer = new Sniffer({ maxBytes: bytes.length });
  sniffer.write(bytes);
  return sniffer.resultType === ResultType.META_TAG ? sniffer.encoding.toLowerCase() : null;
}

/**
 * The HTML standard's "change the encoding", for a document decoded with `used` at tentative
 * confidence whose parser met a <meta> declaring `declared` (see metaEncoding): the encoding to
 * decode the body with instead, or null to keep it. A UTF-16 document keeps its encoding; a
 * windows-1252 declaration on valid non-ASCII UTF-8 is a mislabel, as in sniff().
 */
export function encodingChange(used: string, declared: string | null, bytes: Uint8Array): string | null {
  if (declared === null || declared === used || used.startsWith('utf-16')) return null;
  if (declared === 'windows-1252' && used === 'utf-8' && mislabelledUtf8(bytes)) return null;
  return declared;
}

/** Decodes `bytes` as HTML, sniffing the encoding. Never throws: invalid bytes become U+FFFD. */
export function decodeHtml(bytes: Uint8Array, charset: string | null): Decoded {
  return decodeAs(bytes, sniff(bytes, charset).encoding);
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
