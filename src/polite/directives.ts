/** robots directives of a page: X-Robots-Tag headers and <meta name="robots">. */

/** Directives that carry a value after a colon (not a crawler name). */
const VALUED = /^(unavailable_after|max-snippet|max-image-preview|max-video-preview)\s*:/;

/**
 * noindex / nofollow from X-Robots-Tag headers and <meta name="robots">. Directives scoped to
 * another crawler ("googlebot: noindex") are ignored; those scoped to our product token apply.
 * A scope covers the directives after it up to the next scope, as Google reads
 * "otherbot: noindex, nofollow" (both for otherbot).
 */
export function robotsDirectives(header: string | undefined, meta: string | null, token: string): { noindex: boolean; nofollow: boolean } {
  let noindex = false, nofollow = false;
  const apply = (value: string) => {
    let scope: string | null = null;
    for (const raw of value.toLowerCase().split(',')) {
      let d = raw.trim();
      const colon = d.indexOf(':');
      if (colon > 0 && !VALUED.test(d)) {
        scope = d.slice(0, colon).trim();
        d = d.slice(colon + 1).trim();
      }
      if (scope !== null && scope !== token) continue;
      if (d === 'noindex' || d === 'none') noindex = true;
      if (d === 'nofollow' || d === 'none') nofollow = true;
    }
  };
  if (header) apply(header);
  if (meta) apply(meta);
  return { noindex, nofollow };
}
