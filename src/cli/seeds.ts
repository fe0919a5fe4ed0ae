/**
 * Reading a seed file: one URL per line, blank lines and # comments ignored (also a trailing
 * " # comment"). Every bad line is reported as FILE:LINE: reason, before anything is fetched.
 */
import fs from 'node:fs';
import { BadInputError } from '../errors.js';
import { tryNormalize, type NormalizeRules } from '../url/normalize.js';

const MAX_REPORTED = 20;

/** Reads and validates seeds from a file, or stdin for "-". Returns normalized, deduplicated URLs. */
export function readSeedFile(file: string, rules: NormalizeRules, maxUrlLength: number): string[] {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file === '-' ? 0 : file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a file' : (err as Error).message;
    throw new BadInputError(`--urls ${file}: ${why}; give a text file with one URL per line`);
  }
  return parseSeeds(bytes, file === '-' ? '<stdin>' : file, rules, maxUrlLength);
}

/** Parses seed file bytes; `name` labels the messages. */
export function parseSeeds(bytes: Uint8Array, name: string, rules: NormalizeRules, maxUrlLength: number): string[] {
  if (bytes.includes(0)) {
    throw new BadInputError(`${name}: looks like a binary file (it contains NUL bytes); give a text file with one URL per line`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const line = firstBadUtf8Line(bytes);
    throw new BadInputError(`${name}:${line}: not valid UTF-8; save the seed file as UTF-8 text`);
  }
  const errors: string[] = [];
  const seeds = new Set<string>();
  // CRLF (Windows), LF (Unix) and a lone CR (classic Mac OS, some exports) all end a line.
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  lines.forEach((raw, i) => {
    const line = raw.replace(/\s+#.*$/, '').trim();
    if (!line || line.startsWith('#')) return;
    const where = `${name}:${i + 1}`;
    if (line.length > maxUrlLength) {
      errors.push(`${where}: line is ${line.length} characters long; URLs longer than ${maxUrlLength} are refused (raise --max-url-length if it is right)`);
      return;
    }
    if (/\s/.test(line)) {
      errors.push(`${where}: ${JSON.stringify(clip(line))} has spaces inside; write one URL per line`);
      return;
    }
    const n = tryNormalize(line, undefined, rules);
    if (n === 'invalid') errors.push(`${where}: ${JSON.stringify(clip(line))} is not an absolute URL; write it as https://host/path`);
    else if (n === 'scheme') errors.push(`${where}: ${JSON.stringify(clip(line))}: scheme "${line.split(':')[0]}" is not supported; only http and https`);
    else seeds.add(n);
  });
  if (errors.length) {
    const more = errors.length > MAX_REPORTED ? `\n… and ${errors.length - MAX_REPORTED} more bad lines` : '';
    throw new BadInputError(`${errors.length} bad line${errors.length > 1 ? 's' : ''} in the seed file; nothing was fetched:\n${errors.slice(0, MAX_REPORTED).join('\n')}${more}`);
  }
  if (!seeds.size) throw new BadInputError(`${name}: no URLs found (one URL per line; lines starting with # are comments)`);
  return [...seeds];
}

function clip(s: string): string {
  return s.length > 80 ? s.slice(0, 77) + '…' : s;
}

function firstBadUtf8Line(bytes: Uint8Array): number {
  let start = 0, line = 1;
  const dec = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a || (bytes[i] === 0x0d && bytes[i + 1] !== 0x0a)) {
      try { dec.decode(bytes.subarray(start, i)); } catch { return line; }
      start = i + 1;
      line++;
    }
  }
  return line;
}
