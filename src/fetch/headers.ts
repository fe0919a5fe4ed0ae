/** Response header helpers shared by the fetcher's paths. */

/** undici's header object to lower-cased single strings (multi-valued joined with ", "). */
export function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key in raw) {
    const v = raw[key];
    if (v === undefined) continue;
    out[key.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** Splits Content-Type into [media type lower-cased, charset param or null]. */
export function parseContentType(value: string | undefined): [string | null, string | null] {
  if (!value) return [null, null];
  const semi = value.indexOf(';');
  const type = (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase();
  const m = semi === -1 ? null : /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(value.slice(semi));
  const charset = m ? (m[1] ?? m[2] ?? '').trim() || null : null;
  return [type || null, charset];
}

/** Content-Length as a number, or undefined when absent or malformed. */
export function contentLength(headers: Record<string, string>): number | undefined {
  const v = headers['content-length'];
  if (v === undefined || !/^\d+$/.test(v.trim())) return undefined;
  return Number(v);
}
