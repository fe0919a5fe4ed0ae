/**
 * Reads one archived response back: the gzip member at a byte offset is inflated only as far as
 * its record's Content-Length, then the HTTP block is split into status, headers and payload.
 * The payload is as it was archived (still content-encoded); the caller decodes it.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';

/** One response record as read from a WARC file. */
export interface ArchivedResponse {
  /** WARC-Type of the record (a reparse wants `response`). */
  type: string;
  /** WARC-Truncated value, when the body was not archived in full. */
  truncated: string | null;
  status: number;
  /** Response headers, names lower-cased; repeated names joined with ", ". */
  headers: Record<string, string>;
  payload: Buffer;
}

/** Why a record could not be read (missing file, no record at the offset, malformed block). */
export class RecordReadError extends Error {
  readonly code = 'WARC_READ_FAILED';
}

/** Reads the record whose gzip member starts at `offset` in `file`. */
export async function readResponseAt(file: string, offset: number): Promise<ArchivedResponse> {
  const record = await inflateRecord(file, offset);
  const headEnd = record.indexOf('\r\n\r\n');
  const lines = record.subarray(0, headEnd).toString('utf8').split('\r\n');
  if (!lines[0]?.startsWith('WARC/')) throw new RecordReadError(`${file}@${offset}: not a WARC record`);
  const fields = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) fields.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
  }
  const block = record.subarray(headEnd + 4, headEnd + 4 + Number(fields.get('content-length')));
  // A conversion record (--render: the DOM a browser built) holds the document itself, no HTTP head.
  if (fields.get('warc-type') === 'conversion') {
    return { type: 'conversion', truncated: null, status: 200, headers: { 'content-type': fields.get('content-type') ?? 'text/html' }, payload: block };
  }
  const httpEnd = block.indexOf('\r\n\r\n');
  if (httpEnd < 0) throw new RecordReadError(`${file}@${offset}: the record holds no HTTP response head`);
  const httpLines = block.subarray(0, httpEnd).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/\S+\s+(\d{3})/.exec(httpLines[0] ?? '')?.[1]);
  const headers: Record<string, string> = {};
  for (const l of httpLines.slice(1)) {
    const i = l.indexOf(':');
    if (i <= 0) continue;
    const name = l.slice(0, i).trim().toLowerCase();
    const value = l.slice(i + 1).trim();
    headers[name] = headers[name] !== undefined ? `${headers[name]}, ${value}` : value;
  }
  return {
    type: fields.get('warc-type') ?? '', truncated: fields.get('warc-truncated') ?? null,
    status: Number.isFinite(status) ? status : 0, headers, payload: block.subarray(httpEnd + 4),
  };
}

/**
 * Inflates from `offset` until the WARC head and its Content-Length bytes are in, then stops:
 * gunzip would otherwise run on into the next members (records) of the file.
 */
function inflateRecord(file: string, offset: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const src = fs.createReadStream(file, { start: offset });
    const gunzip = zlib.createGunzip();
    const chunks: Buffer[] = [];
    let size = 0;
    let need = -1;
    let done = false;
    const finish = (err: Error | null) => {
      if (done) return;
      done = true;
      src.destroy();
      gunzip.destroy();
      if (err) reject(err instanceof RecordReadError ? err : new RecordReadError(`${file}@${offset}: ${err.message}`));
      else resolve(Buffer.concat(chunks, size));
    };
    gunzip.on('data', (c: Buffer) => {
      chunks.push(c);
      size += c.length;
      if (need < 0) {
        const all = Buffer.concat(chunks, size);
        const headEnd = all.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        const m = /\r\nContent-Length:\s*(\d+)/i.exec(all.subarray(0, headEnd).toString('latin1'));
        if (!m) return finish(new RecordReadError(`${file}@${offset}: record without Content-Length`));
        need = headEnd + 4 + Number(m[1]);
      }
      if (size >= need) finish(null);
    });
    gunzip.on('end', () => finish(size >= need && need >= 0 ? null : new RecordReadError(`${file}@${offset}: record ends early`)));
    gunzip.on('error', (e) => finish(e));
    src.on('error', (e) => finish(e));
    src.pipe(gunzip);
  });
}
