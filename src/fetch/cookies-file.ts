/**
 * The Netscape cookies.txt format (curl -b/-c, wget --load-cookies): one cookie per line, seven
 * tab-separated fields — domain, include-subdomains (TRUE/FALSE), path, secure (TRUE/FALSE),
 * expiry (Unix seconds, 0 = session), name, value. `#` lines are comments, except the
 * `#HttpOnly_` prefix curl writes before the domain of HttpOnly cookies.
 */
import fs from 'node:fs';
import { BadInputError } from '../errors.js';

/** One cookie line, parsed. */
export interface NetscapeCookie {
  domain: string;
  includeSubdomains: boolean;
  path: string;
  secure: boolean;
  httpOnly: boolean;
  /** Expiry in Unix seconds; 0 for a session cookie. */
  expires: number;
  name: string;
  value: string;
}

/** Parses cookies.txt text; a malformed line is an error naming the file and line. */
export function parseCookiesTxt(text: string, file = 'cookies file'): NetscapeCookie[] {
  const out: NetscapeCookie[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    let line = raw;
    let httpOnly = false;
    if (line.startsWith('#HttpOnly_')) {
      httpOnly = true;
      line = line.slice('#HttpOnly_'.length);
    } else if (line.startsWith('#') || line.trim() === '') return;
    const f = line.split('\t');
    if (f.length < 7 || !/^\d+$/.test(f[4])) {
      throw new BadInputError(`--cookies ${file}: line ${i + 1} is not a Netscape cookie line (domain, TRUE/FALSE, path, TRUE/FALSE, expiry, name, value, separated by tabs)`);
    }
    out.push({
      domain: f[0].toLowerCase(), includeSubdomains: f[1].toUpperCase() === 'TRUE', path: f[2] || '/',
      secure: f[3].toUpperCase() === 'TRUE', httpOnly, expires: Number(f[4]), name: f[5], value: f.slice(6).join('\t'),
    });
  });
  return out;
}

/** Reads and parses a cookies.txt file. */
export function readCookiesTxt(file: string): NetscapeCookie[] {
  return parseCookiesTxt(fs.readFileSync(file, 'utf8'), file);
}
