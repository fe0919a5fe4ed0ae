/** Hosts of URLs, as the frontier keys them. */

/** The host[:port] of a normalized absolute URL, without parsing it again. */
export function hostOf(url: string): string {
  const start = url.indexOf('//') + 2;
  const end = url.indexOf('/', start);
  return url.slice(start, end < 0 ? undefined : end);
}

/** A hostname in one form for comparisons: lower-case, IPv6 literals without brackets ("[::1]" → "::1"). */
export function hostKey(hostname: string): string {
  const h = hostname.toLowerCase();
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}
