/**
 * Crawl options: the types users give (CrawlOptions) and get back (ResolvedOptions), and
 * resolveOptions(), the only place options are defaulted and validated. Each option is defined
 * once, in OPTION_SPECS (option-specs.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { BadInputError } from '../errors.js';
import { parseDuration, parseSize, formatDuration } from '../units.js';
import { OPTION_SPECS, type OptionSpec } from './option-specs.js';
import { checkAuth, checkHeaders, checkProxy } from './request-options.js';
import type { CrawlOptions, ResolvedOptions } from './option-types.js';

export { OPTION_SPECS, DEFAULT_USER_AGENT, type OptionSpec, type OptionType } from './option-specs.js';
export { redactOptions, type BasicAuth, type RequestHeader } from './request-options.js';

export type { CrawlOptions, ResolvedOptions } from './option-types.js';

/** camelCase key to its kebab-case flag (maxPages -> max-pages). */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

const SPEC_BY_KEY = new Map(OPTION_SPECS.map((s) => [s.key as string, s]));

/**
 * Applies defaults and validates every field; the only place this happens.
 * `source` names where the values came from ("--flag" style for the CLI, a file name for a config),
 * so every message says where to fix it.
 */
export function resolveOptions(input: Partial<CrawlOptions> & Record<string, unknown>, source = 'options'): ResolvedOptions {
  // Phase 1: unknown keys are errors with a suggestion.
  for (const key of Object.keys(input)) {
    if (input[key] === undefined) continue;
    if (key === 'seeds' || key === 'config') continue;
    if (key === 'headers' && input.header === undefined) continue; // the config file's plural spelling
    if (!SPEC_BY_KEY.has(key)) {
      throw new BadInputError(`${source}: unknown option "${key}"${suggestKey(key)}`);
    }
  }
  // Phase 2: defaults and per-field validation.
  const v: Record<string, unknown> = {};
  for (const spec of OPTION_SPECS) {
    const given = spec.key === 'header' && input.header === undefined ? input.headers : input[spec.key];
    const raw = given !== undefined ? given : spec.default;
    v[spec.key] = checkValue(spec, raw, source);
  }
  const seeds = input.seeds ?? [];
  if (!Array.isArray(seeds) || seeds.some((s) => typeof s !== 'string')) {
    throw new BadInputError(`${source}: "seeds" must be an array of URL strings`);
  }
  // Phase 3: cross-field rules.
  if ((v.heartbeat as number) * 3 > (v.lease as number)) {
    throw new BadInputError(`${source}: --heartbeat must be at most a third of --lease (a lease renewed that rarely runs out under load)`);
  }
  if ((v.quiet as boolean) && (v.verbose as boolean)) {
    throw new BadInputError(`${source}: --quiet and --verbose conflict; choose one`);
  }
  if (v.extract !== undefined) {
    const file = path.resolve(v.extract as string);
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
      throw new BadInputError(`${source}: --extract ${v.extract as string}: no such file; give the path of a .js or .mjs module whose default export is (cheerio root, url) => JSON`);
    }
    v.extract = file;
  }
  for (const key of ['cookies', 'warc'] as const) if (v[key] !== undefined) v[key] = path.resolve(v[key] as string);
  if (v.cookies !== undefined && !fs.existsSync(v.cookies as string)) {
    throw new BadInputError(`${source}: --cookies ${v.cookies as string}: no such file; give a Netscape cookies.txt file (curl -c and wget --save-cookies write one)`);
  }
  if (v.proxy !== undefined) checkProxy(v.proxy as string, source);
  if ((v.perHost as number) > (v.concurrency as number)) {
    v.perHost = v.concurrency; // a per-host limit above the global one has no meaning
  }
  return {
    seeds,
    urls: v.urls as string | undefined,
    db: v.db as string,
    scope: v.scope as ResolvedOptions['scope'],
    include: compilePatterns(v.include as string[], 'include', source),
    exclude: compilePatterns(v.exclude as string[], 'exclude', source),
    maxPages: v.maxPages as number,
    maxDepth: v.maxDepth as number,
    maxPagesPerHost: v.maxPagesPerHost as number,
    maxUrlLength: v.maxUrlLength as number,
    maxRepeatedSegments: v.maxRepeatedSegments as number,
    stripParams: (v.stripParams as string[]).filter((p) => p !== '').map((p) => p.toLowerCase()),
    concurrency: v.concurrency as number,
    perHost: v.perHost as number,
    delayMs: v.delay as number,
    maxCrawlDelayMs: v.maxCrawlDelay as number,
    robotsRetryMs: v.robotsRetry as number,
    userAgent: v.userAgent as string,
    ignoreRobots: v.ignoreRobots as boolean,
    sitemaps: v.sitemaps as boolean,
    allowPrivate: v.allowPrivate as boolean,
    connectTimeoutMs: v.connectTimeout as number,
    headersTimeoutMs: v.headersTimeout as number,
    bodyTimeoutMs: v.bodyTimeout as number,
    totalTimeoutMs: v.totalTimeout as number,
    maxBytes: v.maxBytes as number,
    maxRedirects: v.maxRedirects as number,
    retries: v.retries as number,
    retryDelayMs: v.retryDelay as number,
    workers: v.workers as number,
    parseTimeoutMs: v.parseTimeout as number,
    workerMemory: v.workerMemory as number,
    extract: v.extract as string | undefined,
    render: v.render as ResolvedOptions['render'],
    browser: v.browser as string | undefined,
    renderConcurrency: v.renderConcurrency as number,
    renderTimeoutMs: v.renderTimeout as number,
    renderFetch: checkRenderFetch(v.renderFetch as string[], source),
    headers: checkHeaders(v.header, source),
    cookies: v.cookies as string | undefined,
    auth: checkAuth(v.auth, source),
    netrc: v.netrc as boolean,
    proxy: v.proxy as string | undefined,
    warc: v.warc as string | undefined,
    warcMaxSize: v.warcMaxSize as number,
    warcPrefix: v.warcPrefix as string,
    warcKeepAuth: v.warcKeepAuth as boolean,
    recrawlAfterMs: v.recrawlAfter as number,
    adaptiveRecrawl: v.adaptiveRecrawl as boolean,
    fresh: v.fresh as boolean,
    leaseMs: v.lease as number,
    heartbeatMs: v.heartbeat as number,
    maxTimeMs: v.maxTime as number,
    failOnErrorRate: v.failOnErrorRate as number | undefined,
    logFormat: v.logFormat as ResolvedOptions['logFormat'],
    progress: v.progress as boolean,
    quiet: v.quiet as boolean,
    verbose: v.verbose as boolean,
  };
}

function checkValue(spec: OptionSpec, raw: unknown, source: string): unknown {
  const name = source === 'command line' ? `--${flagName(spec.key)}` : `"${spec.key}"`;
  const where = `${source}: ${name}`;
  if (raw === undefined) return undefined;
  switch (spec.type) {
    case 'string':
      if (typeof raw !== 'string' || raw === '') throw new BadInputError(`${where} must be a non-empty string`);
      return raw;
    case 'boolean':
      if (typeof raw !== 'boolean') throw new BadInputError(`${where} must be true or false, got ${JSON.stringify(raw)}`);
      return raw;
    case 'choice':
      if (typeof raw !== 'string' || !spec.choices!.includes(raw)) {
        throw new BadInputError(`${where} must be one of ${spec.choices!.join(', ')}; got ${JSON.stringify(raw)}`);
      }
      return raw;
    case 'json':
      if (typeof raw === 'string') {
        try { return JSON.parse(raw) as unknown; } catch (err) { throw new BadInputError(`${where} must be JSON: ${(err as Error).message}`); }
      }
      return raw;
    case 'list': {
      // A config file may give headers as an object of name: value.
      if (spec.noSplit && raw && typeof raw === 'object' && !Array.isArray(raw)) return raw;
      const list = Array.isArray(raw) ? raw : [raw];
      if (spec.noSplit) {
        if (list.some((x) => typeof x !== 'string')) throw new BadInputError(`${where} must be a list of strings`);
        return list;
      }
      if (list.some((x) => typeof x !== 'string')) throw new BadInputError(`${where} must be a list of strings`);
      return list.flatMap((x: string) => x.split(',')).map((x) => x.trim());
    }
    case 'number': {
      const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
      if (typeof n !== 'number' || !Number.isFinite(n)) throw new BadInputError(`${where} must be a number, got ${JSON.stringify(raw)}`);
      const integer = spec.key !== 'failOnErrorRate';
      if (integer && !Number.isInteger(n)) throw new BadInputError(`${where} must be a whole number, got ${n}`);
      if (spec.min !== undefined && n < spec.min) throw new BadInputError(`${where} must be at least ${spec.min}, got ${n}`);
      if (spec.max !== undefined && n > spec.max) throw new BadInputError(`${where} must be at most ${spec.max}, got ${n}`);
      return n;
    }
    case 'duration':
      try { return parseDuration(raw); } catch (err) { throw new BadInputError(`${where}: ${(err as Error).message}`); }
    case 'size':
      try { return parseSize(raw); } catch (err) { throw new BadInputError(`${where}: ${(err as Error).message}`); }
  }
}

/** --render-fetch: only the optional resource types (the rest is always or never fetched). */
function checkRenderFetch(list: string[], source: string): ResolvedOptions['renderFetch'] {
  const known = ['image', 'media', 'font'];
  const out = list.filter((t) => t !== '');
  const bad = out.find((t) => !known.includes(t));
  if (bad !== undefined) throw new BadInputError(`${source}: --render-fetch ${JSON.stringify(bad)} is not a resource type the browser may be allowed; choose from ${known.join(', ')}`);
  return out as ResolvedOptions['renderFetch'];
}

function compilePatterns(list: string[], key: string, source: string): RegExp[] {
  return list.filter((p) => p !== '').map((p) => {
    try { return new RegExp(p); } catch (err) {
      throw new BadInputError(`${source}: --${key} pattern ${JSON.stringify(p)} is not a valid regular expression (${(err as Error).message})`);
    }
  });
}

/** ` (did you mean "maxPages"?)` when a known key is close to `key`, else ''. */
export function suggestKey(key: string, asFlag = false): string {
  // "seeds" is a key of config files and of the library's options, not a flag.
  const best = closest(key, [...OPTION_SPECS.map((s) => (asFlag ? flagName(s.key) : s.key)), ...(asFlag ? [] : ['seeds'])]);
  return best ? ` (did you mean ${asFlag ? '--' + best : JSON.stringify(best)}?)` : '';
}

/** The closest candidate within an edit distance of a third of the word, or undefined. */
export function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) { bestD = d; best = c; }
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

import { distance as levenshtein } from 'fastest-levenshtein';

/** A default shown in help: durations and sizes as given, `defaultText` where set. */
export function defaultLabel(spec: OptionSpec): string {
  if (spec.defaultText) return spec.defaultText;
  if (spec.default === undefined) return 'none';
  if (spec.type === 'duration' && spec.default === '0') return '0 (no limit)';
  if (Array.isArray(spec.default)) return spec.default.length ? spec.default.join(',') : 'none';
  return String(spec.default);
}

export { formatDuration };
