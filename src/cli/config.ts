/**
 * Config files: a JSON object whose keys are option names (camelCase, as in OPTION_SPECS or
 * kebab-case flags). Lines starting with // are comments. Flags override the file; the file
 * overrides defaults. Validation (unknown keys, wrong types) happens in resolveOptions, with the
 * file named in every message.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BadInputError } from '../errors.js';
import { parseDb } from '../store/location.js';

/** The file looked for in the working directory when --config is not given. */
export const DEFAULT_CONFIG = 'crawl.config.json';

/** Loads `explicit`, or ./crawl.config.json when present; returns {} when there is none. */
export function loadConfig(explicit: string | undefined, cwd = process.cwd()): { file: string | null; values: Record<string, unknown> } {
  const file = explicit ?? (fs.existsSync(path.join(cwd, DEFAULT_CONFIG)) ? path.join(cwd, DEFAULT_CONFIG) : null);
  if (!file) return { file: null, values: {} };
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new BadInputError(`--config ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const json = text.split('\n').map((l) => (l.trimStart().startsWith('//') ? '' : l)).join('\n');
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    throw new BadInputError(`${file}: not valid JSON (${(err as Error).message}); only whole-line // comments are allowed`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new BadInputError(`${file}: must contain a JSON object of option names and values`);
  const values: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (k.startsWith('$')) continue; // "$schema", "$comment"
    values[k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] = v;
  }
  // Relative paths in a config file are relative to the file, not to the working directory.
  // A "db" that is a URL (postgres://…, memory:) is not a path; sqlite:FILE is the path FILE.
  for (const key of ['db', 'urls', 'extract', 'cookies', 'warc']) {
    let v = values[key];
    if (key === 'db' && typeof v === 'string') {
      const loc = parseDb(v);
      if (loc.kind !== 'file') continue;
      v = loc.path;
    }
    if (typeof v === 'string' && v !== '-' && !path.isAbsolute(v)) values[key] = path.resolve(path.dirname(file), v);
  }
  return { file, values };
}
