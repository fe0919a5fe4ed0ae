/**
 * Seed files, streamed: one URL per line (LF, CRLF or CR endings), blank lines and # comments
 * ignored (also a trailing " # comment"). A first pass validates every line and reports every bad
 * one as FILE:LINE: reason before anything is written or fetched; the crawl then streams the file
 * again into the frontier in batches, so memory does not grow with the file (a 1,000,000-line file
 * is read twice, never held). Standard input ("-") cannot be read twice and is held in memory.
 */
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { BadInputError } from '../errors.js';
import { tryNormalize, type NormalizeRules } from '../url/normalize.js';

const MAX_REPORTED = 20;

/** What the validation pass learned of a seed file (stored in runs.options instead of the lines). */
export interface SeedScan {
  /** The file as given ("-" for stdin). */
  file: string;
  /** Valid seed lines (duplicates included; the frontier keeps one of each). */
  count: number;
  /** SHA-256 of the normalized seeds in file order: equal digests, same seeds. */
  sha256: string;
  /** The seeds' distinct origins (scheme://host[:port]): the scope of the crawl. */
  origins: string[];
}

/** Validates a seed file (or stdin for "-"); throws BadInputError listing every bad line. */
export async function scanSeedFile(file: string, rules: NormalizeRules, maxUrlLength: number): Promise<SeedScan> {
  const errors: string[] = [];
  const origins = new Set<string>();
  const hash = createHash('sha256');
  let count = 0;
  for await (const { line, n } of lines(file)) {
    const where = `${label(file)}:${n}`;
    if (line.length > maxUrlLength) {
      errors.push(`${where}: line is ${line.length} characters long; URLs longer than ${maxUrlLength} are refused (raise --max-url-length if it is right)`);
      continue;
    }
    if (/\s/.test(line)) {
      errors.push(`${where}: ${JSON.stringify(clip(line))} has spaces inside; write one URL per line`);
      continue;
    }
    const url = tryNormalize(line, undefined, rules);
    if (url === 'invalid') errors.push(`${where}: ${JSON.stringify(clip(line))} is not an absolute URL; write it as https://host/path`);
    else if (url === 'scheme') errors.push(`${where}: ${JSON.stringify(clip(line))}: scheme "${line.split(':')[0]}" is not supported; only http and https`);
    else {
      count++;
      hash.update(url).update('\n');
      origins.add(originOf(url));
    }
  }
  if (errors.length) {
    const more = errors.length > MAX_REPORTED ? `\n… and ${errors.length - MAX_REPORTED} more bad lines` : '';
    throw new BadInputError(`${errors.length} bad line${errors.length > 1 ? 's' : ''} in the seed file; nothing was fetched:\n${errors.slice(0, MAX_REPORTED).join('\n')}${more}`);
  }
  if (!count) throw new BadInputError(`${label(file)}: no URLs found (one URL per line; lines starting with # are comments)`);
  return { file, count, sha256: hash.digest('hex'), origins: [...origins] };
}

/** The normalized seeds of an already validated file, `size` at a time. */
export async function* seedBatches(file: string, rules: NormalizeRules, size: number): AsyncGenerator<string[]> {
  let batch: string[] = [];
  for await (const { line } of lines(file)) {
    const url = tryNormalize(line, undefined, rules);
    if (url === 'invalid' || url === 'scheme') continue; // reported by scanSeedFile
    batch.push(url);
    if (batch.length >= size) { yield batch; batch = []; }
  }
  if (batch.length) yield batch;
}

/** The origin of a normalized URL (it always has a path). */
export function originOf(url: string): string {
  return url.slice(0, url.indexOf('/', url.indexOf('//') + 2));
}

const stdinCache = new Map<string, Buffer>();

/** The content lines of a seed file with their 1-based numbers (comments and blanks skipped). */
async function* lines(file: string): AsyncGenerator<{ line: string; n: number }> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let rest = '', n = 0, first = true, pendingCr = false;
  const take = function* (text: string, end: boolean) {
    if (pendingCr && text.startsWith('\n')) text = text.slice(1); // the second half of a CRLF split across chunks
    pendingCr = false;
    let s = rest + text;
    if (first && s) { s = s.replace(/^\uFEFF/, ''); first = false; }
    const parts = s.split(/\r\n|\r|\n/);
    rest = end ? '' : parts.pop()!;
    if (!end && rest === '' && s.endsWith('\r')) pendingCr = true;
    for (const raw of parts) {
      n++;
      const line = raw.replace(/\s+#.*$/, '').trim();
      if (line && !line.startsWith('#')) yield { line, n };
    }
  };
  try {
    for await (const chunk of chunks(file)) {
      if (chunk.includes(0)) throw new BadInputError(`${label(file)}: looks like a binary file (it contains NUL bytes); give a text file with one URL per line`);
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch {
        throw new BadInputError(`${label(file)}:${n + firstBadLine(chunk)}: not valid UTF-8; save the seed file as UTF-8 text`);
      }
      yield* take(text, false);
    }
    yield* take(decoder.decode(), true);
  } catch (err) {
    if (err instanceof BadInputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a file' : (err as Error).message;
    throw new BadInputError(`--urls ${file}: ${why}; give a text file with one URL per line`);
  }
}

/** 1-based line (within `bytes`) of the first line that is not valid UTF-8. */
function firstBadLine(bytes: Uint8Array): number {
  let start = 0, line = 1;
  const dec = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a || bytes[i] === 0x0d) {
      try { dec.decode(bytes.subarray(start, i)); } catch { return line; }
      if (bytes[i] === 0x0d && bytes[i + 1] === 0x0a) i++;
      start = i + 1;
      line++;
    }
  }
  return line;
}

/** The file's bytes in chunks; stdin is read once and kept for the second pass. */
async function* chunks(file: string): AsyncGenerator<Buffer> {
  if (file !== '-') {
    yield* fs.createReadStream(file, { highWaterMark: 1 << 20 });
    return;
  }
  let all = stdinCache.get(file);
  if (!all) {
    all = fs.readFileSync(0);
    stdinCache.set(file, all);
  }
  yield all;
}

function label(file: string): string {
  return file === '-' ? '<stdin>' : file;
}

function clip(s: string): string {
  return s.length > 80 ? s.slice(0, 77) + '…' : s;
}
