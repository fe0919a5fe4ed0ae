/**
 * Array parameters in PostgreSQL's binary array format (what array_recv reads). node-postgres sends
 * a Buffer parameter in binary, so `$n::text[]` then takes the bytes as they are: no escaping of
 * every element on the crawler's side, and no parsing of the array's text form (quotes, backslashes,
 * braces, a character at a time) on the server's. A write batch carries its pages' text, links and
 * URLs this way (bench/results/2026-12-07-session11-ab.md).
 *
 * The element type must be the one the statement casts the parameter to (`$1::bigint[]` → 'bigint'):
 * the server refuses an array of another element type.
 */

/** The SQL types an array parameter may carry here, as named in the statements' casts. */
export type ElementType = 'text' | 'bigint' | 'int' | 'smallint' | 'bool' | 'tsvector';

/** Type OIDs of the element types (fixed for built-in types). */
const OID: Record<ElementType, number> = { text: 25, bigint: 20, int: 23, smallint: 21, bool: 16, tsvector: 3614 };
/** Bytes of one element of the fixed-width types. */
const WIDTH: Partial<Record<ElementType, number>> = { bigint: 8, int: 4, smallint: 2, bool: 1 };

const TWO_32 = 4_294_967_296;

/** `values` (null for SQL NULL) as one `type[]` parameter. tsvector elements are tsvectorBinary bytes. */
export function binaryArray(type: ElementType, values: readonly unknown[]): Buffer {
  const width = WIDTH[type];
  let texts: (string | null)[] | undefined;
  let size = 20;
  let nulls = 0;
  if (type === 'text') {
    texts = values.map(asText);
    for (const s of texts) { if (s === null) nulls++; else size += Buffer.byteLength(s, 'utf8'); }
    size += 4 * values.length;
  } else if (type === 'tsvector') {
    for (const v of values) { if (v == null) nulls++; else size += (v as Uint8Array).byteLength; }
    size += 4 * values.length;
  } else {
    for (const v of values) if (v == null) nulls++;
    size += 4 * values.length + width! * (values.length - nulls);
  }
  const out = Buffer.allocUnsafe(size);
  let o = out.writeInt32BE(1, 0); // dimensions
  o = out.writeInt32BE(nulls ? 1 : 0, o);
  o = out.writeUInt32BE(OID[type], o);
  o = out.writeInt32BE(values.length, o);
  o = out.writeInt32BE(1, o); // lower bound
  for (let i = 0; i < values.length; i++) {
    const v = texts ? texts[i] : values[i];
    if (v == null) { o = out.writeInt32BE(-1, o); continue; }
    if (texts) {
      const n = out.write(v as string, o + 4, 'utf8');
      out.writeInt32BE(n, o);
      o += 4 + n;
    } else if (type === 'tsvector') {
      const b = v as Uint8Array;
      o = out.writeInt32BE(b.byteLength, o);
      out.set(b, o);
      o += b.byteLength;
    } else {
      o = out.writeInt32BE(width!, o);
      o = writeFixed(out, o, type, v);
    }
  }
  return out;
}

/** A text element: strings as they are, numbers and booleans as their text, objects as JSON (as node-postgres would send them). */
function asText(v: unknown): string | null {
  if (v == null) return null;
  if (typeof v === 'string') return v;
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function writeFixed(out: Buffer, o: number, type: ElementType, v: unknown): number {
  if (type === 'bool') { out[o] = v ? 1 : 0; return o + 1; }
  if (type === 'bigint' && (typeof v === 'bigint' || typeof v === 'string')) return out.writeBigInt64BE(BigInt(v), o);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new TypeError(`not an integer for a ${type}[] parameter: ${String(v)}`);
  if (type === 'smallint') return out.writeInt16BE(n, o);
  if (type === 'int') return out.writeInt32BE(n, o);
  const hi = Math.floor(n / TWO_32);
  out.writeInt32BE(hi, o);
  return out.writeUInt32BE(n - hi * TWO_32, o + 4);
}
