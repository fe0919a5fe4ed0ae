/**
 * What goes on each request besides the URL: the user's --header values, basic auth for the
 * request's origin (config "auth", then ~/.netrc), and the run's cookie jar. Everything is decided
 * per request from the request's own URL, never carried over from another request: the crawl loop
 * queues a redirect target as a URL of its own, so a cross-origin redirect gets that origin's
 * settings, not the first one's.
 */
import type { CookieJar } from 'tough-cookie';
import { CREDENTIAL_HEADERS, type BasicAuth, type RequestHeader } from '../options/request-options.js';
import { readCookiesTxt } from './cookies-file.js';
import { loadNetrc, netrcPath } from './netrc.js';

/** The request options RequestSettings is built from (a slice of ResolvedOptions). */
export interface RequestSettingsOptions {
  headers: RequestHeader[];
  auth: Record<string, BasicAuth>;
  netrc: boolean;
  cookies?: string;
}

export class RequestSettings {
  /** Non-credential --header values: sent to every origin (as curl does). */
  private readonly everywhere: Record<string, string> = {};
  /** Authorization / Cookie / Proxy-Authorization given with --header: the seeds' origins only. */
  private readonly seedOnly: Record<string, string> = {};

  private constructor(
    headers: RequestHeader[],
    private readonly auth: Map<string, string>,
    private readonly netrc: Map<string, string>,
    private readonly seedOrigins: ReadonlySet<string>,
    /** The run's cookie jar; null when --cookies is not given (no cookies sent or kept). */
    readonly jar: CookieJar | null,
  ) {
    for (const h of headers) {
      const name = h.name.toLowerCase();
      (CREDENTIAL_HEADERS.has(name) ? this.seedOnly : this.everywhere)[name] = h.value;
    }
  }

  /** Loads the netrc and cookies files the options name. tough-cookie is loaded only when cookies are used. */
  static async create(opts: RequestSettingsOptions, seeds: string[]): Promise<RequestSettings> {
    const basic = (c: BasicAuth): string => 'Basic ' + Buffer.from(`${c.username}:${c.password}`).toString('base64');
    const auth = new Map(Object.entries(opts.auth).map(([origin, c]) => [origin, basic(c)]));
    const netrc = new Map<string, string>();
    if (opts.netrc) for (const [machine, c] of loadNetrc(netrcPath())) netrc.set(machine, basic(c));
    let jar: CookieJar | null = null;
    if (opts.cookies !== undefined) {
      const { CookieJar: Jar, Cookie } = await import('tough-cookie');
      jar = new Jar(undefined, { looseMode: true });
      const now = Date.now() / 1000;
      for (const c of readCookiesTxt(opts.cookies)) {
        if (c.expires !== 0 && c.expires < now) continue;
        const host = c.domain.replace(/^\./, '');
        const cookie = new Cookie({
          key: c.name, value: c.value, path: c.path, secure: c.secure, httpOnly: c.httpOnly,
          expires: c.expires ? new Date(c.expires * 1000) : 'Infinity',
          // A host-only cookie has no domain attribute: the jar then ties it to the URL's host.
          domain: c.includeSubdomains ? host : null,
        });
        jar.setCookieSync(cookie, `${c.secure ? 'https' : 'http'}://${host}${c.path}`, { ignoreError: true });
      }
    }
    const seedOrigins = new Set(seeds.map((s) => new URL(s).origin));
    return new RequestSettings(opts.headers, auth, netrc, seedOrigins, jar);
  }

  /** True when no request gets anything extra (the fetcher then skips the per-request work). */
  get empty(): boolean {
    return this.jar === null && this.auth.size === 0 && this.netrc.size === 0
      && Object.keys(this.everywhere).length === 0 && Object.keys(this.seedOnly).length === 0;
  }

  /** Adds this request's headers to `out` (lower-case names). */
  apply(url: URL, out: Record<string, string>): void {
    Object.assign(out, this.everywhere);
    const isSeedOrigin = this.seedOrigins.has(url.origin);
    const auth = this.auth.get(url.origin) ?? this.netrc.get(url.hostname.toLowerCase());
    if (auth !== undefined) out.authorization = auth;
    if (isSeedOrigin) Object.assign(out, this.seedOnly);
    if (this.jar) {
      const fromJar = this.jar.getCookieStringSync(url.href);
      if (fromJar) out.cookie = out.cookie ? `${out.cookie}; ${fromJar}` : fromJar;
    }
  }

  /** Keeps the cookies a response set (bad or foreign-domain cookies are dropped by the jar). */
  storeCookies(url: URL, setCookie: string[]): void {
    if (!this.jar) return;
    for (const c of setCookie) this.jar.setCookieSync(c, url.href, { ignoreError: true });
  }
}
