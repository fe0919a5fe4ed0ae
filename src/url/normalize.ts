/**
 * URL normalization: the one function that decides whether two URLs are the same page.
 * Rules (README "URL normalization"):
 *  1. Parsed with the WHATWG URL parser (resolves relative URLs, dot-segments, percent-encodes,
 *     lower-cases scheme and host, IDNA to punycode, drops the default port).
 *  2. Only http: and https: are crawlable.
 *  3. The fragment is dropped; user info is dropped.
 *  4. Query parameters in the strip list are removed (names compared case-insensitively,
 *     a trailing "*" matches a prefix); an empty query ("?") is dropped; order is kept.
 *  5. Path parameters such as ";jsessionid=..." are removed when their name is in the strip list.
 */

export interface NormalizeRules {
  /** Lower-cased parameter names; "utm_*" matches every name starting with "utm_". */
  stripParams: readonly string[];
}

export const NO_STRIP: NormalizeRules = { stripParams: [] };

/** Why a string is not a crawlable URL, as returned by tryNormalize. */
export type NormalizeFailure = 'invalid' | 'scheme';

/** Returns the normalized URL string, or a failure reason. Never throws. */
export function tryNormalize(input: string, base?: string | URL, rules: NormalizeRules = NO_STRIP): string | NormalizeFailure {
  let u: URL;
  try {
    u = base === undefined ? new URL(input) : new URL(input, base);
  } catch {
    return 'invalid';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'scheme';
  if (!u.hostname) return 'invalid';
  u.hash = '';
  u.username = '';
  u.password = '';
  if (rules.stripParams.length) {
    if (u.pathname.includes(';')) {
      u.pathname = u.pathname.replace(/;([^/;=]+)=[^/;]*/g, (whole, name: string) => (matches(name, rules.stripParams) ? '' : whole));
    }
    if (u.search) {
      const kept = u.search.slice(1).split('&').filter((pair) => {
        if (pair === '') return false;
        const name = decodeSafe(pair.split('=', 1)[0]);
        return !matches(name, rules.stripParams);
      });
      u.search = kept.length ? '?' + kept.join('&') : '';
    }
  } else if (u.search === '?') {
    u.search = '';
  }
  let s = u.href;
  if (s.endsWith('?')) s = s.slice(0, -1);
  return s;
}

/** Like tryNormalize, but returns undefined for anything that is not a crawlable URL. */
export function normalizeUrl(input: string, base?: string | URL, rules: NormalizeRules = NO_STRIP): string | undefined {
  const r = tryNormalize(input, base, rules);
  return r === 'invalid' || r === 'scheme' ? undefined : r;
}

function matches(name: string, patterns: readonly string[]): boolean {
  const n = name.toLowerCase();
  for (const p of patterns) {
    if (p.endsWith('*') ? n.startsWith(p.slice(0, -1)) : n === p) return true;
  }
  return false;
}

function decodeSafe(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}

/** The host key used for per-host limits and scope: hostname plus port when not the default. */
export function hostKey(url: string): string {
  return new URL(url).host;
}

/**
 * One form for a host name, for comparing hosts: lower case, IPv6 brackets and a trailing dot
 * removed. `new URL('http://[::1]/').hostname` is "[::1]" while sockets and DNS see "::1";
 * both give "::1" here. Accepts a hostname or a host with brackets ("[::1]").
 */
export function hostnameKey(hostname: string): string {
  let h = hostname.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.') && h.length > 1) h = h.slice(0, -1);
  return h;
}
