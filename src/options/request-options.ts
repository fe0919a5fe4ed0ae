/**
 * Validation of the request settings (--header, --auth, --proxy) and redaction of the secrets they
 * carry, so resolved options can be stored (runs.options) or logged without leaking them.
 */
import { BadInputError } from '../errors.js';

/** One extra request header, as given (name case kept). */
export interface RequestHeader { name: string; value: string }
/** HTTP basic credentials for one origin. */
export interface BasicAuth { username: string; password: string }

/** Headers that carry credentials: never logged or stored, and sent to the seeds' origins only. */
export const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(['authorization', 'cookie', 'proxy-authorization']);

/** What replaces a secret in stored options, logs and WARC request records. */
export const REDACTED = '[redacted]';

/** RFC 9110 token: the characters a header name may have. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** "Name: value" strings (or a config file's {name: value} object) to a checked header list. */
export function checkHeaders(raw: unknown, source: string): RequestHeader[] {
  const entries: [string, unknown][] = Array.isArray(raw)
    ? raw.map((line: unknown) => {
      const text = String(line);
      const colon = text.indexOf(':');
      if (colon <= 0) throw new BadInputError(`${source}: --header ${JSON.stringify(text)} must look like "Name: value"`);
      return [text.slice(0, colon).trim(), text.slice(colon + 1).trim()];
    })
    : Object.entries((raw ?? {}) as Record<string, unknown>);
  return entries.map(([name, value]) => {
    if (!TOKEN.test(name)) throw new BadInputError(`${source}: --header name ${JSON.stringify(name)} is not a valid HTTP header name`);
    if (typeof value !== 'string' || /[\r\n\0]/.test(value)) {
      throw new BadInputError(`${source}: --header ${name}: the value must be a string on one line`);
    }
    if (name.toLowerCase() === 'host') throw new BadInputError(`${source}: --header Host cannot be set: it always names the URL's host`);
    return { name, value };
  });
}

/** The key auth is looked up by: scheme://host:port with the default port left out (URL.origin). */
export function originKey(url: string): string {
  return new URL(url).origin;
}

/** {"https://host:port": {username, password}} checked, keys normalised to URL origins. */
export function checkAuth(raw: unknown, source: string): Record<string, BasicAuth> {
  if (raw === undefined) return {};
  const where = `${source}: "auth"`;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new BadInputError(`${where} must be an object like {"https://example.com": {"username": "u", "password": "p"}}`);
  }
  const out: Record<string, BasicAuth> = {};
  for (const [key, cred] of Object.entries(raw as Record<string, unknown>)) {
    let origin: string;
    try {
      origin = originKey(key);
    } catch {
      throw new BadInputError(`${where}: ${JSON.stringify(key)} is not an origin such as https://example.com or http://host:8080`);
    }
    if (!/^https?:$/.test(new URL(key).protocol)) throw new BadInputError(`${where}: ${key}: only http and https origins`);
    const c = cred as Partial<BasicAuth> | null;
    if (!c || typeof c.username !== 'string' || typeof c.password !== 'string' || c.username.includes(':')) {
      throw new BadInputError(`${where}: ${key} needs {"username": "...", "password": "..."} (a username cannot contain ":")`);
    }
    out[origin] = { username: c.username, password: c.password };
  }
  return out;
}

/** A proxy must be an http(s) URL; its credentials, if any, are in the URL. */
export function checkProxy(proxy: string, source: string): void {
  let url: URL;
  try {
    url = new URL(proxy);
  } catch {
    throw new BadInputError(`${source}: --proxy ${JSON.stringify(redactUrl(proxy))} is not a URL; write it as http://host:port`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BadInputError(`${source}: --proxy: only http:// and https:// proxies are supported, got ${url.protocol}`);
  }
}

/** A URL with its password (and username) replaced, for display and storage. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = REDACTED;
    u.password = '';
    return u.href;
  } catch {
    return url.replace(/\/\/[^@/]*@/, `//${REDACTED}@`);
  }
}

/**
 * A copy of resolved options safe to store in runs.options or to log: credential header values,
 * auth passwords and proxy credentials replaced by "[redacted]". Other values are kept as they are.
 */
export function redactOptions<T extends object>(opts: T): T {
  const o = { ...opts } as Record<string, unknown>;
  if (Array.isArray(o.headers)) {
    o.headers = (o.headers as RequestHeader[]).map((h) =>
      (CREDENTIAL_HEADERS.has(h.name.toLowerCase()) ? { name: h.name, value: REDACTED } : h));
  }
  if (o.auth && typeof o.auth === 'object') {
    o.auth = Object.fromEntries(Object.entries(o.auth as Record<string, BasicAuth>)
      .map(([origin, c]) => [origin, { username: c.username, password: REDACTED }]));
  }
  if (typeof o.proxy === 'string') o.proxy = redactUrl(o.proxy);
  return o as T;
}
