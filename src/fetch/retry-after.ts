/** Retry-After parsing (RFC 9110 §10.2.3): delta-seconds or an HTTP date. */

/** Longest wait we will honour from a server; a longer value is clamped so a bad header cannot park a host forever. */
const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

/**
 * Parses a Retry-After header value into milliseconds from `now`.
 * Returns undefined for an empty or unparseable value; a date in the past gives 0.
 * @example parseRetryAfter('120') === 120_000
 */
export function parseRetryAfter(value: string, now: number = Date.now()): number | undefined {
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+$/.test(v)) return Math.min(Number(v) * 1000, MAX_RETRY_AFTER_MS);
  // Only accept things that look like dates: Date.parse is lenient and would take "1.5" or "-3".
  if (!/[a-z]/i.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now), MAX_RETRY_AFTER_MS);
}
