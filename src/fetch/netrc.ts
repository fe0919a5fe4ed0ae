/**
 * ~/.netrc: `machine HOST login USER password PASS` entries, whitespace-separated tokens, in any
 * order and over any lines (the format curl, wget and ftp read). `macdef` bodies are skipped up to
 * the next blank line. The `default` entry is ignored on purpose: a crawler reaches hosts nobody
 * chose, and must not hand them a catch-all password.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BasicAuth } from '../options/request-options.js';

/** The file curl reads: $NETRC when set, else ~/.netrc. */
export function netrcPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.NETRC || path.join(os.homedir(), '.netrc');
}

/** Parses netrc text into credentials by lower-cased machine name (the first entry for a name wins). */
export function parseNetrc(text: string): Map<string, BasicAuth> {
  const out = new Map<string, BasicAuth>();
  // Tokens; a quoted token may hold spaces (curl accepts "pass word").
  const tokens: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(lines[i]))) {
      const tok = m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2];
      if (m[2] !== undefined && tok.startsWith('#')) break; // comment to end of line
      if (tok === 'macdef') {
        while (i + 1 < lines.length && lines[i + 1].trim() !== '') i++;
        break;
      }
      tokens.push(tok);
    }
  }
  let machine: string | null = null;
  let entry: Partial<BasicAuth> = {};
  const flush = (): void => {
    if (machine && entry.username !== undefined && entry.password !== undefined && !out.has(machine)) {
      out.set(machine, { username: entry.username, password: entry.password });
    }
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === 'machine' || t === 'default') {
      flush();
      machine = t === 'machine' ? (tokens[++i] ?? '').toLowerCase() : null;
      entry = {};
    } else if (t === 'login') entry.username = tokens[++i];
    else if (t === 'password') entry.password = tokens[++i];
    else if (t === 'account') i++;
  }
  flush();
  return out;
}

/** Reads and parses the netrc file; a missing file is no credentials, not an error. */
export function loadNetrc(file = netrcPath()): Map<string, BasicAuth> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw err;
  }
  return parseNetrc(text);
}
